import { E } from '../errors/index.js';
import { COURT_LEVELS } from '../legal/index.js';
import { intToDate, levelName } from './docTable.js';
import { docCaseName, docCaseNumber, docId, findDocById, findDocsByCaseKey, type SearchIndex } from './indexData.js';
import type { SearcherSettings } from './params.js';
import { planQuery, type QueryPlan, type SearchMode } from './queryPlan.js';
import type { SearchRequest, SortOrder } from './request.js';
import { conjunctive, impactOf, maxScoreTopK, type DocFilter, type ScoredDoc, type ScoringTerm } from './retrieval.js';
import { makeSnippet } from './snippet.js';

/** Text of a decision beyond what the index holds (for snippets and explain). */
export interface DocumentText {
  holdings: string | null;
  summary: string | null;
  full_text: string;
}

export type DocumentTextSource = (id: string) => DocumentText | undefined;

export interface SearchHit {
  id: string;
  case_number: string;
  court: string;
  court_level: string;
  decision_date: string | null;
  case_name: string;
  case_type: string;
  score: number;
  /** `case_number`: the query named this decision; `text`: found by its text. */
  match: 'case_number' | 'text';
  snippet?: string;
}

/**
 * Something the person who searched should know about how the query was run.
 * The engine says what happened; the words are the app layer's (src/app/searchNotices.ts).
 */
export type SearchNotice =
  /** A case number in the query names no decision (with the filters: none that passes them). */
  | { kind: 'case_number_not_found'; caseNumber: string; filtered: boolean }
  /** A citation's court or date fits no decision of its number; `found` is the decision of that number that fits best. */
  | {
      kind: 'citation_mismatch';
      caseNumber: string;
      citedCourt: string | null;
      citedDate: string | null;
      found: { court: string; decision_date: string | null; case_number: string };
      /** Whether `found` is among the results (a filter may hide it). */
      shown: boolean;
    }
  /** Words of an all-words query that no decision contains. */
  | { kind: 'words_not_in_corpus'; words: string[] }
  /** Nothing matched (with the filters: nothing that passes them). */
  | { kind: 'no_match'; filtered: boolean }
  /** No decision had every word, so the query was relaxed to ranked matching. */
  | { kind: 'relaxed'; filtered: boolean; byDate: boolean }
  /** A long query was run with its most distinctive terms only. */
  | { kind: 'long_query'; usedTerms: number };

/** What the engine answers: the API's search response, with its notices as data. */
export interface SearchResult {
  query: string;
  mode: SearchMode;
  /** True when no decision contained every word and the query was relaxed to ranked matching. */
  relaxed: boolean;
  total: number;
  /** `eq`: total is exact; `gte`: a lower bound (similar-case ranking does not count every match). */
  total_relation: 'eq' | 'gte';
  page: number;
  size: number;
  total_pages: number | null;
  sort: SortOrder;
  took_ms: number;
  query_terms: { used: number; dropped: number; case_numbers: string[] };
  notices: SearchNotice[];
  hits: SearchHit[];
}

/** How many relevance-ranked candidates a similar-mode query sorts by date. */
const DATE_SORT_POOL = 200;

/**
 * Answers search requests over one loaded index. Stateless apart from lazily
 * built lookup tables, so one engine serves concurrent requests; a rebuilt
 * index gets a new engine.
 */
export class SearchEngine {
  constructor(
    readonly index: SearchIndex,
    readonly settings: SearcherSettings,
    private readonly textSource?: DocumentTextSource,
  ) {}

  /** Runs a validated request (src/app/searchRequest.ts validates what people send). */
  run(req: SearchRequest): SearchResult {
    const started = performance.now();
    const ix = this.index;
    const filter = this.compileFilter(req);
    const plan = planQuery(ix, req.q, req.mode, this.settings);
    const window = req.page * req.size;
    const byDate = req.sort !== 'relevance';

    const { pinned, unmatchedNumbers, citationMismatches } = this.pinned(plan, filter);
    const pinnedSet = new Set(pinned.map((p) => p.doc));
    let ranked: ScoredDoc[];
    let total: number;
    let relation: 'eq' | 'gte' = 'eq';
    let relaxed = false;
    const want = window + pinned.length;

    if (plan.mode === 'all' && plan.required.length > 0 && plan.missingRequired.length === 0) {
      const r = conjunctive(ix, plan.required, plan.optional, want, { filter, collectAll: byDate });
      ranked = byDate ? r.all! : r.hits;
      total = r.total;
    } else {
      ranked = [];
      total = 0;
    }
    if (plan.mode === 'similar' || total === 0) {
      // Relaxed: an all-words query that matched nothing (not a query of case numbers only).
      relaxed = plan.mode === 'all' && (plan.required.length > 0 || plan.missingRequired.length > 0);
      const k = byDate ? Math.min(this.settings.maxResultWindow, Math.max(want, DATE_SORT_POOL)) : want;
      const r = maxScoreTopK(ix, plan.terms, k, filter);
      ranked = r.hits;
      total = r.matched;
      relation = 'gte';
    }
    ranked = ranked.filter((h) => !pinnedSet.has(h.doc));
    if (byDate) ranked = this.sortByDate(ranked, req.sort === 'date_asc');
    const all = [...pinned, ...ranked];
    if (relation === 'eq') {
      // Pinned decisions count once: add those the text query did not match anyway.
      total += pinned.filter((p) => !this.containsAll(p.doc, plan.required)).length;
    } else total = Math.max(total, all.length);

    const offset = (req.page - 1) * req.size;
    if (req.page > 1 && offset >= all.length) {
      const last = Math.max(1, Math.ceil(all.length / req.size));
      throw E.SEARCH_PAGE_OUT_OF_RANGE.error(
        { kind: 'last', page: req.page, last },
        {
          page: req.page,
          last_page: last,
        },
      );
    }
    const filtered = filter !== undefined;
    const notices: SearchNotice[] = [];
    for (const n of unmatchedNumbers) notices.push({ kind: 'case_number_not_found', caseNumber: n, filtered });
    notices.push(...citationMismatches);
    if (plan.missingRequired.length > 0) {
      const words = plan.missingRequired.filter((t) => t.length > 2 || !/^[\uac00-\ud7a3]{2}$/u.test(t));
      if (words.length > 0) notices.push({ kind: 'words_not_in_corpus', words: words.slice(0, 5) });
    }
    if (all.length === 0 && unmatchedNumbers.length === 0) notices.push({ kind: 'no_match', filtered });
    else if (relaxed) notices.push({ kind: 'relaxed', filtered, byDate });
    if (plan.droppedTerms > 0) notices.push({ kind: 'long_query', usedTerms: plan.terms.length });
    const pageHits = all.slice(offset, offset + req.size);
    const hits = pageHits.map((h) => this.hit(h, pinnedSet.has(h.doc), plan, req.snippets));
    return {
      query: req.q,
      mode: plan.mode,
      relaxed,
      total,
      total_relation: relation,
      page: req.page,
      size: req.size,
      total_pages: relation === 'eq' ? Math.ceil(total / req.size) : null,
      sort: req.sort,
      took_ms: Math.round((performance.now() - started) * 1000) / 1000,
      query_terms: { used: plan.terms.length, dropped: plan.droppedTerms, case_numbers: plan.caseNumbers },
      notices,
      hits,
    };
  }

  /**
   * Touches the lookups once (call after start-up). The id and case-number
   * lookups are stored in the segments, so there is nothing to build.
   */
  warm(): void {
    this.docNoOf('');
  }

  /** Global document number of a (live) decision id, or undefined when the index does not hold it. */
  docNoOf(id: string): number | undefined {
    return findDocById(this.index, id);
  }

  /** The plan a request would run with (for explain and diagnostics). */
  plan(request: SearchRequest): QueryPlan {
    return planQuery(this.index, request.q, request.mode, this.settings);
  }

  /** Score of one document for the plan's terms (binary search per term). */
  scoreOf(doc: number, terms: readonly ScoringTerm[]): number {
    let s = 0;
    for (const t of terms) s += t.weight * impactOf(this.index, t, doc);
    return s;
  }

  private containsAll(doc: number, terms: readonly ScoringTerm[]): boolean {
    return terms.every((t) => impactOf(this.index, t, doc) > 0);
  }

  /** Decisions the query names by case number, best citation match first, and the numbers that named none. */
  /**
   * Decisions named by case number, best match of a citation's court and date
   * first. A citation whose court or date fits none of them is reported: the
   * user may have miscited, or the corpus holds a different decision under the
   * same number.
   */
  private pinned(plan: QueryPlan, filter: DocFilter | undefined): { pinned: ScoredDoc[]; unmatchedNumbers: string[]; citationMismatches: SearchNotice[] } {
    if (plan.caseNumbers.length === 0) return { pinned: [], unmatchedNumbers: [], citationMismatches: [] };
    const ix = this.index;
    const docs = ix.docs;
    const out: { doc: number; quality: number; order: number }[] = [];
    const seen = new Set<number>();
    const unmatchedNumbers: string[] = [];
    const citationMismatches: SearchNotice[] = [];
    const citable = (d: number) => ({ court: docs.courts[docs.courtIds[d]!]!, decision_date: intToDate(docs.dates[d]!), case_number: docCaseNumber(ix, d) });
    plan.caseNumbers.forEach((n, order) => {
      const citation = plan.citations.find((c) => c.numbers.some((x) => x.normalized === n));
      const quality = (d: number): number =>
        (citation?.court && docs.courts[docs.courtIds[d]!] === citation.court ? 2 : 0) +
        (citation?.date && intToDate(docs.dates[d]!) === citation.date ? 1 : 0);
      const withNumber = findDocsByCaseKey(ix, n);
      const matching = withNumber.filter((d) => !filter || filter(d));
      if (matching.length === 0) unmatchedNumbers.push(n);
      for (const d of matching) {
        if (seen.has(d)) continue;
        seen.add(d);
        out.push({ doc: d, quality: quality(d), order });
      }
      // Whether the cited decision exists at all (a filter may hide it; that is not a miscitation).
      let best: { doc: number; quality: number } | null = null;
      for (const d of withNumber) if (!best || quality(d) > best.quality) best = { doc: d, quality: quality(d) };
      const wanted = (citation?.court ? 2 : 0) + (citation?.date ? 1 : 0);
      if (citation && best && best.quality < wanted) {
        citationMismatches.push({
          kind: 'citation_mismatch',
          caseNumber: n,
          citedCourt: citation.court,
          citedDate: citation.date,
          found: citable(best.doc),
          shown: matching.includes(best.doc),
        });
      }
    });
    out.sort((a, b) => a.order - b.order || b.quality - a.quality || docs.dates[b.doc]! - docs.dates[a.doc]! || a.doc - b.doc);
    return { pinned: out.map((p) => ({ doc: p.doc, score: this.scoreOf(p.doc, plan.terms) })), unmatchedNumbers, citationMismatches };
  }

  private sortByDate(hits: ScoredDoc[], ascending: boolean): ScoredDoc[] {
    const dates = this.index.docs.dates;
    // Undated decisions go last either way.
    const key = (d: number): number => (dates[d] === 0 ? (ascending ? 99999999 : 0) : dates[d]!);
    return [...hits].sort((a, b) => (ascending ? key(a.doc) - key(b.doc) : key(b.doc) - key(a.doc)) || b.score - a.score || a.doc - b.doc);
  }

  private hit(h: ScoredDoc, pinned: boolean, plan: QueryPlan, withSnippet: boolean): SearchHit {
    const ix = this.index;
    const docs = ix.docs;
    const d = h.doc;
    const hit: SearchHit = {
      id: docId(ix, d),
      case_number: docCaseNumber(ix, d),
      court: docs.courts[docs.courtIds[d]!]!,
      court_level: levelName(docs.levelIds[d]!),
      decision_date: intToDate(docs.dates[d]!),
      case_name: docCaseName(ix, d),
      case_type: docs.types[docs.typeIds[d]!]!,
      score: Math.round(h.score * 10000) / 10000,
      match: pinned ? 'case_number' : 'text',
    };
    if (withSnippet && this.textSource) {
      const text = this.textSource(hit.id);
      if (text) hit.snippet = makeSnippet([text.holdings, text.summary, text.full_text], plan.highlight, this.settings.snippetChars);
    }
    return hit;
  }

  /** Compiles the request's filters into one predicate over document numbers. */
  private compileFilter(req: SearchRequest): DocFilter | undefined {
    const docs = this.index.docs;
    const checks: DocFilter[] = [];
    const deleted = this.index.deleted;
    if (deleted) checks.push((d) => deleted[d] === 0);
    if (req.courts.length > 0) {
      const allowed = new Uint8Array(docs.courts.length);
      for (const want of req.courts) {
        let found = false;
        docs.courts.forEach((c, i) => {
          if (c === want) {
            allowed[i] = 1;
            found = true;
          }
        });
        if (!found) {
          // Not an exact name: accept a part of one (`서울` → every Seoul court).
          const part = want.replace(/\s+/g, '');
          docs.courts.forEach((c, i) => {
            if (c.replace(/\s+/g, '').includes(part)) {
              allowed[i] = 1;
              found = true;
            }
          });
        }
        if (!found) {
          throw E.SEARCH_COURT_UNKNOWN.error(
            { court: want },
            {
              parameter: 'court',
              value: want,
            },
          );
        }
      }
      const ids = docs.courtIds;
      checks.push((d) => allowed[ids[d]!] === 1);
    }
    if (req.courtLevels.length > 0) {
      const allowed = new Uint8Array(COURT_LEVELS.length);
      for (const l of req.courtLevels) allowed[COURT_LEVELS.indexOf(l)] = 1;
      const ids = docs.levelIds;
      checks.push((d) => allowed[ids[d]!] === 1);
    }
    if (req.caseTypes.length > 0) {
      const allowed = new Uint8Array(docs.types.length);
      docs.types.forEach((t, i) => (allowed[i] = req.caseTypes.includes(t) ? 1 : 0));
      const ids = docs.typeIds;
      checks.push((d) => allowed[ids[d]!] === 1);
    }
    if (req.dateFrom || req.dateTo) {
      const from = req.dateFrom || 1;
      const to = req.dateTo || 99999999;
      const dates = docs.dates;
      checks.push((d) => dates[d]! >= from && dates[d]! <= to);
    }
    if (checks.length === 0) return undefined;
    if (checks.length === 1) return checks[0];
    return (d) => {
      for (const c of checks) if (!c(d)) return false;
      return true;
    };
  }
}
