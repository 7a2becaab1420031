import { systemClock } from '../clock.js';
import {
  analyzeCase,
  checkCitations,
  NARRATIVE_SOURCES,
  narrativeMarkdown,
  narrativeMessages,
  NarrativeWriter,
  type AnalysisInput,
  type AnalysisResult,
  type Narrative,
} from '../analysis/index.js';
import type { Precedent } from '../corpus/index.js';
import { E } from '../errors/index.js';
import type { TaskHandler } from '../queue/index.js';
import type { Services } from './services.js';

/** A complete analysis: the extractive result, and the model's write-up when a model is configured (null otherwise). */
export type FullAnalysis = AnalysisResult & { narrative: Narrative | null };

export interface AnalysisHooks {
  signal: AbortSignal;
  /** Epoch ms by which the whole analysis must be done (the task's timeout). */
  deadlineMs: number;
  /** A stage begins (`extracting` … `writing`); `partial` is the model's text so far. */
  onStage?: (stage: string, partial?: string) => Promise<void> | void;
}

/** How often the growing text is written to the task row for event streams (ms). */
const FLUSH_MS = 150;

/** The writer for the configured endpoint, or null when no model is configured. */
export function narrativeWriter(services: Pick<Services, 'config'> & Partial<Pick<Services, 'clock'>>): NarrativeWriter | null {
  const llm = services.config.llm;
  return llm.baseUrl && llm.model ? new NarrativeWriter(llm, services.clock) : null;
}

/**
 * The analysis pipeline of `POST /api/analysis` and `alaw analyze`: the
 * extractive analysis, then, with a model configured and not turned off for
 * this request, the model's write-up from the retrieved decisions, its
 * citations checked against the corpus. A model that fails or times out
 * leaves the extractive report, with the reason.
 */
export async function runAnalysis(
  services: Pick<Services, 'search' | 'store'> & Partial<Pick<Services, 'clock'>>,
  writer: NarrativeWriter | null,
  input: AnalysisInput & { narrative?: boolean },
  hooks: AnalysisHooks,
): Promise<FullAnalysis> {
  const load = (id: string): Promise<Precedent | undefined> => services.store.getById(id);
  const result = await analyzeCase(services.search.engine, load, input, (stage) => hooks.onStage?.(stage));
  if (!writer || input.narrative === false) return { ...result, narrative: null };
  if (hooks.signal.aborted) throw hooks.signal.reason as Error;

  await hooks.onStage?.('writing');
  // The closest decisions: the model gets these, and its citations are checked against the same ones.
  const sources = (await Promise.all(result.similar.slice(0, NARRATIVE_SOURCES).map((s) => load(s.id)))).filter((p): p is Precedent => p !== undefined);
  const messages = narrativeMessages(input.description.trim(), result, sources, writer.settings.sourceChars);
  // The growing text goes to the task row at most every FLUSH_MS (one write in flight at a time), and once more at the end.
  let latest = '';
  let flushed = '';
  let inFlight: Promise<void> = Promise.resolve();
  let busy = false;
  const flush = (): void => {
    if (busy || latest === flushed) return;
    busy = true;
    const text = latest;
    inFlight = Promise.resolve(hooks.onStage?.('writing', text)).then(() => {
      flushed = text;
      busy = false;
    });
  };
  const clock = services.clock ?? systemClock;
  const ticker = clock.setInterval(flush, FLUSH_MS);
  let written;
  try {
    written = await writer.write(messages, { signal: hooks.signal, deadlineMs: hooks.deadlineMs, onText: (text) => (latest = text) });
  } finally {
    clock.clearInterval(ticker);
  }
  await inFlight;
  flush();
  await inFlight;

  const checks = written.text
    ? await checkCitations(written.text, sources, async (n) =>
        (await services.store.findByCaseNumber(n)).map((p) => ({ id: p.id, court: p.court, decision_date: p.decision_date })),
      )
    : { citations: [], invented: [], unverified: [] };
  const narrative: Narrative = { ...written, ...checks };
  return { ...result, narrative, report_markdown: `${result.report_markdown}\n\n${narrativeMarkdown(narrative)}` };
}

/** The `analysis` task worker (with the configured model, unless another writer is given). */
export function analysisHandler(services: Services, writer: NarrativeWriter | null = narrativeWriter(services)): TaskHandler {
  return async (payload, ctx) => {
    const input = payload as (AnalysisInput & { narrative?: boolean }) | null;
    if (!input || typeof input.description !== 'string') {
      throw E.ANALYSIS_PAYLOAD.error();
    }
    if (ctx.signal.aborted) throw ctx.signal.reason as Error;
    return runAnalysis(services, writer, input, { signal: ctx.signal, deadlineMs: ctx.deadlineMs, onStage: (stage, partial) => ctx.progress(stage, partial) });
  };
}
