import type { SearchIndex } from './indexData.js';
import { TopK } from './topK.js';

/**
 * One query term as the retrieval algorithms see it. A document's score is
 * Σ weight × impact over the terms it contains (weight = query weight × idf ÷
 * 65535, impact = the stored BM25F term weight).
 */
export interface ScoringTerm {
  id: number;
  weight: number;
}

export interface ScoredDoc {
  doc: number;
  score: number;
}

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

/**
 * Accumulator windows in {@link maxScoreTopK} start small, so the k-th score
 * (the pruning threshold) is known after a few hundred documents, and double
 * up to the maximum, where per-window overhead no longer matters.
 */
const FIRST_WINDOW = 256;
const MAX_WINDOW = 8192;

/**
 * First position p in [pos, end) with docs[p] ≥ target, by galloping from
 * `pos` (cursors only move forward, so steps stay short).
 */
export function gallop(docs: Uint32Array, pos: number, end: number, target: number): number {
  if (pos >= end || docs[pos]! >= target) return pos;
  let lo = pos;
  let step = 1;
  let hi = pos + 1;
  while (hi < end && docs[hi]! < target) {
    lo = hi;
    step <<= 1;
    hi = pos + step;
  }
  if (hi > end) hi = end;
  // docs[lo] < target; find the first ≥ target in (lo, hi]
  let a = lo + 1;
  let b = hi;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (docs[mid]! < target) a = mid + 1;
    else b = mid;
  }
  return a;
}

/**
 * The stored impact of `term` in document `doc`, or 0 when the document does
 * not contain the term (binary search; for one-off lookups, not for scans).
 */
export function impactOf(ix: SearchIndex, term: number, doc: number): number {
  const a = ix.postingOffsets[term]!;
  const b = ix.postingOffsets[term + 1]!;
  const p = gallop(ix.postingDocs, a, b, doc);
  return p < b && ix.postingDocs[p] === doc ? ix.postingImpacts[p]! : 0;
}

/**
 * Exact top-k for a disjunctive (OR) query with MaxScore (Turtle & Flood),
 * in the windowed form Lucene uses: terms are ordered by their score upper
 * bound; the cheapest ones whose bounds together cannot beat the current k-th
 * score are "non-essential". Only documents found in essential lists become
 * candidates (accumulated term-at-a-time per window of doc ids), and
 * non-essential lists are probed with galloping only while the candidate can
 * still enter the top k. Documents that cannot enter are never scored.
 */
export function maxScoreTopK(ix: SearchIndex, terms: readonly ScoringTerm[], k: number, filter?: DocFilter): RetrievalResult {
  const heap = new TopK(k);
  const T = terms.length;
  if (T === 0 || k === 0) return { hits: [], evaluated: 0, matched: 0 };
  const docs = ix.postingDocs;
  const imps = ix.postingImpacts;

  // Order terms by upper bound, ascending.
  const order = terms.map((t) => ({ t, ub: t.weight * ix.termMaxImpact[t.id]! })).sort((a, b) => a.ub - b.ub);
  const weight = new Float64Array(T);
  const prefix = new Float64Array(T); // prefix[i] = Σ ub[0..i]
  const pos = new Int32Array(T);
  const end = new Int32Array(T);
  let sum = 0;
  for (let i = 0; i < T; i++) {
    const { t, ub } = order[i]!;
    weight[i] = t.weight;
    sum += ub;
    prefix[i] = sum;
    pos[i] = ix.postingOffsets[t.id]!;
    end[i] = ix.postingOffsets[t.id + 1]!;
  }

  const N = ix.header.docCount;
  const acc = new Float64Array(MAX_WINDOW);
  const mark = new Uint8Array(MAX_WINDOW);
  const touched = new Int32Array(MAX_WINDOW);
  let windowSize = FIRST_WINDOW;
  let firstEssential = 0;
  let evaluated = 0;
  let matched = 0;
  let windowStart = 0;
  while (windowStart < N) {
    let theta = heap.threshold;
    while (firstEssential < T && prefix[firstEssential]! <= theta) firstEssential++;
    if (firstEssential >= T) break; // no unseen document can beat the k-th score

    // Jump over doc ranges no essential list touches.
    let next = N;
    for (let e = firstEssential; e < T; e++) if (pos[e]! < end[e]! && docs[pos[e]!]! < next) next = docs[pos[e]!]!;
    if (next >= N) break;
    if (next > windowStart) windowStart = next;
    const windowEnd = Math.min(N, windowStart + windowSize);
    if (windowSize < MAX_WINDOW) windowSize *= 2;

    // Term-at-a-time over the essential lists within the window.
    let nt = 0;
    for (let e = firstEssential; e < T; e++) {
      let p = pos[e]!;
      const E = end[e]!;
      const w = weight[e]!;
      while (p < E) {
        const d = docs[p]!;
        if (d >= windowEnd) break;
        const r = d - windowStart;
        if (mark[r] === 0) {
          mark[r] = 1;
          acc[r] = 0;
          touched[nt++] = r;
        }
        acc[r]! += w * imps[p]!;
        p++;
      }
      pos[e] = p;
    }
    const cands = touched.subarray(0, nt).sort();
    evaluated += nt;

    // Document-at-a-time completion with the non-essential lists.
    for (let i = 0; i < nt; i++) {
      const r = cands[i]!;
      mark[r] = 0;
      const d = windowStart + r;
      if (filter !== undefined && !filter(d)) continue;
      matched++;
      let s = acc[r]!;
      let pruned = false;
      for (let j = firstEssential - 1; j >= 0; j--) {
        if (s + prefix[j]! <= theta) {
          pruned = true;
          break;
        }
        const p = gallop(docs, pos[j]!, end[j]!, d);
        pos[j] = p;
        if (p < end[j]! && docs[p] === d) s += weight[j]! * imps[p]!;
      }
      if (!pruned && s > theta) {
        heap.offer(d, s);
        theta = heap.threshold;
      }
    }
    windowStart = windowEnd;
  }
  return { hits: heap.sorted(), evaluated, matched };
}

export interface ConjunctiveResult extends RetrievalResult {
  /** Number of documents containing every required term (and passing the filter). */
  total: number;
  /** Every matching document, when `collectAll` was asked (for sorting by date). */
  all?: ScoredDoc[];
}

/**
 * Documents containing every required term, scored with the required and
 * optional terms. Candidates come from the rarest required list; the others
 * are probed by galloping and leapfrogged on a miss, so work is bounded by the
 * rarest list, not by the corpus. Counts every match (exact total).
 */
export function conjunctive(
  ix: SearchIndex,
  required: readonly ScoringTerm[],
  optional: readonly ScoringTerm[],
  k: number,
  options: { filter?: DocFilter; collectAll?: boolean } = {},
): ConjunctiveResult {
  const docs = ix.postingDocs;
  const imps = ix.postingImpacts;
  const off = ix.postingOffsets;
  if (required.length === 0) return { hits: [], evaluated: 0, matched: 0, total: 0, all: options.collectAll ? [] : undefined };
  const req = [...required].sort((a, b) => off[a.id + 1]! - off[a.id]! - (off[b.id + 1]! - off[b.id]!));
  const R = req.length;
  const rPos = new Int32Array(R);
  const rEnd = new Int32Array(R);
  const rW = new Float64Array(R);
  for (let i = 0; i < R; i++) {
    rPos[i] = off[req[i]!.id]!;
    rEnd[i] = off[req[i]!.id + 1]!;
    rW[i] = req[i]!.weight;
  }
  const opt = optional.map((t) => ({ t, ub: t.weight * ix.termMaxImpact[t.id]! })).sort((a, b) => b.ub - a.ub);
  const O = opt.length;
  const oPos = new Int32Array(O);
  const oEnd = new Int32Array(O);
  const oW = new Float64Array(O);
  const oRest = new Float64Array(O + 1); // oRest[j] = Σ ub[j..O)
  for (let j = O - 1; j >= 0; j--) {
    oPos[j] = off[opt[j]!.t.id]!;
    oEnd[j] = off[opt[j]!.t.id + 1]!;
    oW[j] = opt[j]!.t.weight;
    oRest[j] = oRest[j + 1]! + opt[j]!.ub;
  }

  const heap = new TopK(k);
  const all: ScoredDoc[] | undefined = options.collectAll ? [] : undefined;
  const filter = options.filter;
  let total = 0;
  let evaluated = 0;
  let p = rPos[0]!;
  const leadEnd = rEnd[0]!;
  outer: while (p < leadEnd) {
    const d = docs[p]!;
    if (filter !== undefined && !filter(d)) {
      p++;
      continue;
    }
    let s = rW[0]! * imps[p]!;
    for (let i = 1; i < R; i++) {
      const q = gallop(docs, rPos[i]!, rEnd[i]!, d);
      rPos[i] = q;
      if (q >= rEnd[i]!) break outer; // a required list is exhausted: no more matches
      if (docs[q] !== d) {
        // Leapfrog: the lead can skip straight to this list's next document.
        p = gallop(docs, p + 1, leadEnd, docs[q]!);
        continue outer;
      }
      s += rW[i]! * imps[q]!;
    }
    p++;
    total++;
    evaluated++;
    const theta = all ? -Infinity : heap.threshold;
    for (let j = 0; j < O; j++) {
      if (s + oRest[j]! <= theta) break;
      const q = gallop(docs, oPos[j]!, oEnd[j]!, d);
      oPos[j] = q;
      if (q < oEnd[j]! && docs[q] === d) s += oW[j]! * imps[q]!;
    }
    if (all) all.push({ doc: d, score: s });
    else if (s > theta) heap.offer(d, s);
  }
  return { hits: all ? [] : heap.sorted(), evaluated, matched: total, total, all };
}

/**
 * Reference scorer for tests: scores every document by binary search in every
 * list, no pruning. `requireAll` restricts to documents containing every
 * term of `required`.
 */
export function bruteForceScores(
  ix: SearchIndex,
  terms: readonly ScoringTerm[],
  options: { required?: readonly ScoringTerm[]; filter?: DocFilter } = {},
): ScoredDoc[] {
  const out: ScoredDoc[] = [];
  const required = options.required ?? [];
  for (let d = 0; d < ix.header.docCount; d++) {
    if (options.filter && !options.filter(d)) continue;
    let s = 0;
    let hits = 0;
    let requiredOk = true;
    for (const t of required) {
      const impact = impactOf(ix, t.id, d);
      if (impact === 0) requiredOk = false;
      s += t.weight * impact;
    }
    for (const t of terms) {
      const impact = impactOf(ix, t.id, d);
      if (impact > 0) hits++;
      s += t.weight * impact;
    }
    if (options.required ? requiredOk && required.length > 0 : hits > 0) out.push({ doc: d, score: s });
  }
  return out.sort((x, y) => y.score - x.score || x.doc - y.doc);
}
