import fs from 'node:fs';
import { buildMemoryOf, ImportIncompleteError, importFile, searchParamsOf } from '../../app/index.js';
import { updateIndexDir } from '../../search/index.js';
import { PrecedentStore } from '../../store/index.js';
import { E, EXIT, isAlawError } from '../../errors/index.js';
import { cliConfig, progressBar, type GlobalOptions } from '../context.js';

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
  if (file !== '-' && !fs.existsSync(file)) throw E.IMPORT_FILE_MISSING.error({ file });
  const config = cliConfig(opts);
  const store = await PrecedentStore.open(config.paths.database);
  const bar = progressBar('가져오는 중', 'KB');
  try {
    // Before importing: on an empty database this only records the link rules' version (the import derives
    // each record's links itself); without it the next server start would derive them all again.
    store.ensureLinks();
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
    let indexInfo:
      | { mode: 'rebuilt'; documents: number; ms: number; reason: string }
      | { mode: 'incremental'; added: number; deleted: number; merged_segments: number; ms: number }
      | undefined;
    if (opts.index) {
      const ibar = progressBar('색인 만드는 중', '건');
      const u = updateIndexDir({
        dir: config.paths.indexDir,
        params: searchParamsOf(config).bm25,
        source: store,
        onProgress: (d, t) => ibar.update(d, t),
        ...buildMemoryOf(config),
      });
      ibar.stop();
      if (u.kind === 'rebuilt') indexInfo = { mode: 'rebuilt', documents: u.index.header.docCount, ms: Math.round(u.buildMs), reason: u.reason };
      else if (u.kind === 'incremental')
        indexInfo = { mode: 'incremental', added: u.added, deleted: u.deleted, merged_segments: u.mergedSegments, ms: u.ms + u.mergeMs };
    }
    if (opts.json) {
      process.stdout.write(JSON.stringify({ ...report, index: indexInfo ?? null }, null, 2) + '\n');
    } else {
      const lines = [
        `${file}: ${n(report.lines)}줄 읽음 — 새로 추가 ${n(report.inserted)}건, 갱신 ${n(report.updated)}건${report.merged ? ` (기존 판례와 병합 ${n(report.merged)}건)` : ''}, 변경 없음 ${n(report.unchanged)}건, 거부 ${n(report.rejected)}줄 (${(report.ms / 1000).toFixed(1)}초)`,
      ];
      if (report.rejected > SHOWN_PROBLEMS) lines.push(`거부된 줄이 많아 앞의 ${SHOWN_PROBLEMS}줄만 표시했습니다. 전체 목록은 --json 으로 보세요.`);
      const reload = `실행 중인 서버는 ${config.search.reloadCheckSeconds}초 안에 새 색인을 불러옵니다`;
      if (indexInfo?.mode === 'rebuilt')
        lines.push(`검색 색인을 다시 만들었습니다 (${indexInfo.reason}): ${n(indexInfo.documents)}건, ${(indexInfo.ms / 1000).toFixed(1)}초 (${reload})`);
      else if (indexInfo?.mode === 'incremental')
        lines.push(
          `검색 색인에 바뀐 판례 ${n(indexInfo.added)}건을 새 세그먼트로 더했습니다 (이전 판 ${n(indexInfo.deleted)}건 삭제 표시${indexInfo.merged_segments ? `, 세그먼트 ${indexInfo.merged_segments}개 병합` : ''}): ${(indexInfo.ms / 1000).toFixed(1)}초 (${reload})`,
        );
      else if (!opts.index && changed) lines.push('검색 색인은 다시 만들지 않았습니다 (--no-index). alaw index 를 실행하거나 서버를 다시 시작하세요.');
      process.stdout.write(lines.join('\n') + '\n');
    }
    return report.rejected > 0 ? EXIT.partial : EXIT.ok;
  } catch (err) {
    bar.stop();
    if (err instanceof ImportIncompleteError && opts.json) {
      process.stdout.write(JSON.stringify({ ...err.report, error: { code: err.code, message: err.message } }, null, 2) + '\n');
    }
    if (isAlawError(err)) throw err;
    // The database refused a batch (disk full, a locked file): what earlier batches wrote stays.
    throw E.IMPORT_FAILED.error({ reason: (err as Error).message }).because(err);
  } finally {
    await store.close();
  }
}
