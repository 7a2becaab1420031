import { openServices } from '../../app/index.js';
import { createLogger } from '../../ops/index.js';
import { EXIT } from '../../errors/index.js';
import { cliConfig, progressBar, type GlobalOptions } from '../context.js';

/** `alaw index`: makes sure the index file is current (rebuilding when needed or forced). */
export async function runIndex(opts: GlobalOptions & { force?: boolean; json?: boolean }): Promise<number> {
  const config = cliConfig(opts);
  const logger = createLogger(opts.verbose ? 'info' : 'warn', 2);
  const bar = progressBar('색인 만드는 중', '건');
  const services = await openServices(config, logger, { seed: true, forceIndex: opts.force, onIndexProgress: (d, t) => bar.update(d, t) });
  bar.stop();
  try {
    const st = services.search.status();
    if (opts.json) process.stdout.write(JSON.stringify(st, null, 2) + '\n');
    else {
      const mb = (st.bytes / 1024 / 1024).toFixed(1);
      process.stdout.write(
        st.last_update
          ? `검색 색인에 바뀐 판례 ${st.last_update.added.toLocaleString('ko-KR')}건을 더했습니다 (이전 판 ${st.last_update.deleted.toLocaleString('ko-KR')}건 삭제 표시${st.last_update.merged_segments ? `, 세그먼트 ${st.last_update.merged_segments}개 병합` : ''}): ${st.file}, 판례 ${st.documents.toLocaleString('ko-KR')}건, 세그먼트 ${st.segments}개, ${(st.last_update.ms / 1000).toFixed(1)}초\n`
          : st.rebuilt_because
            ? `검색 색인을 만들었습니다 (${st.rebuilt_because}): ${st.file}, 판례 ${st.documents.toLocaleString('ko-KR')}건, 용어 ${st.terms.toLocaleString('ko-KR')}개, ${mb} MB, ${(st.build_ms / 1000).toFixed(1)}초\n`
            : `검색 색인이 최신입니다: ${st.file}, 판례 ${st.documents.toLocaleString('ko-KR')}건, ${mb} MB (다시 만들려면 --force)\n`,
      );
    }
    return EXIT.ok;
  } finally {
    await services.close();
  }
}
