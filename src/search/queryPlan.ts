import { findCaseNumbers, findCitations, type Citation } from '../legal/index.js';
import { analyzeQuery, indexTokens, normalizeText, toPlainStyle, TokenRole } from '../text/index.js';
import type { SearchIndex } from './indexData.js';
import { IMPACT_SCALE, idf, type SearcherSettings } from './params.js';
import { termIds, type ScoringTerm } from './retrieval.js';

/** How a query is matched: every word required, or ranked by similarity. */
export type SearchMode = 'all' | 'similar';
export type RequestedMode = SearchMode | 'auto';

export type TermKind = 'bigram' | 'word' | 'unigram' | 'number' | 'case_number';

/** One distinct query term with everything its score contribution depends on. */
export interface PlannedTerm extends ScoringTerm {
  term: string;
  kind: TermKind;
  required: boolean;
  /** Occurrences in the query. */
  qtf: number;
  /** Query-side weight before idf (saturated qtf × kind weight). */
  queryWeight: number;
  df: number;
  idf: number;
}

export interface QueryPlan {
  normalized: string;
  mode: SearchMode;
  /** Terms scored (for `similar`: the selected ones). Unknown terms are left out. */
  terms: PlannedTerm[];
  /** `all` mode: terms every match must contain. */
  required: PlannedTerm[];
  /** `all` mode: terms that only add to the score. */
  optional: PlannedTerm[];
  /** Required terms the corpus never contains (an `all` query with any cannot match). */
  missingRequired: string[];
  /** Distinct terms left out by similar-mode selection (least informative first to go). */
  droppedTerms: number;
  /** Case numbers written in the query (normalized), in order. */
  caseNumbers: string[];
  citations: Citation[];
  /** Term → weight, for highlighting and choosing snippets. */
  highlight: Map<string, number>;
}

function kindOf(term: string, isCaseNumber: boolean): TermKind {
  if (isCaseNumber) return 'case_number';
  if (/^[0-9]+$/u.test(term)) return 'number';
  if (term.length === 1) return 'unigram';
  if (term.length === 2 && /^[\uac00-\ud7a3\u3400-\u9fff\uf900-\ufaff]{2}$/u.test(term)) return 'bigram';
  return 'word';
}

/**
 * Turns query text into scored terms. Case numbers and full citations become
 * single required terms (and are looked up separately for pinning); the rest
 * is tokenized like documents. In `auto` mode a short query (a few words)
 * requires every word; a long one (a case description) is a similar-case
 * query that keeps only its most informative terms, so it never degrades into
 * scoring the whole corpus on hundreds of common bigrams. `plainStyle: false`
 * keeps polite endings as written (for measuring what the rewrite changes).
 */
export function planQuery(ix: SearchIndex, text: string, requested: RequestedMode, s: SearcherSettings, options: { plainStyle?: boolean } = {}): QueryPlan {
  const normalized = normalizeText(text);
  const citations = findCitations(normalized);
  const caseNumbers: string[] = [];
  let rest = normalized;
  const blank = (start: number, end: number): void => {
    rest = rest.slice(0, start) + ' '.repeat(end - start) + rest.slice(end);
  };
  for (const c of citations) {
    for (const n of c.numbers) caseNumbers.push(n.normalized);
    blank(c.start, c.end);
  }
  for (const m of findCaseNumbers(rest, { loose: true })) {
    for (const n of m.numbers) caseNumbers.push(n.normalized);
    blank(m.start, m.end);
  }

  const analyzed = analyzeQuery(rest);
  const contentWords = analyzed.words.filter((w) => w.stem.length >= 2).length + caseNumbers.length;
  const mode: SearchMode = requested !== 'auto' ? requested : contentWords >= s.similarMinWords || rest.trim().length >= s.similarMinChars ? 'similar' : 'all';

  type Acc = { term: string; required: boolean; qtf: number; caseNumber: boolean };
  const byTerm = new Map<string, Acc>();
  const add = (term: string, required: boolean, caseNumber: boolean): void => {
    const a = byTerm.get(term);
    if (a) {
      a.qtf++;
      a.required ||= required;
    } else byTerm.set(term, { term, required, qtf: 1, caseNumber });
  };
  // Case numbers are found by lookup (pinned); in the text they only add to the score.
  for (const n of caseNumbers) add(n, false, true);
  if (mode === 'all') {
    // Keyword query: stem bigrams are required, so a particle never has to match.
    for (const t of analyzed.tokens) add(t.term, t.role === TokenRole.Required, false);
  } else {
    // Similar-case query: tokenized exactly like a decision. Its particle and
    // cross-space bigrams (완성을 → 성을, 취득시효 완성 → 효완) act as cheap
    // phrase and proximity evidence; on the relevance harness this scores
    // +1.7 MRR@10 points over stem-only bigrams (docs/BENCHMARKS.md).
    // Polite endings (왔습니다, 쟁점입니다) in the plain style of decisions (왔다, 쟁점이다),
    // so they do not crowd the legal content out of the selected terms (text/register.ts).
    for (const t of indexTokens(options.plainStyle === false ? rest : toPlainStyle(rest))) add(t, false, false);
  }

  const N = ix.header.docCount;
  const planned: PlannedTerm[] = [];
  const missingRequired: string[] = [];
  for (const a of byTerm.values()) {
    const ids = termIds(ix, a.term);
    let df = 0;
    ix.segments.forEach((seg, i) => {
      if (ids[i]! >= 0) df += seg.postings.termDf[ids[i]!]!;
    });
    const kind = kindOf(a.term, a.caseNumber);
    if (df === 0) {
      if (a.required) missingRequired.push(a.term);
      continue;
    }
    const termIdf = idf(N, df);
    const kindWeight = kind === 'word' || kind === 'case_number' ? s.wordFormWeight : 1;
    const qtfWeight = mode === 'similar' ? ((s.k3 + 1) * a.qtf) / (s.k3 + a.qtf) : 1;
    const queryWeight = qtfWeight * kindWeight;
    planned.push({
      term: a.term,
      ids,
      kind,
      required: a.required,
      qtf: a.qtf,
      queryWeight,
      df,
      idf: termIdf,
      weight: (queryWeight * termIdf) / IMPACT_SCALE,
    });
  }

  let terms = planned;
  let droppedTerms = 0;
  if (mode === 'similar' && planned.length > s.similarMaxTerms) {
    // Keep the terms with the largest potential contribution (query weight × idf).
    terms = [...planned].sort((a, b) => b.weight - a.weight || a.term.localeCompare(b.term)).slice(0, s.similarMaxTerms);
    droppedTerms = planned.length - terms.length;
  }
  const required = mode === 'all' ? terms.filter((t) => t.required) : [];
  const optional = mode === 'all' ? terms.filter((t) => !t.required) : [];
  const highlight =
    mode === 'all'
      ? keywordHighlights(
          analyzed.words.map((w) => w.stem),
          terms,
        )
      : new Map(terms.map((t) => [t.term, t.idf * t.queryWeight]));
  return {
    normalized,
    mode,
    terms,
    required,
    optional,
    missingRequired: mode === 'all' ? missingRequired : [],
    droppedTerms,
    caseNumbers: [...new Set(caseNumbers)],
    citations,
    highlight,
  };
}

/**
 * What a keyword query highlights: each query word, or any run of three or
 * more of its syllables (`취득시효완성` marks `취득시효` in `취득시효 완성`), but not a
 * lone bigram of a longer word (`명의신탁` does not mark `명의` in `명의수탁자`).
 * Weighted by length, so longer matches choose the snippet.
 */
function keywordHighlights(stems: string[], terms: readonly PlannedTerm[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const stem of stems) {
    if (stem.length <= 2) {
      out.set(stem, stem.length);
      continue;
    }
    const word = stem.slice(0, 16);
    for (let len = 3; len <= word.length; len++) {
      for (let i = 0; i + len <= word.length; i++) out.set(word.slice(i, i + len), len);
    }
  }
  for (const t of terms) if (t.kind === 'case_number' || t.kind === 'number') out.set(t.term, t.term.length);
  return out;
}
