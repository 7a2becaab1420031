import { CASE_TYPES, type Precedent } from '../corpus/index.js';
import { E } from '../errors/index.js';
import { classifyDisposition, dispositionText, findCaseNumbers, findStatutes, formatCitation, fullLawName, lawKey, type Outcome } from '../legal/index.js';
import type { SearchEngine } from '../search/index.js';
import { isBlankText } from '../text/index.js';

/**
 * The extractive case analysis (issue 4), without a language model:
 * 1. extract statutes, case numbers, amounts, dates and party roles from the description;
 * 2. retrieve the most similar decisions (the engine's similar-case mode);
 * 3. aggregate their legal issues (판시사항), the statutes they apply, and how they ended (주문);
 * 4. report: structured JSON and a Korean Markdown report, every claim linked to its decision.
 *
 * The optional model write-up comes after it (narrative.ts, run by app/analysisService.ts).
 */

export interface AnalysisInput {
  description: string;
  /** 민사, 형사, 행정, 가사, 특허: restricts the retrieved decisions. */
  case_type?: string;
  /** How many similar decisions to read (default 10, at most 30). */
  limit?: number;
}

/** A decision a claim of the analysis comes from, with its similarity score. */
export type DecisionRef = Pick<Precedent, 'id' | 'case_number' | 'court' | 'decision_date' | 'case_name' | 'case_type'> & { score: number };

export interface AnalysisResult {
  extracted: {
    statutes: string[];
    case_numbers: string[];
    amounts: { text: string; won: number }[];
    dates: string[];
    parties: Record<string, number>;
  };
  similar: (DecisionRef & { holdings: string | null; outcomes: Outcome[]; disposition: string | null })[];
  issues: { text: string; decision: DecisionRef }[];
  /** Substantive provisions first (by weight), then procedural ones (costs, appeal disposal …). */
  statutes: { key: string; weight: number; decisions: string[]; in_description: boolean; procedural: boolean }[];
  outcomes: { outcome: Outcome; count: number; decisions: string[] }[];
  report_markdown: string;
}

/**
 * Provisions nearly every judgment of a kind cites for its own mechanics — costs, provisional
 * execution, how an appeal is disposed of, custody credit, suspension — rather than for the legal
 * issue. They are listed after the substantive ones. (Article numbers before and after the 2002
 * 민사소송법 revision are both included.)
 */
const PROCEDURAL: Record<string, readonly number[]> = {
  민사소송법: [89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 199, 213, 384, 385, 386, 390, 400, 407, 414, 415, 416, 417, 420, 425, 429, 430, 436],
  형사소송법: [186, 187, 191, 321, 325, 326, 327, 328, 334, 364, 368, 369, 370, 371, 382, 383, 390, 391, 396, 397, 398, 399, 400],
  형법: [57, 62, 69, 70],
};

/** One group per provision however its law is spelled: the law key and the rest of the reference (`제5조의3`, `부칙 제2조`). */
const groupOf = (law: string, key: string): string => `${lawKey(law)}|${key.slice(key.indexOf(law) + law.length).replace(/\s+/gu, '')}`;

/** True for a cost, appeal-disposal or sentencing-mechanics provision (see {@link PROCEDURAL}). */
export function isProceduralProvision(law: string, article: number): boolean {
  return PROCEDURAL[lawKey(law)]?.includes(article) ?? false;
}

const PARTY_ROLES = [
  '원고',
  '피고',
  '피고인',
  '피해자',
  '채권자',
  '채무자',
  '임대인',
  '임차인',
  '매도인',
  '매수인',
  '상속인',
  '근로자',
  '사용자',
  '신청인',
  '피신청인',
  '청구인',
];
const UNIT: Record<string, number> = { '': 1, 천: 1e3, 만: 1e4, 백만: 1e6, 천만: 1e7, 억: 1e8, 조: 1e12 };

/** `금 50,000,000원`, `3억 5천만 원`, `1,500만원` → won. */
export function findAmounts(text: string): { text: string; won: number }[] {
  const out: { text: string; won: number }[] = [];
  const re = /(?:금\s*)?((?:\d[\d,]*\s*(?:조|억|천만|백만|만|천)?\s*)+)원/gu;
  for (const m of text.matchAll(re)) {
    let won = 0;
    for (const part of m[1]!.replace(/\s+/gu, '').matchAll(/([\d,]+)(조|억|천만|백만|만|천)?/gu)) {
      won += Number(part[1]!.replace(/,/gu, '')) * UNIT[part[2] ?? '']!;
    }
    if (won > 0) out.push({ text: m[0].trim(), won });
  }
  return out;
}

/** `2020. 3. 1.`, `2020-03-01`, `2020년 3월 1일` → ISO dates. */
export function findDates(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/((?:19|20)\d{2})\s*(?:\.|년|-)\s*(\d{1,2})\s*(?:\.|월|-)\s*(\d{1,2})\s*(?:\.|일)?/gu)) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (mo >= 1 && mo <= 12 && d >= 1 && d <= 31) out.add(`${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`);
  }
  return [...out];
}

function partyRoles(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const role of PARTY_ROLES) {
    // `피고` must not count inside `피고인`.
    const n = [...text.matchAll(new RegExp(`${role}(?!인|측)`, 'gu'))].length;
    if (n > 0) out[role] = n;
  }
  return out;
}

const ref = (p: Precedent, score: number): DecisionRef => ({
  id: p.id,
  case_number: p.case_number,
  court: p.court,
  decision_date: p.decision_date,
  case_name: p.case_name,
  case_type: p.case_type,
  score,
});

const cite = (d: DecisionRef): string => formatCitation(d);

export type AnalysisStage = 'extracting' | 'retrieving' | 'analyzing';

/** Bounds of a case description, in characters after trimming. */
export const DESCRIPTION_CHARS = { min: 20, max: 20_000 } as const;

/**
 * The description an analysis works on (trimmed), or the error that refuses it: blank (white space and
 * invisible characters only, ANALYSIS_DESCRIPTION_BLANK) or out of bounds once trimmed
 * (ANALYSIS_DESCRIPTION_LENGTH). The HTTP route checks it before a task is created, so a description
 * the analysis would refuse is never queued.
 */
export function checkDescription(raw: string): string {
  if (isBlankText(raw)) throw E.ANALYSIS_DESCRIPTION_BLANK.error({ parameter: 'description' });
  const description = raw.trim();
  const { min, max } = DESCRIPTION_CHARS;
  if (description.length < min || description.length > max) {
    throw E.ANALYSIS_DESCRIPTION_LENGTH.error({ length: description.length, min, max }, { parameter: 'description', min, max });
  }
  return description;
}

/** Runs the extractive analysis over the loaded engine; `load` reads a whole decision; `onStage` hears each stage as it starts. */
export async function analyzeCase(
  engine: SearchEngine,
  load: (id: string) => Promise<Precedent | undefined>,
  input: AnalysisInput,
  onStage: (stage: AnalysisStage) => Promise<void> | void = () => undefined,
): Promise<AnalysisResult> {
  const description = checkDescription(input.description);
  if (input.case_type !== undefined && !(CASE_TYPES as readonly string[]).includes(input.case_type)) {
    throw E.ANALYSIS_CASE_TYPE_INVALID.error({ option: 'case_type', value: input.case_type, allowed: CASE_TYPES }, { parameter: 'case_type' });
  }
  const limit = Math.min(30, Math.max(1, input.limit ?? 10));
  await onStage('extracting');
  const extractedStatutes = [...new Set(findStatutes(description).map((r) => r.key))];
  const extracted = {
    statutes: extractedStatutes,
    case_numbers: [...new Set(findCaseNumbers(description, { loose: true }).flatMap((m) => m.numbers.map((n) => n.normalized)))],
    amounts: findAmounts(description),
    dates: findDates(description),
    parties: partyRoles(description),
  };

  await onStage('retrieving');
  const hits = engine.run({
    q: description.slice(0, engine.settings.maxQueryChars),
    page: 1,
    size: limit,
    sort: 'relevance',
    mode: 'similar',
    courts: [],
    courtLevels: [],
    caseTypes: input.case_type ? [input.case_type] : [],
    dateFrom: 0,
    dateTo: 0,
    snippets: false,
  }).hits;
  const similar: AnalysisResult['similar'] = [];
  const loaded = new Map<string, Precedent>();
  for (const h of hits) {
    const p = await load(h.id);
    if (!p) continue;
    loaded.set(p.id, p);
    const disposition = dispositionText(p.full_text);
    similar.push({ ...ref(p, h.score), holdings: p.holdings, outcomes: disposition ? classifyDisposition(disposition) : [], disposition });
  }

  await onStage('analyzing');
  const issues = similar
    .filter((s) => s.holdings)
    .slice(0, 5)
    .map((s) => ({
      text: s
        .holdings!.split('\n')[0]!
        .replace(/^\s*\[\d+\]\s*/u, '')
        .trim(),
      decision: ref(loaded.get(s.id)!, s.score),
    }));

  // Statutes the similar decisions apply, weighted by how similar each decision is (once per decision).
  const top = similar[0]?.score ?? 1;
  // Grouped by law key: decisions write `건축법시행령` and `건축법 시행령`, `특가법` and `특정범죄 가중처벌 등에 관한 법률`
  // for the same law; a short name is shown by its full name.
  const byKey = new Map<string, { key: string; weight: number; decisions: string[]; procedural: boolean }>();
  for (const s of similar) {
    const p = loaded.get(s.id);
    const refs = findStatutes(`${p?.statutes ?? ''}\n${p?.full_text ?? ''}`);
    const keys = new Map(
      refs.map((r) => [
        groupOf(r.law, r.key),
        { key: r.key.replace(r.law, fullLawName(r.law)), procedural: !r.addendum && isProceduralProvision(r.law, r.article) },
      ]),
    );
    for (const [group, { key, procedural }] of keys) {
      const e = byKey.get(group) ?? { key, weight: 0, decisions: [], procedural };
      e.weight += s.score / top;
      e.decisions.push(s.case_number);
      byKey.set(group, e);
    }
  }
  const described = new Set(findStatutes(description).map((r) => groupOf(r.law, r.key)));
  const statutes = [...byKey]
    .map(([group, { key, ...e }]) => ({
      key,
      weight: Math.round(e.weight * 100) / 100,
      decisions: e.decisions,
      in_description: described.has(group),
      procedural: e.procedural,
    }))
    .sort((a, b) => Number(a.procedural) - Number(b.procedural) || b.weight - a.weight || a.key.localeCompare(b.key))
    .slice(0, 15);

  const byOutcome = new Map<Outcome, string[]>();
  for (const s of similar) for (const o of s.outcomes) byOutcome.set(o, [...(byOutcome.get(o) ?? []), s.case_number]);
  const outcomes = [...byOutcome].map(([outcome, decisions]) => ({ outcome, count: decisions.length, decisions })).sort((a, b) => b.count - a.count);

  const result: Omit<AnalysisResult, 'report_markdown'> = { extracted, similar, issues, statutes, outcomes };
  return { ...result, report_markdown: reportMarkdown(result) };
}

/** The Korean report: every claim names the decision (court, date, case number) it comes from. */
export function reportMarkdown(r: Omit<AnalysisResult, 'report_markdown'>): string {
  const lines: string[] = ['# 사건 분석 (유사 판례 기반)', ''];
  lines.push('## 사건 설명에서 찾은 것', '');
  lines.push(`- 법조문: ${r.extracted.statutes.length ? r.extracted.statutes.join(', ') : '없음'}`);
  lines.push(`- 사건번호: ${r.extracted.case_numbers.length ? r.extracted.case_numbers.join(', ') : '없음'}`);
  lines.push(`- 금액: ${r.extracted.amounts.length ? r.extracted.amounts.map((a) => `${a.text}(${a.won.toLocaleString('ko-KR')}원)`).join(', ') : '없음'}`);
  lines.push(`- 날짜: ${r.extracted.dates.length ? r.extracted.dates.join(', ') : '없음'}`);
  const parties = Object.entries(r.extracted.parties);
  lines.push(`- 당사자 표현: ${parties.length ? parties.map(([k, v]) => `${k} ${v}회`).join(', ') : '없음'}`, '');
  lines.push('## 유사 판례', '');
  if (r.similar.length === 0) lines.push('비슷한 판례를 찾지 못했습니다.', '');
  r.similar.forEach((s, i) =>
    lines.push(`${i + 1}. ${cite(s)} ${s.case_name} — ${s.outcomes.length ? s.outcomes.join('·') : '결과 미상'} (유사도 ${s.score.toFixed(2)})`),
  );
  lines.push('', '## 쟁점 (가까운 판례의 판시사항)', '');
  for (const it of r.issues) lines.push(`- ${it.text} — ${cite(it.decision)}`);
  if (r.issues.length === 0) lines.push('- 판시사항이 있는 유사 판례가 없습니다.');
  lines.push('', '## 적용 법조문 (유사 판례에서, 유사도 가중)', '');
  for (const s of r.statutes)
    lines.push(`- ${s.key}${s.in_description ? ' (사건 설명에도 있음)' : ''}${s.procedural ? ' (절차 규정)' : ''}: ${s.decisions.join(', ')}`);
  if (r.statutes.length === 0) lines.push('- 유사 판례에서 법조문을 찾지 못했습니다.');
  lines.push('', '## 비슷한 사건의 결과', '');
  for (const o of r.outcomes) lines.push(`- ${o.outcome} ${o.count}건: ${o.decisions.join(', ')}`);
  if (r.outcomes.length === 0) lines.push('- 주문에서 결과를 읽지 못했습니다.');
  lines.push('', '> 이 보고서는 검색된 판례에서 뽑은 내용이며 법률 자문이 아닙니다. 각 항목의 판례 원문을 확인하세요.');
  return lines.join('\n');
}
