/** The fields a decision is indexed under, in index order. */
export const FIELDS = ['case_name', 'holdings', 'summary', 'full_text'] as const;
export type FieldName = (typeof FIELDS)[number];
export const FIELD_COUNT = FIELDS.length;

/** Per-field BM25F settings. */
export interface FieldParams {
  /** Weight of one occurrence in this field, relative to full_text. */
  weight: number;
  /** Length normalization, 0 … 1. */
  b: number;
}

/**
 * Index-time scoring parameters. They are baked into the stored impacts, so
 * the index records them and is rebuilt when they change.
 */
export interface Bm25Params {
  k1: number;
  fields: Record<FieldName, FieldParams>;
}

/** Query-time settings of the searcher. */
export interface SearcherSettings {
  /** Query-term-frequency saturation for similar-case queries (BM25 k3). */
  k3: number;
  /** Weight of a whole-word token relative to a bigram. */
  wordFormWeight: number;
  similarMinWords: number;
  similarMinChars: number;
  similarMaxTerms: number;
  maxQueryChars: number;
  defaultPageSize: number;
  maxPageSize: number;
  maxResultWindow: number;
  snippetChars: number;
}

/**
 * Impacts are stored as 8-bit fractions of 1 (Lucene stores its norms in a byte too). On the
 * relevance harness 8 bits cost nothing measurable against 16 (tune MRR@10 0.7520 → 0.7514, eval
 * 0.7735 → 0.7738; docs/BENCHMARKS.md) and halve the impacts' share of the postings.
 */
export const IMPACT_SCALE = 255;

/** BM25 inverse document frequency (the Lucene/Robertson form, always positive). */
export function idf(docCount: number, df: number): number {
  return Math.log(1 + (docCount - df + 0.5) / (df + 0.5));
}

/**
 * BM25F's per-field factor w_f / (1 − b_f + b_f · len_f / avglen_f): one
 * occurrence in field f adds this much to the document's pseudo-frequency.
 */
export function fieldCoefficient(field: FieldParams, length: number, avgLength: number): number {
  const avg = avgLength > 0 ? avgLength : 1;
  return field.weight / (1 - field.b + (field.b * length) / avg);
}

/**
 * BM25F term weight of one document, in [0, 1): per-field frequencies are
 * length-normalized and weighted, summed into one pseudo-frequency, then
 * saturated once (Robertson & Zaragoza, "simple BM25F"). Multiplied by the
 * query weight and idf at query time.
 */
export function bm25fImpact(params: Bm25Params, tf: ArrayLike<number>, lengths: ArrayLike<number>, avgLengths: ArrayLike<number>): number {
  let pseudo = 0;
  for (let f = 0; f < FIELD_COUNT; f++) {
    const t = tf[f]!;
    if (t !== 0) pseudo += t * fieldCoefficient(params.fields[FIELDS[f]!], lengths[f]!, avgLengths[f]!);
  }
  return pseudo / (params.k1 + pseudo);
}

/** Quantizes an impact in (0, 1) to 1 … IMPACT_SCALE (never 0: a posting always scores). */
export function quantizeImpact(impact: number): number {
  const q = Math.round(impact * IMPACT_SCALE);
  return q < 1 ? 1 : q > IMPACT_SCALE ? IMPACT_SCALE : q;
}
