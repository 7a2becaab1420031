import type { IndexableDocument } from './builder.js';
import type { Bm25Params } from './params.js';

/** Default BM25F parameters for tests and benchmarks (the configuration's defaults). */
export const TEST_PARAMS: Bm25Params = {
  k1: 1.2,
  fields: {
    case_name: { weight: 1.5, b: 0.3 },
    holdings: { weight: 1.0, b: 0.5 },
    summary: { weight: 1.2, b: 0.5 },
    full_text: { weight: 1.0, b: 1.0 },
  },
};

/** A document from a decision record of our JSONL schema. */
export function toIndexable(r: Record<string, unknown>): IndexableDocument {
  return {
    id: String(r.id),
    case_number: String(r.case_number),
    court: String(r.court),
    decision_date: (r.decision_date as string | null) ?? null,
    case_name: (r.case_name as string | undefined) ?? '',
    case_type: (r.case_type as string | undefined) ?? '기타',
    holdings: (r.holdings as string | null) ?? null,
    summary: (r.summary as string | null) ?? null,
    full_text: (r.full_text as string | undefined) ?? '',
  };
}
