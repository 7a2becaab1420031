import { Type } from 'typebox';
import { E } from '../errors/index.js';
import type { ParamErrors } from './errors.js';
import { CASE_TYPES } from '../corpus/index.js';
import { COURT_LEVELS } from '../legal/index.js';

/** The error body every 4xx/5xx response has. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: '안정된 오류 코드 (ALAW_ERR_…). 프로그램은 이 값으로 분기합니다.' }),
      message: Type.String({ description: '사람이 읽을 한국어 설명' }),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
    request_id: Type.String(),
  },
  { $id: 'ErrorBody', description: '오류 응답' },
);

const StringOrList = (description: string) => Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 50 })], { description }));

const searchFields = {
  page: Type.Optional(Type.Integer({ minimum: 1, description: '페이지 (1부터)' })),
  size: Type.Optional(Type.Integer({ minimum: 1, description: '페이지당 건수 (기본 10, 최대 100)' })),
  sort: Type.Optional(
    Type.Union([Type.Literal('relevance'), Type.Literal('date'), Type.Literal('date_asc')], { description: '관련도순(기본), 최신순, 오래된순' }),
  ),
  mode: Type.Optional(
    Type.Union([Type.Literal('auto'), Type.Literal('all'), Type.Literal('similar')], {
      description: 'auto(기본): 짧은 검색어는 모든 낱말 포함(all), 긴 사건 설명은 유사 판례(similar)',
    }),
  ),
  court: StringOrList('법원명 (정확한 이름 또는 일부, 쉼표로 여러 개)'),
  court_level: StringOrList(`법원 종류: ${COURT_LEVELS.join(', ')}`),
  case_type: StringOrList(`사건 종류: ${CASE_TYPES.join(', ')}`),
  date_from: Type.Optional(Type.String({ description: '선고일 시작 (YYYY, YYYY-MM, YYYY-MM-DD)', examples: ['1990-01-01'] })),
  date_to: Type.Optional(Type.String({ description: '선고일 끝 (YYYY, YYYY-MM, YYYY-MM-DD)', examples: ['2000'] })),
  snippets: Type.Optional(Type.Boolean({ description: '하이라이트 발췌 포함 (기본 true)' })),
};

/**
 * GET parameters. Unknown ones are rejected (a misspelt filter must not
 * silently do nothing). page, size and snippets arrive as text and are checked
 * by the search parser itself, so `size=0x10` or `size=1e2` is an error rather
 * than a number the schema's type coercion made of it.
 */
export const SearchQuerystring = Type.Object(
  {
    q: Type.String({ description: '검색어, 사건번호, 판례 인용, 또는 사건 설명 (최대 5,000자; 긴 글은 POST)', examples: ['취득시효 완성 후 소유권이전등기'] }),
    ...searchFields,
    page: Type.Optional(Type.String({ description: '페이지 (1부터, 정수)', examples: ['1'] })),
    size: Type.Optional(Type.String({ description: '페이지당 건수 (정수, 기본 10, 최대 100)', examples: ['10'] })),
    snippets: Type.Optional(Type.String({ description: '하이라이트 발췌 포함: true(기본)/false (1/0, yes/no도 가능)' })),
  },
  { additionalProperties: false },
);

export const SearchBody = Type.Object(
  {
    q: Type.String({ description: '검색어 또는 긴 사건 설명 (GET의 URL 길이 제한을 피할 때)' }),
    ...searchFields,
  },
  { additionalProperties: false },
);

/** The catalog entry of each invalid search parameter (used when schema validation rejects it). */
export const SEARCH_PARAM_ERRORS: ParamErrors = {
  q: E.SEARCH_QUERY_INVALID,
  'q.required': E.SEARCH_QUERY_EMPTY,
  page: E.SEARCH_PAGE_INVALID,
  size: E.SEARCH_SIZE_INVALID,
  sort: E.SEARCH_SORT_INVALID,
  mode: E.SEARCH_MODE_INVALID,
  court: E.SEARCH_FILTER_INVALID,
  court_level: E.SEARCH_COURT_LEVEL_INVALID,
  case_type: E.SEARCH_CASE_TYPE_INVALID,
  date_from: E.SEARCH_DATE_INVALID,
  date_to: E.SEARCH_DATE_INVALID,
  snippets: E.SEARCH_FILTER_INVALID,
};

export const SearchHitSchema = Type.Object({
  id: Type.String(),
  case_number: Type.String({ description: '사건번호' }),
  court: Type.String({ description: '법원명' }),
  court_level: Type.String({ description: '법원 종류' }),
  decision_date: Type.Union([Type.String(), Type.Null()], { description: '선고일자 (YYYY-MM-DD)' }),
  case_name: Type.String({ description: '사건명' }),
  case_type: Type.String({ description: '사건 종류' }),
  score: Type.Number({ description: 'BM25F 점수' }),
  match: Type.Union([Type.Literal('case_number'), Type.Literal('text')], { description: 'case_number: 검색어의 사건번호와 일치, text: 본문 검색' }),
  snippet: Type.Optional(Type.String({ description: '일치한 낱말을 <mark>로 표시한 발췌 (HTML 이스케이프됨)' })),
});

export const SearchResponseSchema = Type.Object({
  query: Type.String(),
  mode: Type.Union([Type.Literal('all'), Type.Literal('similar')]),
  relaxed: Type.Boolean({ description: '모든 낱말을 포함한 판례가 없어 일부 일치로 완화했는지' }),
  total: Type.Integer(),
  total_relation: Type.Union([Type.Literal('eq'), Type.Literal('gte')], { description: 'eq: 정확한 건수, gte: 최소 건수(유사 판례 검색)' }),
  page: Type.Integer(),
  size: Type.Integer(),
  total_pages: Type.Union([Type.Integer(), Type.Null()]),
  sort: Type.String(),
  took_ms: Type.Number(),
  query_terms: Type.Object({ used: Type.Integer(), dropped: Type.Integer(), case_numbers: Type.Array(Type.String()) }),
  notices: Type.Array(Type.String(), { description: '검색 방식에 대한 안내 (사건번호 없음, 일부 일치로 완화 등)' }),
  hits: Type.Array(SearchHitSchema),
});

export const PrecedentSchema = Type.Object({
  id: Type.String(),
  case_number: Type.String({ description: '사건번호' }),
  court: Type.String({ description: '법원명' }),
  decision_date: Type.Union([Type.String(), Type.Null()], { description: '선고일자' }),
  case_name: Type.String({ description: '사건명' }),
  case_type: Type.String({ description: '사건종류' }),
  holdings: Type.Union([Type.String(), Type.Null()], { description: '판시사항' }),
  summary: Type.Union([Type.String(), Type.Null()], { description: '판결요지' }),
  statutes: Type.Union([Type.String(), Type.Null()], { description: '참조조문' }),
  cited_cases: Type.Union([Type.String(), Type.Null()], { description: '참조판례' }),
  full_text: Type.String({ description: '판례내용 (주문, 이유)' }),
  source: Type.Union([Type.String(), Type.Null()]),
});

export const PrecedentSummarySchema = Type.Object({
  id: Type.String(),
  case_number: Type.String(),
  court: Type.String(),
  decision_date: Type.Union([Type.String(), Type.Null()]),
  case_name: Type.String(),
  case_type: Type.String(),
});
