import { analyzeCase, type AnalysisInput } from '../analysis/index.js';
import { AlawError } from '../errors.js';
import type { TaskHandler } from '../queue/index.js';
import type { Services } from './services.js';

/** The `analysis` task worker: the extractive analysis over the current engine and store. */
export function analysisHandler(services: Services): TaskHandler {
  return async (payload, ctx) => {
    const input = payload as AnalysisInput | null;
    if (!input || typeof input.description !== 'string') {
      throw new AlawError('ALAW_ERR_ANALYSIS_PAYLOAD', 400, '분석 작업의 입력이 올바르지 않습니다.');
    }
    if (ctx.signal.aborted) throw ctx.signal.reason as Error;
    return analyzeCase(services.search.engine, (id) => services.store.getById(id), input, (stage) => ctx.progress(stage));
  };
}
