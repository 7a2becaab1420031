import fs from 'node:fs';
import { ImportIncompleteError, importFile, searchParamsOf } from '../../app/index.js';
import { ensureIndex } from '../../search/index.js';
import { PrecedentStore } from '../../store/index.js';
import { CliError, cliConfig, EXIT, progressBar, type GlobalOptions } from '../context.js';

interface ImportOptions extends GlobalOptions {
  index: boolean;
  json?: boolean;
  batchSize: number;
}

/** Counts as Korean readers write them (13,697). */
const n = (x: number): string => x.toLocaleString('ko-KR');

/** Bad lines printed one by one; past this many only the count grows. */
const SHOWN_PROBLEMS = 50;

/**
 * `alaw import FILE`: imports, reports each rejected line, then brings the
 * index file up to date (a running server picks it up within
 * search.reloadCheckSeconds). Only the database is opened: the old index is
 * not loaded just to be replaced.
 */
export async function runImport(file: string, opts: ImportOptions): Promise<number> {
  if (file !== '-' && !fs.existsSync(file)) throw new CliError(`파일이 없습니다: ${file}`, EXIT.usage);
  const config = cliConfig(opts);
  const store = await PrecedentStore.open(config.paths.database);
  const bar = progressBar('가져오는 중', 'KB');
  try {
    let shown = 0;
    const report = await importFile(store, file, {
      batchSize: opts.batchSize,
      onProgress: (read, total) => bar.update(Math.round(read / 1024), Math.max(1, Math.round(total / 1024))),
      onProblem: (p) => {
        if (opts.json) return;
        if (shown++ < SHOWN_PROBLEMS) process.stderr.write(`${file}:${p.line}: ${p.message} [${p.code}]\n`);
      },
    });
    bar.stop();
    const changed = report.inserted + report.updated > 0;
    let indexInfo: { rebuilt: boolean; documents: number; ms: number } | undefined;
    if (opts.index) {
      const ibar = progressBar('색인 만드는 중', '건');
      const r = ensureIndex({ dir: config.paths.indexDir, params: searchParamsOf(config).bm25, source: store, onProgress: (d, t) => ibar.update(d, t) });
      ibar.stop();
      if (r.rebuiltBecause) indexInfo = { rebuilt: true, documents: r.index.header.docCount, ms: Math.round(r.buildMs) };
    }
    if (opts.json) {
      process.stdout.write(JSON.stringify({ ...report, index: indexInfo ?? null }, null, 2) + '\n');
    } else {
      const lines = [
        `${file}: ${n(report.lines)}줄 읽음 — 새로 추가 ${n(report.inserted)}건, 갱신 ${n(report.updated)}건${report.merged ? ` (기존 판례와 병합 ${n(report.merged)}건)` : ''}, 변경 없음 ${n(report.unchanged)}건, 거부 ${n(report.rejected)}줄 (${(report.ms / 1000).toFixed(1)}초)`,
      ];
      if (report.rejected > SHOWN_PROBLEMS) lines.push(`거부된 줄이 많아 앞의 ${SHOWN_PROBLEMS}줄만 표시했습니다. 전체 목록은 --json 으로 보세요.`);
      if (indexInfo)
        lines.push(
          `검색 색인을 다시 만들었습니다: ${n(indexInfo.documents)}건, ${(indexInfo.ms / 1000).toFixed(1)}초 (실행 중인 서버는 ${config.search.reloadCheckSeconds}초 안에 새 색인을 불러옵니다)`,
        );
      else if (!opts.index && changed) lines.push('검색 색인은 다시 만들지 않았습니다 (--no-index). alaw index 를 실행하거나 서버를 다시 시작하세요.');
      process.stdout.write(lines.join('\n') + '\n');
    }
    return report.rejected > 0 ? EXIT.partial : EXIT.ok;
  } catch (err) {
    bar.stop();
    if (err instanceof CliError) throw err;
    if (err instanceof ImportIncompleteError) {
      const r = err.report;
      if (opts.json) process.stdout.write(JSON.stringify({ ...r, error: { code: err.code, message: err.message } }, null, 2) + '\n');
      throw new CliError(
        `가져오기 중단: ${err.message} 그 앞의 올바른 줄은 가져왔습니다 — 새로 추가 ${n(r.inserted)}건, 갱신 ${n(r.updated)}건, 변경 없음 ${n(r.unchanged)}건, 거부 ${n(r.rejected)}줄. ` +
          '온전한 파일로 다시 가져오세요 (이미 가져온 판례는 중복되지 않습니다). 검색 색인은 다시 만들지 않았습니다.',
        EXIT.failure,
      );
    }
    throw new CliError(`가져오기 실패: ${(err as Error).message}`, EXIT.failure);
  } finally {
    await store.close();
  }
}
