/** Case types the service knows. 기타 covers 선거·특별 and unclassified records. */
export const CASE_TYPES = ['민사', '형사', '행정', '가사', '특허', '기타'] as const;
export type CaseType = (typeof CASE_TYPES)[number];

/**
 * One court decision, in our schema (the bundled corpus's JSONL schema).
 * Text fields are stored as published; normalization for retrieval happens in
 * the search index only.
 */
export interface Precedent {
  /** Stable id (`lawydot-…` for the bundled corpus, `lawgo-<판례일련번호>` or `kr-…` for imports). */
  id: string;
  /** 사건번호 as published (`2006다26243`, `(제주)2014나1166`). */
  case_number: string;
  /** 법원명, abbreviations expanded. */
  court: string;
  /** 선고일자, ISO `YYYY-MM-DD`, or null when unknown. */
  decision_date: string | null;
  /** 사건명. */
  case_name: string;
  case_type: CaseType;
  /** 판시사항 (several items separated by newlines). */
  holdings: string | null;
  /** 판결요지. */
  summary: string | null;
  /** 참조조문. */
  statutes: string | null;
  /** 참조판례. */
  cited_cases: string | null;
  /** 판례내용: 【주문】 and 【이유】. */
  full_text: string;
  /** Where the record came from (repository, file or API). */
  source: string | null;
}

/** Field limits enforced on import, characters. The largest real decision is ~156k. */
export const FIELD_LIMITS = {
  id: 100,
  case_number: 200,
  court: 100,
  case_name: 1000,
  holdings: 100_000,
  summary: 100_000,
  statutes: 20_000,
  cited_cases: 20_000,
  full_text: 2_000_000,
  source: 500,
} as const;
