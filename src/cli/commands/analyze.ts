import fs from 'node:fs';
import { narrativeWriter, runAnalysis } from '../../app/analysisService.js';
import { CASE_TYPES } from '../../corpus/index.js';
import { CliError, EXIT, withServices, type GlobalOptions } from '../context.js';

/** `alaw analyze FILE|-`: the same analysis as POST /api/analysis, run here, printed as Markdown or JSON. */
export async function runAnalyze(
  file: string,
  opts: { json?: boolean; caseType?: string; limit?: number; narrative?: boolean },
  g: GlobalOptions,
): Promise<number> {
  let description: string;
  try {
    description = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError(`사건 설명 파일 ${file}을(를) 읽을 수 없습니다: ${(err as Error).message}`, EXIT.usage);
  }
  if (opts.caseType !== undefined && !(CASE_TYPES as readonly string[]).includes(opts.caseType)) {
    throw new CliError(`--case-type은 ${CASE_TYPES.join(', ')} 중 하나여야 합니다 (받은 값: ${opts.caseType}).`, EXIT.usage);
  }
  return withServices(g, { seed: true }, async (s) => {
    // The model (when configured) gets the analysis task's timeout here too.
    const deadlineMs = Date.now() + s.config.queue.limits.analysis.timeout * 1000;
    const r = await runAnalysis(
      s,
      narrativeWriter(s),
      { description, case_type: opts.caseType, limit: opts.limit, narrative: opts.narrative },
      { signal: new AbortController().signal, deadlineMs },
    );
    process.stdout.write((opts.json ? JSON.stringify(r, null, 2) : r.report_markdown) + '\n');
    return EXIT.ok;
  });
}
