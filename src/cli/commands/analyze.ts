import fs from 'node:fs';
import { checkDescription } from '../../analysis/index.js';
import { narrativeWriter, runAnalysis } from '../../app/index.js';
import { CASE_TYPES } from '../../corpus/index.js';
import { E, EXIT } from '../../errors/index.js';
import { withServices, type GlobalOptions } from '../context.js';

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
    throw E.ANALYSIS_FILE_UNREADABLE.error({ file, reason: (err as Error).message });
  }
  // Refused before the databases are opened, as POST /api/analysis refuses it before a task exists.
  checkDescription(description);
  if (opts.caseType !== undefined && !(CASE_TYPES as readonly string[]).includes(opts.caseType)) {
    throw E.ANALYSIS_CASE_TYPE_INVALID.error({ option: '--case-type', value: opts.caseType, allowed: CASE_TYPES });
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
