import { forEachIndexToken, normalizeText, stringSink } from '../text/index.js';
import type { DocumentText, SearchEngine } from './engine.js';
import { docCaseName, docCaseNumber, docId } from './indexData.js';
import { impactOf } from './retrieval.js';
import { FIELD_COUNT, FIELDS, fieldCoefficient, IMPACT_SCALE, type FieldName } from './params.js';
import type { SearchRequest } from './request.js';

export interface TermExplanation {
  term: string;
  kind: string;
  required: boolean;
  qtf: number;
  query_weight: number;
  df: number;
  idf: number;
  /** Per field: occurrences, field length (tokens), and BM25F's factor for one occurrence. */
  fields: Partial<Record<FieldName, { tf: number; length: number; avg_length: number; weight: number; b: number; coefficient: number }>>;
  /** Σ tf × coefficient. */
  pseudo_tf: number;
  /** pseudo_tf / (k1 + pseudo_tf), as recomputed from the text. */
  impact: number;
  /** The impact stored in the index (quantized to 1/255). */
  indexed_impact: number;
  /** query_weight × idf × indexed_impact. */
  contribution: number;
}

export interface Explanation {
  id: string;
  case_number: string;
  mode: string;
  score: number;
  k1: number;
  formula: string;
  terms: TermExplanation[];
  unmatched_terms: string[];
}

/**
 * Explains a document's score for a query: for every scored term, its idf,
 * query weight and the per-field frequencies behind its BM25F weight,
 * recomputed from the stored text and set beside the impact the index holds.
 */
export function explainDocument(engine: SearchEngine, doc: number, request: SearchRequest, text: DocumentText | undefined): Explanation {
  const ix = engine.index;
  const plan = engine.plan(request);
  const params = ix.header.params;
  const avg = ix.header.avgFieldLengths;
  const fieldTexts = [docCaseName(ix, doc), text?.holdings ?? '', text?.summary ?? '', text?.full_text ?? ''];
  const counts: Map<string, number>[] = [];
  const lengths: number[] = [];
  for (let f = 0; f < FIELD_COUNT; f++) {
    const m = new Map<string, number>();
    lengths.push(
      forEachIndexToken(
        normalizeText(fieldTexts[f]!),
        stringSink((t) => m.set(t, (m.get(t) ?? 0) + 1)),
      ),
    );
    counts.push(m);
  }
  const terms: TermExplanation[] = [];
  const unmatched: string[] = [];
  let score = 0;
  for (const t of plan.terms) {
    const impact = impactOf(ix, t, doc);
    if (impact === 0) {
      unmatched.push(t.term);
      continue;
    }
    const stored = impact / IMPACT_SCALE;
    const fields: TermExplanation['fields'] = {};
    let pseudo = 0;
    for (let f = 0; f < FIELD_COUNT; f++) {
      const tf = counts[f]!.get(t.term) ?? 0;
      if (tf === 0) continue;
      const name = FIELDS[f]!;
      const fp = params.fields[name];
      const coefficient = fieldCoefficient(fp, lengths[f]!, avg[f]!);
      pseudo += tf * coefficient;
      fields[name] = { tf, length: lengths[f]!, avg_length: round(avg[f]!), weight: fp.weight, b: fp.b, coefficient: round(coefficient) };
    }
    const contribution = t.queryWeight * t.idf * stored;
    score += contribution;
    terms.push({
      term: t.term,
      kind: t.kind,
      required: t.required,
      qtf: t.qtf,
      query_weight: round(t.queryWeight),
      df: t.df,
      idf: round(t.idf),
      fields,
      pseudo_tf: round(pseudo),
      impact: round(pseudo / (params.k1 + pseudo)),
      indexed_impact: round(stored),
      contribution: round(contribution),
    });
  }
  terms.sort((x, y) => y.contribution - x.contribution);
  return {
    id: docId(ix, doc),
    case_number: docCaseNumber(ix, doc),
    mode: plan.mode,
    score: round(score),
    k1: params.k1,
    formula:
      'score = Σ query_weight × idf × impact;  impact = pseudo_tf / (k1 + pseudo_tf);  pseudo_tf = Σ_field tf × weight / (1 − b + b × length / avg_length)',
    terms,
    unmatched_terms: unmatched,
  };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
