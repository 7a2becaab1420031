import { caseNumberKeys, findCaseNumbers } from './caseNumber.js';
import { findCitations } from './citation.js';
import { lawKey } from './lawNames.js';
import { findStatutes } from './statute.js';

/**
 * Version of the rules below. Stored with the derived tables; a database
 * whose links were made by other rules has them made again at start-up.
 */
export const LINKS_VERSION = '3';

/** A decision cited by another: `대법원 2008. 4. 24. 선고 2006다30440 판결`. */
export interface CitationLink {
  /** Case number in lookup form (`2006다30440`). */
  key: string;
  /** Court named by the citation (normalized); the citing court for 당원/본원; null when not named. */
  court: string | null;
  date: string | null;
  /** The citation as written (first occurrence). */
  citation: string;
  /** Listed in the decision's 참조판례. */
  inReference: boolean;
  /** Occurrences in the decision's own text (판시사항, 판결요지, 본문). */
  mentions: number;
  /** The sentence around the first occurrence in the text, for "why is this linked". */
  context: string | null;
}

/** A statute article a decision applies: `민법 제750조`. */
export interface StatuteLink {
  /** The name as first written in the decision. */
  law: string;
  /** What every spelling and short name of the law shares (src/legal/lawNames.ts). */
  lawKey: string;
  article: number;
  /** `제47조의2` → 2; 0 when none. */
  articleSub: number;
  inReference: boolean;
  mentions: number;
  /** Only ever cited as `구 ○○법` (the law before an amendment). */
  former: boolean;
}

export interface LinkSource {
  case_number: string;
  court: string;
  holdings: string | null;
  summary: string | null;
  full_text: string;
  /** 참조조문 */
  statutes: string | null;
  /** 참조판례 */
  cited_cases: string | null;
}

const CONTEXT_CHARS = 60;
const squash = (s: string): string => s.replace(/\s+/gu, ' ').trim();

function contextOf(text: string, start: number, end: number): string {
  const from = Math.max(0, start - CONTEXT_CHARS);
  const to = Math.min(text.length, end + CONTEXT_CHARS);
  return `${from > 0 ? '…' : ''}${squash(text.slice(from, to))}${to < text.length ? '…' : ''}`;
}

/**
 * The decisions and statutes one decision refers to, from its 참조판례 and
 * 참조조문 fields and from full citations and statute references in its text.
 * A decision never cites itself (its own number in the text is not a link).
 */
export function extractLinks(r: LinkSource): { citations: CitationLink[]; statutes: StatuteLink[] } {
  const own = new Set(caseNumberKeys(r.case_number));
  const citations = new Map<string, CitationLink>();
  const cite = (text: string, fromReference: boolean): void => {
    const covered: [number, number][] = [];
    for (const c of findCitations(text)) {
      covered.push([c.start, c.end]);
      const written = squash(text.slice(c.start, c.end));
      const court = c.court ?? (/^(당원|본원)/u.test(written) ? r.court : null);
      for (const n of c.numbers) {
        if (own.has(n.normalized)) continue;
        const link = citations.get(n.normalized) ?? {
          key: n.normalized,
          court,
          date: c.date,
          citation: written,
          inReference: false,
          mentions: 0,
          context: null,
        };
        if (fromReference) link.inReference = true;
        else {
          link.mentions += 1;
          link.context ??= contextOf(text, c.start, c.end);
        }
        link.court ??= court;
        link.date ??= c.date;
        citations.set(n.normalized, link);
      }
    }
    // 참조판례 sometimes lists bare numbers (`2006다30440`); in running text a bare number is too often the case itself or a lower court's.
    if (!fromReference) return;
    for (const m of findCaseNumbers(text)) {
      if (covered.some(([s, e]) => m.start >= s && m.end <= e)) continue;
      for (const n of m.numbers) {
        if (own.has(n.normalized) || citations.has(n.normalized)) continue;
        citations.set(n.normalized, { key: n.normalized, court: null, date: null, citation: n.normalized, inReference: true, mentions: 0, context: null });
      }
    }
  };
  if (r.cited_cases) cite(r.cited_cases, true);
  const body = [r.holdings, r.summary, r.full_text].filter((s): s is string => !!s);
  for (const text of body) cite(text, false);

  const statutes = new Map<string, StatuteLink>();
  const apply = (text: string, fromReference: boolean): void => {
    for (const s of findStatutes(text)) {
      if (s.addendum) continue; // 부칙 articles name no stable provision across amendments
      const sub = s.articleSub ?? 0;
      const k = lawKey(s.law);
      const key = `${k}\u0000${s.article}\u0000${sub}`;
      const link = statutes.get(key) ?? { law: s.law, lawKey: k, article: s.article, articleSub: sub, inReference: false, mentions: 0, former: true };
      if (fromReference) link.inReference = true;
      else link.mentions += 1;
      link.former &&= s.former;
      statutes.set(key, link);
    }
  };
  if (r.statutes) apply(r.statutes, true);
  for (const text of body) apply(text, false);
  return { citations: [...citations.values()], statutes: [...statutes.values()] };
}

/** `제750조의2` style label of an article. */
export const articleLabel = (article: number, sub: number): string => `제${article}조${sub ? `의${sub}` : ''}`;

/**
 * Parses an article as people write it in a URL: `750`, `제750조`, `750의2`,
 * `제47조의2`, `750-2`. Null when it is not an article number.
 */
export function parseArticle(raw: string): { article: number; sub: number } | null {
  const m = /^\s*(?:제\s*)?([0-9]{1,5})\s*(?:조)?\s*(?:(?:의|-)\s*([0-9]{1,3}))?\s*$/u.exec(raw.normalize('NFKC'));
  if (!m) return null;
  const article = Number(m[1]);
  const sub = m[2] ? Number(m[2]) : 0;
  return article >= 1 ? { article, sub } : null;
}
