import type { SearchIndex } from './indexData.js';
import { locate } from './indexData.js';
import { decodeAll, NO_MORE_DOCS, PostingCursor } from './postings/cursor.js';
import type { Segment } from './segment.js';
import { TopK } from './topK.js';

/**
 * One query term as the retrieval algorithms see it. A document's score is
 * Σ weight × impact over the terms it contains (weight = query weight × idf ÷
 * IMPACT_SCALE, impact = the stored BM25F term weight). A term has its own id in
 * each segment's dictionary: `ids[s]`, −1 where segment s lacks it.
 */
export interface ScoringTerm {
  ids: ArrayLike<number>;
  weight: number;
}

export interface ScoredDoc {
  /** Global document number. */
  doc: number;
  score: number;
}

/** A predicate over global document numbers (filters, and deletions). */
export type DocFilter = (doc: number) => boolean;

export interface RetrievalResult {
  hits: ScoredDoc[];
  /** Documents whose score was fully or partly computed (work done, for stats). */
  evaluated: number;
  /**
   * Documents seen that contain a query term and pass the filter: a lower
   * bound of all such documents (pruning skips some without looking at them).
   */
  matched: number;
}

/** Each term's id in every segment of `ix` (−1 where a segment lacks it). */
export function termIds(ix: SearchIndex, term: string): Int32Array {
  return Int32Array.from(ix.segments, (seg) => seg.dict.lookup(term));
}

/**
 * Accumulator windows in {@link maxScoreTopK} start small, so the k-th score
 * (the pruning threshold) is known after a few hundred documents, and double
 * up to the maximum, where per-window overhead no longer matters.
 */
const FIRST_WINDOW = 256;
const MAX_WINDOW = 8192;

/**
 * The stored impact of the term in global document `doc`, or 0 when the
 * document does not contain it (for one-off lookups, not for scans).
 */
export function impactOf(ix: SearchIndex, term: ScoringTerm | ArrayLike<number>, doc: number): number {
  const ids = 'ids' in term ? term.ids : term;
  const { seg, s, local } = locate(ix, doc);
  const id = ids[s]!;
  if (id < 0) return 0;
  const c = new PostingCursor(seg.postings, id);
  return c.advance(local) === local ? c.impact() : 0;
}

/**
 * Exact top-k for a disjunctive (OR) query with MaxScore (Turtle & Flood),
 * in the windowed form Lucene uses, segment by segment with one shared heap
 * (so a later segment prunes with the k-th score the earlier ones reached).
 * Within a segment, terms are ordered by their score upper bound there; the
 * cheapest ones whose bounds together cannot beat the current k-th score are
 * "non-essential". Only documents found in essential lists become candidates
 * (accumulated term-at-a-time per window of doc ids), and non-essential lists
 * are probed (cursor advance over the skip data) only while the candidate
 * can still enter the top k. Documents that cannot enter are never scored.
 */
export function maxScoreTopK(ix: SearchIndex, terms: readonly ScoringTerm[], k: number, filter?: DocFilter): RetrievalResult {
  const heap = new TopK(k);
  const stats = { evaluated: 0, matched: 0 };
  if (terms.length === 0 || k === 0) return { hits: [], ...stats };
  ix.segments.forEach((seg, s) => maxScoreSegment(seg, s, ix.bases[s]!, terms, heap, filter, stats));
  return { hits: heap.sorted(), ...stats };
}

function maxScoreSegment(
  seg: Segment,
  s: number,
  base: number,
  terms: readonly ScoringTerm[],
  heap: TopK,
  filter: DocFilter | undefined,
  stats: { evaluated: number; matched: number },
): void {
  const p = seg.postings;
  // Order the terms present here by upper bound, ascending.
  const order = terms
    .filter((t) => t.ids[s]! >= 0)
    .map((t) => ({ t, id: t.ids[s]!, ub: t.weight * p.termMaxImpact[t.ids[s]!]! }))
    .sort((a, b) => a.ub - b.ub);
  const T = order.length;
  if (T === 0) return;
  const weight = new Float64Array(T);
  const prefix = new Float64Array(T); // prefix[i] = Σ ub[0..i]
  const cur: PostingCursor[] = [];
  let sum = 0;
  for (let i = 0; i < T; i++) {
    const o = order[i]!;
    weight[i] = o.t.weight;
    sum += o.ub;
    prefix[i] = sum;
    cur.push(new PostingCursor(p, o.id));
  }

  const N = seg.header.docCount;
  const acc = new Float64Array(MAX_WINDOW);
  const mark = new Uint8Array(MAX_WINDOW);
  const touched = new Int32Array(MAX_WINDOW);
  let windowSize = FIRST_WINDOW;
  let firstEssential = 0;
  let windowStart = 0;
  while (windowStart < N) {
    let theta = heap.threshold;
    while (firstEssential < T && prefix[firstEssential]! <= theta) firstEssential++;
    if (firstEssential >= T) break; // no unseen document can beat the k-th score

    // Jump over doc ranges no essential list touches.
    let next = NO_MORE_DOCS;
    for (let e = firstEssential; e < T; e++) if (cur[e]!.doc < next) next = cur[e]!.doc;
    if (next >= N) break;
    if (next > windowStart) windowStart = next;
    const windowEnd = Math.min(N, windowStart + windowSize);
    if (windowSize < MAX_WINDOW) windowSize *= 2;

    // Term-at-a-time over the essential lists within the window.
    let nt = 0;
    for (let e = firstEssential; e < T; e++) {
      const c = cur[e]!;
      const w = weight[e]!;
      for (let d = c.doc; d < windowEnd; d = c.next()) {
        const r = d - windowStart;
        if (mark[r] === 0) {
          mark[r] = 1;
          acc[r] = 0;
          touched[nt++] = r;
        }
        acc[r]! += w * c.impact();
      }
    }
    const cands = touched.subarray(0, nt).sort();
    stats.evaluated += nt;

    // Document-at-a-time completion with the non-essential lists.
    for (let i = 0; i < nt; i++) {
      const r = cands[i]!;
      mark[r] = 0;
      const d = windowStart + r;
      if (filter !== undefined && !filter(base + d)) continue;
      stats.matched++;
      let score = acc[r]!;
      let pruned = false;
      for (let j = firstEssential - 1; j >= 0; j--) {
        if (score + prefix[j]! <= theta) {
          pruned = true;
          break;
        }
        const c = cur[j]!;
        if (c.advance(d) === d) score += weight[j]! * c.impact();
      }
      if (!pruned && score > theta) {
        heap.offer(base + d, score);
        theta = heap.threshold;
      }
    }
    windowStart = windowEnd;
  }
}

export interface ConjunctiveResult extends RetrievalResult {
  /** Number of documents containing every required term (and passing the filter). */
  total: number;
  /** Every matching document, when `collectAll` was asked (for sorting by date). */
  all?: ScoredDoc[];
}

/**
 * Documents containing every required term, scored with the required and
 * optional terms, segment by segment. Candidates come from the rarest
 * required list; the others are advanced to each candidate and leapfrogged
 * on a miss, so work is bounded by the rarest list, not by the corpus.
 * Counts every match (exact total).
 */
export function conjunctive(
  ix: SearchIndex,
  required: readonly ScoringTerm[],
  optional: readonly ScoringTerm[],
  k: number,
  options: { filter?: DocFilter; collectAll?: boolean } = {},
): ConjunctiveResult {
  const heap = new TopK(k);
  const all: ScoredDoc[] | undefined = options.collectAll ? [] : undefined;
  const acc = { total: 0 };
  if (required.length > 0) ix.segments.forEach((seg, s) => conjunctiveSegment(seg, s, ix.bases[s]!, required, optional, heap, all, options.filter, acc));
  return { hits: all ? [] : heap.sorted(), evaluated: acc.total, matched: acc.total, total: acc.total, all };
}

function conjunctiveSegment(
  seg: Segment,
  s: number,
  base: number,
  required: readonly ScoringTerm[],
  optional: readonly ScoringTerm[],
  heap: TopK,
  all: ScoredDoc[] | undefined,
  filter: DocFilter | undefined,
  acc: { total: number },
): void {
  const p = seg.postings;
  if (required.some((t) => t.ids[s]! < 0)) return; // a required term is missing here: no match in this segment
  const req = required.map((t) => ({ c: new PostingCursor(p, t.ids[s]!), w: t.weight })).sort((a, b) => a.c.df - b.c.df);
  const R = req.length;
  const opt = optional
    .filter((t) => t.ids[s]! >= 0)
    .map((t) => ({ c: new PostingCursor(p, t.ids[s]!), w: t.weight, ub: t.weight * p.termMaxImpact[t.ids[s]!]! }))
    .sort((a, b) => b.ub - a.ub);
  const O = opt.length;
  const oRest = new Float64Array(O + 1); // oRest[j] = Σ ub[j..O)
  for (let j = O - 1; j >= 0; j--) oRest[j] = oRest[j + 1]! + opt[j]!.ub;

  const lead = req[0]!.c;
  let d = lead.doc;
  outer: while (d !== NO_MORE_DOCS) {
    if (filter !== undefined && !filter(base + d)) {
      d = lead.next();
      continue;
    }
    let score = req[0]!.w * lead.impact();
    for (let i = 1; i < R; i++) {
      const c = req[i]!.c;
      const at = c.advance(d);
      if (at === NO_MORE_DOCS) break outer; // a required list is exhausted: no more matches
      if (at !== d) {
        // Leapfrog: the lead can skip straight to this list's next document.
        d = lead.advance(at);
        continue outer;
      }
      score += req[i]!.w * c.impact();
    }
    acc.total++;
    const theta = all ? -Infinity : heap.threshold;
    for (let j = 0; j < O; j++) {
      if (score + oRest[j]! <= theta) break;
      const c = opt[j]!.c;
      if (c.advance(d) === d) score += opt[j]!.w * c.impact();
    }
    if (all) all.push({ doc: base + d, score });
    else if (score > theta) heap.offer(base + d, score);
    d = lead.next();
  }
}

/**
 * Reference scorer for tests: decodes every list of every segment to plain
 * arrays and scores every document, no pruning. `required` restricts to
 * documents containing each of its terms.
 */
export function bruteForceScores(
  ix: SearchIndex,
  terms: readonly ScoringTerm[],
  options: { required?: readonly ScoringTerm[]; filter?: DocFilter } = {},
): ScoredDoc[] {
  const plain = (t: ScoringTerm): Map<number, number> => {
    const m = new Map<number, number>();
    ix.segments.forEach((seg, s) => {
      if (t.ids[s]! < 0) return;
      const { docs, impacts } = decodeAll(seg.postings, t.ids[s]!);
      docs.forEach((d, i) => m.set(ix.bases[s]! + d, impacts[i]!));
    });
    return m;
  };
  const req = (options.required ?? []).map((t) => ({ w: t.weight, m: plain(t) }));
  const opt = terms.map((t) => ({ w: t.weight, m: plain(t) }));
  const out: ScoredDoc[] = [];
  for (let d = 0; d < ix.header.docCount; d++) {
    if (options.filter && !options.filter(d)) continue;
    let s = 0;
    let hits = 0;
    let requiredOk = true;
    for (const t of req) {
      const impact = t.m.get(d) ?? 0;
      if (impact === 0) requiredOk = false;
      s += t.w * impact;
    }
    for (const t of opt) {
      const impact = t.m.get(d) ?? 0;
      if (impact > 0) hits++;
      s += t.w * impact;
    }
    if (options.required ? requiredOk && req.length > 0 : hits > 0) out.push({ doc: d, score: s });
  }
  return out.sort((x, y) => y.score - x.score || x.doc - y.doc);
}
