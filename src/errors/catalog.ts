import { AlawError, ErrorSpec, EXIT, type EntryDefinition, type ErrorDetails, type Surface } from './spec.js';

/**
 * THE error catalog: every error the service or `alaw` can report, declared
 * once — stable code, HTTP status, Korean message (a function of typed values
 * when it names them) and a one-line description that docs/API.md's error
 * table is generated from (`npm run docs:errors`, checked by
 * test/errors.catalog.test.ts). Code elsewhere refers to `E.<NAME>` and never
 * writes a code as a string; the code of entry `<NAME>` is `ALAW_ERR_<NAME>`.
 *
 * Messages say what happened and what to do, in Korean, without internals.
 */

/** Declares one entry; `P` is the type of the values its message names. */
function entry<P = void>(def: EntryDefinition<P>): EntryDefinition<P> & { readonly __params?: P } {
  return def;
}

const API: readonly Surface[] = ['api'];
const API_CLI: readonly Surface[] = ['api', 'cli'];
const CLI: readonly Surface[] = ['cli'];
const TASK: readonly Surface[] = ['task'];
const API_TASK: readonly Surface[] = ['api', 'task'];
const IMPORT: readonly Surface[] = ['import', 'cli'];
const STARTUP: readonly Surface[] = ['startup', 'cli'];
const NARRATIVE: readonly Surface[] = ['narrative'];
const EDGE: readonly Surface[] = ['edge'];

const n = (x: number): string => x.toLocaleString('ko-KR');
const quoted = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** What a schema violation says: where, which parameter, and why (the why is phrased by the HTTP layer). */
export interface ValidationFailure {
  where: '요청 값' | '요청 본문' | '경로';
  parameter: string;
  why: string;
}

/** The sentence of every schema violation, whichever code the route gives the parameter. */
export function validationMessage(v: ValidationFailure): string {
  return `${v.where}이 올바르지 않습니다: ${v.parameter ? `${v.parameter} — ` : ''}${v.why}.`;
}

/** The page and size parameters of searches: an integer within bounds. */
const integerRange = (p: { name: string; min: number; max: number; value: unknown }): string =>
  `${p.name}는 ${n(p.min)} 이상 ${n(p.max)} 이하의 정수여야 합니다 (받은 값: ${quoted(p.value)}).`;

/** A task type as people say it. */
type TypeName = string;

const DEFINITIONS = {
  // ------------------------------------------------------------------ HTTP requests
  REQUEST_INVALID: entry({
    status: 400,
    surfaces: API,
    description:
      '그 밖의 요청 형식 오류: 알 수 없는 매개변수(GET도, 예: `foo=bar`, `court_level[]=…`), JSON 본문의 형식(숫자 자리에 문자열 등; 본문은 형 변환하지 않음)',
    message: '요청을 처리할 수 없습니다. 요청 형식을 확인해 주세요.',
  }),
  REQUEST_JSON: entry({
    status: 400,
    surfaces: API,
    description: '요청 본문이 올바른 JSON이 아님',
    message: '요청 본문이 올바른 JSON이 아닙니다.',
  }),
  REQUEST_MALFORMED: entry<{ problem: 'http' | 'percent_encoding' }>({
    status: 400,
    surfaces: API,
    description: 'HTTP 요청 자체가 잘못됨 (예: URL의 공백, 잘못된 퍼센트 인코딩 `%E0%A4%A`)',
    message: (p) =>
      p.problem === 'percent_encoding'
        ? 'URL의 퍼센트 인코딩이 잘못되었습니다 (%와 16진수 두 자리, UTF-8). curl -G --data-urlencode 를 쓰면 올바르게 인코딩됩니다.'
        : '잘못된 HTTP 요청입니다. URL의 공백과 한글은 퍼센트 인코딩해 주세요 (curl -G --data-urlencode).',
  }),
  REQUEST_TOO_LARGE: entry<{ maxBytes: number }>({
    status: 413,
    surfaces: API,
    description: '요청 본문이 너무 큼 (기본 1 MB)',
    message: (p) => `요청 본문이 너무 큽니다 (최대 ${n(p.maxBytes)}바이트). 긴 사건 설명은 20,000자까지 받습니다.`,
  }),
  REQUEST_PATH_TOO_LONG: entry<{ max: number }>({
    status: 414,
    surfaces: API,
    description: '경로의 값(판례 id, 법령 이름 등)이 100자를 넘음',
    message: (p) => `경로의 값이 너무 깁니다 (최대 ${n(p.max)}자). 판례 id나 법령 이름을 확인해 주세요.`,
  }),
  REQUEST_TOO_LONG: entry<{ maxKb: number }>({
    status: 431,
    surfaces: API,
    description: 'URL이나 헤더가 너무 김 (GET 검색어는 최대 글자 수 5,000자까지 받으며, 그보다 긴 URL은 POST /api/search 본문으로)',
    message: (p) =>
      `요청 URL이나 헤더가 너무 깁니다 (최대 ${n(p.maxKb)}KB; 한글 한 글자는 URL에서 9바이트). 긴 검색어나 사건 설명은 POST /api/search 의 JSON 본문({"q": "…"})으로 보내 주세요.`,
  }),
  REQUEST_TIMEOUT: entry({
    status: 408,
    surfaces: API,
    description: '요청을 제한 시간 안에 다 보내지 않음 (헤더 10초, 본문까지 30초); 연결을 닫음',
    message: '요청을 제한 시간 안에 다 받지 못해 연결을 닫습니다. 네트워크를 확인하고 다시 요청해 주세요.',
  }),
  REQUEST_MEDIA_TYPE: entry({
    status: 415,
    surfaces: API,
    description: 'JSON이 아닌 본문 (text/plain, 폼 등)',
    message: '지원하지 않는 Content-Type입니다. application/json으로 보내 주세요.',
  }),
  METHOD_NOT_ALLOWED: entry<{ method: string; path: string; allowed: readonly string[] }>({
    status: 405,
    surfaces: API,
    description: '있는 경로에 그 경로가 받지 않는 메서드로 요청함 (`Allow` 헤더에 받는 메서드)',
    message: (p) => `${p.path}은(는) ${p.method} 요청을 받지 않습니다. 쓸 수 있는 메서드: ${p.allowed.join(', ')}. API 문서는 /docs 에 있습니다.`,
  }),
  NOT_FOUND: entry<{ method: string; path: string }>({
    status: 404,
    surfaces: API,
    description: '없는 경로',
    message: (p) => `${p.method} ${p.path} 경로가 없습니다. API 문서는 /docs 에 있습니다.`,
  }),
  RATE_LIMITED: entry<{ max: number; windowS: number; retryS: number }>({
    status: 429,
    surfaces: API,
    description: '한 키(키가 없으면 한 주소)의 요청이 너무 많음 (`Retry-After` 헤더; 기본 10초에 300건)',
    message: (p) => `요청이 너무 많습니다 (${n(p.windowS)}초에 ${n(p.max)}건까지). ${n(p.retryS)}초 후 다시 시도해 주세요.`,
  }),
  UPSTREAM_UNAVAILABLE: entry({
    status: 502,
    surfaces: EDGE,
    description: 'nginx 뒤의 서비스 인스턴스가 모두 응답하지 않음 (`Retry-After`; nginx가 직접 답함, deploy/nginx)',
    message: '지금 응답할 수 있는 서버가 없습니다. 잠시 후 다시 시도해 주세요.',
  }),
  SERVER_STOPPING: entry({
    status: 503,
    surfaces: API,
    description:
      '서버(인스턴스)가 종료·재배포 중: SIGTERM 뒤 유예 시간 동안 새 요청에 답함 (`Retry-After: 5`, `Connection: close`; 헬스체크는 503, /metrics는 그대로)',
    message: '서버가 종료(재배포) 중입니다. 잠시 후 다시 시도해 주세요. 다른 인스턴스가 있으면 로드 밸런서가 그쪽으로 보냅니다.',
  }),
  INTERNAL: entry({
    status: 500,
    surfaces: API_CLI,
    description: '서버 내부 오류 (로그에 request_id와 함께 기록)',
    message: '서버 내부 오류가 발생했습니다. 잠시 후 다시 시도하고, 계속되면 관리자에게 request_id를 알려 주세요.',
  }),

  // ------------------------------------------------------------------ API keys
  AUTH_REQUIRED: entry<{ admin: boolean }>({
    status: 401,
    surfaces: API,
    description: 'API 키가 없음 (`Authorization: Bearer <키>` 또는 `X-API-Key`); 관리 작업에는 관리자 키',
    headers: { 'WWW-Authenticate': 'Bearer realm="alaw"' },
    message: (p) =>
      p.admin
        ? '관리자 키가 필요합니다. 서버에서 `npx alaw keys create --role admin --name 이름`으로 관리자 키를 만들거나 ALAW_ADMIN_TOKEN(16자 이상)을 설정하고 Authorization: Bearer <키> 헤더로 요청하세요. 서버에 접속할 수 있다면 `npx alaw queue clear --type search --yes`(전부는 `--all --yes`)로도 비울 수 있습니다.'
        : 'API 키가 필요합니다. Authorization: Bearer <키> (또는 X-API-Key: <키>) 헤더를 보내 주세요. 키는 관리자가 서버에서 `npx alaw keys create`로 만듭니다.',
  }),
  AUTH_INVALID: entry({
    status: 401,
    surfaces: API,
    description: '키가 올바르지 않거나 폐기됨',
    headers: { 'WWW-Authenticate': 'Bearer realm="alaw", error="invalid_token"' },
    message: 'API 키가 올바르지 않거나 폐기되었습니다. 관리자에게 새 키를 받으세요.',
  }),
  AUTH_FORBIDDEN: entry({
    status: 403,
    surfaces: API,
    description: '관리자 키가 아님',
    message: '이 작업은 관리자 키로만 할 수 있습니다.',
  }),
  AUTH_NOT_CONFIGURED: entry({
    status: 403,
    surfaces: API,
    description: '키가 하나도 없어 같은 컴퓨터의 요청만 받음',
    message:
      'API 키가 하나도 없어 이 서버는 같은 컴퓨터(127.0.0.1)에서 온 요청만 받습니다. 서버에서 `npx alaw keys create --name 이름`으로 키를 만든 뒤 Authorization: Bearer <키> 헤더로 요청하세요.',
  }),
  AUTH_HOST_NOT_LOCAL: entry({
    status: 403,
    surfaces: API,
    description: '키 없이 들어온 요청의 Host 헤더가 이 컴퓨터의 이름이 아님 (DNS 리바인딩 방지)',
    message:
      '키 없이 받는 요청은 Host 헤더가 이 컴퓨터의 이름(localhost, 127.0.0.1, [::1])이어야 합니다. 다른 이름으로 접속하려면 서버에서 `npx alaw keys create --name 이름`으로 키를 만들어 Authorization: Bearer <키> 헤더로 요청하세요.',
  }),
  AUTH_UNAVAILABLE: entry({
    status: 503,
    surfaces: API,
    description: '키를 확인할 데이터베이스에 접근할 수 없음',
    message: 'API 키를 확인할 데이터베이스에 접근할 수 없습니다. 잠시 후 다시 시도하세요.',
  }),

  // ------------------------------------------------------------------ search
  SEARCH_QUERY_INVALID: entry({
    status: 400,
    surfaces: API,
    description: '검색어가 문자열이 아님',
    message: '검색어(q)는 문자열이어야 합니다.',
  }),
  SEARCH_QUERY_EMPTY: entry<{ reason: 'missing' | 'no_letters' }>({
    status: 400,
    surfaces: API_CLI,
    description: '검색어가 없거나 글자·숫자가 없음',
    message: (p) => (p.reason === 'missing' ? '검색어(q)를 입력해 주세요.' : '검색어에 글자나 숫자가 없습니다. 찾을 낱말을 입력해 주세요.'),
  }),
  SEARCH_QUERY_TOO_LONG: entry<{ length: number; max: number }>({
    status: 400,
    surfaces: API_CLI,
    description: '검색어가 최대 길이(기본 5,000자)를 넘음',
    message: (p) => `검색어가 너무 깁니다 (${n(p.length)}자). ${n(p.max)}자 이하로 줄여 주세요.`,
  }),
  SEARCH_PAGE_INVALID: entry<{ name: string; min: number; max: number; value: unknown }>({
    status: 400,
    surfaces: API_CLI,
    description: 'page가 1 이상의 정수가 아님',
    message: integerRange,
  }),
  SEARCH_SIZE_INVALID: entry<{ name: string; min: number; max: number; value: unknown }>({
    status: 400,
    surfaces: API_CLI,
    description: 'size가 1–100이 아님',
    message: integerRange,
  }),
  SEARCH_PAGE_OUT_OF_RANGE: entry<{ kind: 'window'; window: number; page: number; size: number } | { kind: 'last'; page: number; last: number }>({
    status: 400,
    surfaces: API_CLI,
    description: '마지막 페이지를 넘었거나, 앞에서 1,000건(page×size)을 넘는 위치',
    message: (p) =>
      p.kind === 'window'
        ? `검색 결과는 앞에서부터 ${n(p.window)}건까지만 볼 수 있습니다 (요청: ${p.page}페이지 × ${p.size}건). 검색어나 필터로 범위를 좁혀 주세요.`
        : `${p.page}페이지는 없습니다. 이 검색의 결과는 ${p.last}페이지까지입니다.`,
  }),
  SEARCH_SORT_INVALID: entry<{ value: unknown }>({
    status: 400,
    surfaces: API_CLI,
    description: '허용되지 않은 sort',
    message: (p) => `sort는 relevance(관련도), date(최신순), date_asc(오래된순) 중 하나여야 합니다 (받은 값: ${quoted(p.value)}).`,
  }),
  SEARCH_MODE_INVALID: entry<{ value: unknown }>({
    status: 400,
    surfaces: API_CLI,
    description: '허용되지 않은 mode',
    message: (p) => `mode는 auto, all(모든 낱말 포함), similar(유사 판례) 중 하나여야 합니다 (받은 값: ${quoted(p.value)}).`,
  }),
  SEARCH_CASE_TYPE_INVALID: entry<{ value: string; allowed: readonly string[] }>({
    status: 400,
    surfaces: API_CLI,
    description: '허용되지 않은 사건 종류',
    message: (p) => `case_type은 ${p.allowed.join(', ')} 중에서 골라 주세요 (받은 값: ${quoted(p.value)}).`,
  }),
  SEARCH_COURT_LEVEL_INVALID: entry<{ value: string; allowed: readonly string[] }>({
    status: 400,
    surfaces: API_CLI,
    description: '허용되지 않은 법원 종류',
    message: (p) => `court_level은 ${p.allowed.join(', ')} 중에서 골라 주세요 (받은 값: ${quoted(p.value)}).`,
  }),
  SEARCH_COURT_UNKNOWN: entry<{ court: string }>({
    status: 400,
    surfaces: API_CLI,
    description: '그런 이름(또는 일부)의 법원 판례가 없음',
    message: (p) => `'${p.court}' 법원의 판례가 없습니다. 법원명(예: 대법원, 서울고등법원)이나 그 일부를 입력해 주세요.`,
  }),
  SEARCH_DATE_INVALID: entry<{ name: string; value: unknown }>({
    status: 400,
    surfaces: API_CLI,
    description: 'date_from/date_to 형식 오류',
    message: (p) => `${p.name}의 날짜 형식이 올바르지 않습니다 (받은 값: ${quoted(p.value)}). 예: 2010, 2010-03, 2010-03-15, 2010. 3. 15.`,
  }),
  SEARCH_DATE_RANGE: entry<{ from: string; to: string }>({
    status: 400,
    surfaces: API_CLI,
    description: 'date_from이 date_to보다 늦음',
    message: (p) => `date_from(${p.from})이 date_to(${p.to})보다 늦습니다.`,
  }),
  SEARCH_FILTER_INVALID: entry<{ name: string; value: unknown }>({
    status: 400,
    surfaces: API_CLI,
    description: '필터 값의 형식 오류 (court는 문자열, snippets는 true/false, 1/0, yes/no)',
    message: (p) => `${p.name}는 true 또는 false여야 합니다 (받은 값: ${quoted(p.value)}).`,
  }),
  SEARCH_EXPLAIN_ID: entry({
    status: 400,
    surfaces: API,
    description: '점수 설명(/api/search/explain)에 판례 id가 없거나 형식이 아님',
    message: '점수를 설명할 판례의 id(id=…)를 주세요.',
  }),

  // ------------------------------------------------------------------ decisions and statutes
  PRECEDENT_NOT_FOUND: entry<{ id: string; scope: 'database' | 'index' }>({
    status: 404,
    surfaces: API_CLI,
    description: '그 id의 판례가 없음 (점수 설명에서는 검색 색인에 없음)',
    message: (p) =>
      p.scope === 'index'
        ? `id가 ${p.id}인 판례가 검색 색인에 없습니다.`
        : `id가 ${p.id}인 판례가 없습니다. 사건번호로 찾으려면 /api/precedents?case_number=… 를 쓰세요.`,
  }),
  PRECEDENT_ID_INVALID: entry({
    status: 400,
    surfaces: API,
    description: '판례 id가 비었거나 100자를 넘음 (경로의 id)',
    message: '판례 id가 비었거나 너무 깁니다. 검색 결과의 id를 주세요.',
  }),
  PRECEDENT_CASE_NUMBER_INVALID: entry<{ value: string }>({
    status: 400,
    surfaces: API,
    description: '사건번호 형식이 아님',
    message: (p) => `사건번호 형식이 아닙니다: ${quoted(p.value)}. 예: 2016다276177, 94나3943`,
  }),
  STATUTE_LAW_INVALID: entry<{ value: string }>({
    status: 400,
    surfaces: API,
    description: '법령 이름 형식이 아님',
    message: (p) => `법령 이름이 아닙니다: ${quoted(p.value)}. 예: 민법, 형법, 도로교통법`,
  }),
  STATUTE_ARTICLE_INVALID: entry<{ value: string }>({
    status: 400,
    surfaces: API,
    description: '조문 번호 형식이 아님',
    message: (p) => `조문 번호 형식이 아닙니다: ${quoted(p.value)}. 예: 750, 제750조, 47의2`,
  }),
  STATUTE_NOT_FOUND: entry<{ law: string; similar: readonly string[] }>({
    status: 404,
    surfaces: API,
    description: '그 법령을 든 판례가 없음 (`details.similar`에 비슷한 법령)',
    message: (p) =>
      `"${p.law}"을(를) 든 판례가 없습니다.${
        p.similar.length
          ? ` 비슷한 법령: ${p.similar.join(', ')}`
          : ' 법령의 정식 이름(예: 특정범죄 가중처벌 등에 관한 법률)이나 널리 쓰는 약칭(예: 특가법)으로 찾아 보세요.'
      }`,
  }),

  // ------------------------------------------------------------------ the task queue
  QUEUE_FULL: entry<{ typeName: TypeName; pending: number; max: number; retryS: number }>({
    status: 429,
    surfaces: API,
    description: '대기열이 가득 참 (`Retry-After` 헤더)',
    message: (p) => `${p.typeName} 대기열이 가득 찼습니다 (대기 ${n(p.pending)}/${n(p.max)}건). ${p.retryS}초 후 다시 시도해 주세요.`,
  }),
  SERVER_OVERLOADED: entry<{ lagMs: number; retryS: number }>({
    status: 503,
    surfaces: API,
    description: '서버가 과부하라 새 검색·분석을 잠시 받지 않음 (이벤트 루프 지연이 `server.maxEventLoopDelayMs`를 넘음; `Retry-After`)',
    message: (p) => `서버에 요청이 몰려 응답이 ${n(p.lagMs)}ms 넘게 늦어지고 있어 새 검색·분석을 잠시 받지 않습니다. ${p.retryS}초 후 다시 시도해 주세요.`,
  }),
  QUEUE_WAIT_TIMEOUT: entry<{ typeName?: TypeName; timeoutS?: number; retry?: boolean }>({
    status: 503,
    surfaces: API_TASK,
    description: '제한 시간 안에 차례가 오지 않음 (`Retry-After`)',
    message: (p) =>
      p.typeName !== undefined && p.timeoutS !== undefined
        ? `${p.typeName} 대기열에서 ${p.timeoutS}초 안에 차례가 오지 않았습니다. 잠시 후 다시 시도해 주세요.`
        : `처리 순서를 기다리다 제한 시간을 넘겼습니다.${p.retry ? ' 잠시 후 다시 시도해 주세요.' : ''}`,
  }),
  QUEUE_CANCELLED: entry<{ by?: string }>({
    status: 503,
    surfaces: API_TASK,
    description: '관리자가 대기열을 비워 요청이 취소됨 (`Retry-After: 1`)',
    message: (p) => (p.by === undefined ? '관리자가 대기열을 비워 이 요청이 취소되었습니다. 다시 시도해 주세요.' : `관리자가 대기열을 비웠습니다 (${p.by}).`),
  }),
  QUEUE_STOPPING: entry<{ phase: 'admission' | 'running' | 'pending' }>({
    status: 503,
    surfaces: API_TASK,
    description: '서버가 종료 중 (`Retry-After: 5`)',
    message: (p) =>
      p.phase === 'admission'
        ? '서버가 종료 중이어서 새 작업을 받지 않습니다. 잠시 후 다시 시도해 주세요.'
        : p.phase === 'running'
          ? '서버가 종료 중이어서 작업을 마치지 못했습니다. 다시 시도해 주세요.'
          : '서버가 종료되어 처리하지 못했습니다.',
  }),
  QUEUE_UNAVAILABLE: entry<{ location?: string; reason?: string; action?: 'clear' }>({
    status: 503,
    surfaces: ['api', 'cli', 'startup'],
    description: '작업 큐 데이터베이스에 접근할 수 없음 (`Retry-After: 5`)',
    message: (p) =>
      p.location !== undefined
        ? `작업 큐 ${p.location}에 연결할 수 없습니다: ${p.reason ?? '알 수 없는 오류'}`
        : p.action === 'clear'
          ? '작업 큐 데이터베이스에 접근할 수 없어 대기열을 비우지 못했습니다. 잠시 후 다시 시도하세요.'
          : '작업 큐 데이터베이스에 접근할 수 없습니다. 잠시 후 다시 시도하고, 계속되면 관리자에게 알려 주세요.',
  }),
  QUEUE_MIGRATION: entry<{ location: string; reason: string }>({
    status: 500,
    surfaces: STARTUP,
    description: '작업 큐 데이터베이스의 스키마를 올리지 못함 (시작 실패)',
    message: (p) => `작업 큐 데이터베이스(${p.location}) 마이그레이션 실패: ${p.reason}`,
  }),
  QUEUE_DB_MISSING: entry<{ file: string }>({
    status: 404,
    surfaces: CLI,
    exit: EXIT.failure,
    description: '`alaw queue`·`alaw keys`가 읽을 큐 SQLite 파일이 없음',
    message: (p) => `작업 큐 파일 ${p.file}이(가) 없습니다. 서버를 한 번도 시작하지 않았거나 경로가 다릅니다 (--queue-db, ALAW_QUEUE_DB_PATH, DATABASE_URL).`,
  }),
  QUEUE_TYPE_INVALID: entry<{ option: string; value: unknown; repeated?: boolean }>({
    status: 400,
    surfaces: API_CLI,
    description: '대기열을 비울 종류(`type`, `--type`)가 search, analysis, case_analysis, all이 아니거나 여러 번 주어짐',
    message: (p) =>
      p.repeated
        ? `${p.option}은 한 번만 보낼 수 있습니다 (받은 값: ${quoted(p.value)}). 한 종류는 type=search 또는 type=analysis, 대기 중인 작업 전부는 type=all. 아무것도 취소하지 않았습니다.`
        : `${p.option}은 search, analysis(또는 case_analysis), all(대기 중인 작업 전부) 중 하나여야 합니다 (받은 값: ${quoted(p.value)}). 아무것도 취소하지 않았습니다.`,
  }),
  QUEUE_CLEAR_TYPE_REQUIRED: entry<{ via: 'api' | 'cli' }>({
    status: 400,
    surfaces: API_CLI,
    description: '`POST /api/queue/clear`·`alaw queue clear`에 비울 종류가 없음: 대기 중인 작업을 전부 취소하려면 `type=all`(`--all`)을 명시',
    message: (p) =>
      p.via === 'api'
        ? '비울 대기열을 type으로 정해 주세요: ?type=search(검색), ?type=analysis(사건 분석), 대기 중인 작업 전부는 ?type=all. 아무것도 취소하지 않았습니다.'
        : '비울 대기열을 정해 주세요: --type search(검색), --type analysis(사건 분석), 대기 중인 작업 전부는 --all. 아무것도 취소하지 않았습니다.',
  }),
  QUEUE_CLEAR_PARAM_UNKNOWN: entry<{ names: readonly string[] }>({
    status: 400,
    surfaces: API,
    description: '`POST /api/queue/clear`에 `type` 말고 다른 매개변수가 있음 (오타, `type[]=…`)',
    message: (p) =>
      `알 수 없는 매개변수입니다: ${p.names.join(', ')}. POST /api/queue/clear는 type 하나만 받습니다 (?type=search, ?type=analysis, 대기 중인 작업 전부는 ?type=all). 아무것도 취소하지 않았습니다.`,
  }),
  QUEUE_CLEAR_BODY: entry({
    status: 400,
    surfaces: API,
    description: '`POST /api/queue/clear`에 요청 본문이 있음 (매개변수는 URL에만)',
    message:
      'POST /api/queue/clear는 요청 본문을 받지 않습니다. 본문 없이 URL에 ?type=search, ?type=analysis 또는 (대기 중인 작업 전부) ?type=all을 붙여 보내 주세요. 아무것도 취소하지 않았습니다.',
  }),
  QUEUE_INSTANCE_LOST: entry<{ owner: string }>({
    status: 503,
    surfaces: TASK,
    description: '검색을 맡은 인스턴스가 처리 중 중단됨 (요청한 사람은 이미 연결이 끊김)',
    message: (p) => `요청을 받은 인스턴스(${p.owner})가 처리 중 중단되어 응답하지 못했습니다.`,
  }),
  QUEUE_ATTEMPTS_EXHAUSTED: entry<{ attempts: number; owner: string }>({
    status: 503,
    surfaces: TASK,
    description: '작업을 맡은 인스턴스들이 응답하지 않아 시도 횟수를 모두 씀',
    message: (p) => `작업을 맡은 인스턴스가 응답하지 않아 ${p.attempts}번 시도 후 실패로 처리했습니다 (마지막: ${p.owner}).`,
  }),
  QUEUE_INSTANCE_DEAD: entry<{ owner: string; silentS: number; attempt: number }>({
    status: 503,
    surfaces: TASK,
    description: '작업을 맡은 인스턴스가 하트비트를 멈춰 중단된 것으로 보고 작업을 다시 대기열에 넣음 (대기 중인 작업의 마지막 오류)',
    message: (p) =>
      `작업을 맡은 인스턴스(${p.owner})가 ${n(p.silentS)}초 넘게 응답하지 않아 ${p.attempt}회차 시도를 중단된 것으로 보고 다시 대기열에 넣었습니다.`,
  }),
  QUEUE_INSTANCE_ID_IN_USE: entry<{ id: string; host: string; pid: number; source: string }>({
    status: 500,
    surfaces: STARTUP,
    description: '같은 인스턴스 ID로 다른 프로세스가 이미 실행 중 (시작 실패)',
    message: (p) =>
      `인스턴스 ID ${p.id}(${p.source})를 다른 프로세스(${p.host}, pid ${p.pid})가 이미 쓰고 있습니다. 인스턴스마다 다른 INSTANCE_ID를 지정하거나 그 프로세스를 먼저 멈추세요.`,
  }),
  QUEUE_LEASE_EXPIRED: entry<{ attempt: number; owner: string }>({
    status: 503,
    surfaces: TASK,
    description: '이전 시도의 임대가 만료되어 작업이 다시 대기열에 들어감 (대기 중인 작업의 마지막 오류)',
    message: (p) => `이전 시도(${p.attempt}회차, ${p.owner})의 임대가 만료되어 다시 대기열에 넣었습니다.`,
  }),

  // ------------------------------------------------------------------ tasks
  TASK_NOT_FOUND: entry<{ id: string }>({
    status: 404,
    surfaces: API,
    description: '그 id의 작업이 없음 (보존 기간이 지났을 수 있음)',
    message: (p) => `id가 ${p.id}인 작업이 없습니다 (보존 기간이 지나 삭제되었을 수 있습니다).`,
  }),
  TASK_ID_INVALID: entry({
    status: 400,
    surfaces: API,
    description: '작업·분석 id가 비었거나 100자를 넘음',
    message: '작업 id가 비었거나 너무 깁니다. 작업을 만들 때 받은 id(UUID)를 주세요.',
  }),
  TASK_TIMEOUT: entry<{ typeName?: TypeName; timeoutS: number }>({
    status: 504,
    surfaces: API_TASK,
    description: '작업 실행이 제한 시간을 넘어 중단됨',
    message: (p) =>
      p.typeName === undefined
        ? `제한 시간 ${p.timeoutS}초 초과`
        : `${p.typeName} 작업이 제한 시간 ${p.timeoutS}초를 넘겨 중단했습니다. 검색어를 줄이거나 조건을 좁혀 다시 시도해 주세요.`,
  }),
  TASK_CANCELLED: entry<{ by: string }>({
    status: 409,
    surfaces: TASK,
    description: '요청에 따라 작업이 취소됨 (DELETE /api/analysis/{id})',
    message: (p) => `요청에 따라 취소했습니다 (${p.by}).`,
  }),
  TASK_LEASE_LOST: entry<{ why: 'expired' | 'new_attempt' }>({
    status: 503,
    surfaces: TASK,
    description: '작업의 임대를 잃어 다른 인스턴스가 넘겨받음 (이 시도는 중단)',
    message: (p) => (p.why === 'expired' ? '임대 만료로 다른 인스턴스가 작업을 넘겨받았습니다.' : '같은 작업의 새 시도가 시작되어 이전 시도를 중단합니다.'),
  }),
  TASK_SHUTDOWN: entry({
    status: 503,
    surfaces: TASK,
    description: '서버가 종료되어 실행 중인 작업을 중단함',
    message: '서버가 종료되어 작업을 중단했습니다.',
  }),
  TASK_FAILED: entry<{ reason: string }>({
    status: 500,
    surfaces: TASK,
    description: '작업이 예상하지 못한 오류로 실패함 (서버 로그에 원인)',
    message: (p) => `작업이 실패했습니다: ${p.reason}`,
  }),

  // ------------------------------------------------------------------ case analysis
  ANALYSIS_DESCRIPTION_REQUIRED: entry({
    status: 400,
    surfaces: API,
    description: '사건 설명(description)이 없음',
    message: '사건 설명(description)을 보내 주세요.',
  }),
  ANALYSIS_DESCRIPTION_BLANK: entry({
    status: 400,
    surfaces: ['api', 'cli', 'task'],
    description: '사건 설명이 비어 있음: 공백(전각 공백, 줄 바꿈 포함)이나 보이지 않는 문자(제로 폭 공백 등)뿐임. 작업을 만들지 않음',
    message:
      '사건 설명(description)이 비어 있습니다: 공백이나 보이지 않는 문자(전각 공백, 제로 폭 공백 등)만 있습니다. 사건의 사실관계를 20자 이상 글로 적어 보내 주세요.',
  }),
  ANALYSIS_DESCRIPTION_LENGTH: entry<{ length: number; min: number; max: number }>({
    status: 400,
    surfaces: API_CLI,
    description: '사건 설명이 (앞뒤 공백을 빼고) 20~20,000자가 아님',
    message: (p) => `사건 설명은 ${n(p.min)}자 이상 ${n(p.max)}자 이하여야 합니다 (받은 길이: ${n(p.length)}자).`,
  }),
  ANALYSIS_CASE_TYPE_INVALID: entry<{ option: string; value: string; allowed: readonly string[] }>({
    status: 400,
    surfaces: API_CLI,
    description: '허용되지 않은 사건 종류',
    message: (p) => `${p.option}은 ${p.allowed.join(', ')} 중 하나여야 합니다 (받은 값: ${p.value}).`,
  }),
  ANALYSIS_NOT_FOUND: entry<{ id: string }>({
    status: 404,
    surfaces: API,
    description: '그 id의 분석이 없음 (보존 기간 7일이 지났을 수 있음)',
    message: (p) => `id가 ${p.id}인 분석이 없습니다 (보존 기간 7일이 지나 삭제되었을 수 있습니다).`,
  }),
  ANALYSIS_FINISHED: entry<{ status: string }>({
    status: 409,
    surfaces: API,
    description: '이미 끝난 분석은 취소할 수 없음',
    message: (p) => `이미 끝난 분석입니다 (상태: ${p.status}).`,
  }),
  ANALYSIS_RUNNING_ELSEWHERE: entry({
    status: 409,
    surfaces: API,
    description: '다른 인스턴스에서 실행 중인 분석은 여기서 취소할 수 없음',
    message: '다른 서버 인스턴스에서 실행 중인 분석이어서 여기서 취소할 수 없습니다. 곧 끝납니다 (제한 시간 안에).',
  }),
  ANALYSIS_PAYLOAD: entry({
    status: 400,
    surfaces: TASK,
    description: '분석 작업의 입력이 올바르지 않음 (큐에 직접 넣은 작업)',
    message: '분석 작업의 입력이 올바르지 않습니다.',
  }),
  ANALYSIS_FILE_UNREADABLE: entry<{ file: string; reason: string }>({
    status: 400,
    surfaces: CLI,
    description: '`alaw analyze`의 사건 설명 파일을 읽을 수 없음',
    message: (p) => `사건 설명 파일 ${p.file}을(를) 읽을 수 없습니다: ${p.reason}`,
  }),

  // ------------------------------------------------------------------ the language model (analysis write-up)
  LLM_TIMEOUT: entry<{ budgetS: number | null }>({
    status: 504,
    surfaces: NARRATIVE,
    description: '언어 모델이 제한 시간 안에 답을 마치지 못함 (추출 보고서만 제공)',
    message: (p) =>
      p.budgetS === null ? '분석 작업의 남은 시간이 없어 언어 모델을 부르지 않았습니다.' : `언어 모델이 제한 시간(${p.budgetS}초) 안에 답을 마치지 못했습니다.`,
  }),
  LLM_IDLE: entry<{ idleS: number | null }>({
    status: 504,
    surfaces: NARRATIVE,
    description: '언어 모델 서버가 응답 없이 멈춤',
    message: (p) => (p.idleS === null ? '언어 모델 서버가 제때 응답하지 않았습니다.' : `언어 모델이 ${p.idleS}초 동안 아무것도 보내지 않았습니다.`),
  }),
  LLM_HTTP: entry<{ status: number; detail: string }>({
    status: 502,
    surfaces: NARRATIVE,
    description: '언어 모델 서버가 4xx/5xx로 답함 (401/403: llm.apiKey, 404: llm.baseUrl·llm.model 확인)',
    message: (p) =>
      `언어 모델 서버가 오류 ${p.status}을(를) 돌려주었습니다${p.detail ? `: ${p.detail}` : ''}.${
        p.status === 401 || p.status === 403 ? ' llm.apiKey를 확인하세요.' : p.status === 404 ? ' llm.baseUrl과 llm.model을 확인하세요.' : ''
      }`,
  }),
  LLM_UNREACHABLE: entry<{ baseUrl: string }>({
    status: 502,
    surfaces: NARRATIVE,
    description: '언어 모델 서버에 연결할 수 없음',
    message: (p) => `언어 모델 서버(${p.baseUrl})에 연결할 수 없습니다.`,
  }),
  LLM_EMPTY: entry({
    status: 502,
    surfaces: NARRATIVE,
    description: '언어 모델이 빈 답을 보냄',
    message: '언어 모델이 빈 답을 보냈습니다.',
  }),
  LLM_FAILED: entry<{ reason: string; stage: 'call' | 'read' }>({
    status: 502,
    surfaces: NARRATIVE,
    description: '언어 모델의 답이 프로토콜에 맞지 않거나 호출이 실패함',
    message: (p) => (p.stage === 'call' ? `언어 모델 호출 실패: ${p.reason}` : `언어 모델의 답을 읽지 못했습니다: ${p.reason}`),
  }),
  LLM_ABORTED: entry({
    status: 503,
    surfaces: NARRATIVE,
    description: '언어 모델 호출이 중단됨 (분석이 취소되었거나 서버가 종료 중)',
    message: '언어 모델 호출이 중단되었습니다.',
  }),

  // ------------------------------------------------------------------ operations: logs, alerts, keys, capacity, watchdog
  LOGS_HOURS_INVALID: entry<{ option: string; value: unknown }>({
    status: 400,
    surfaces: API_CLI,
    description: '로그 보고서의 hours가 0보다 크고 8,784 이하인 수가 아님',
    message: (p) => `${p.option}는 0보다 크고 8784(1년) 이하인 수여야 합니다 (받은 값: ${quoted(p.value)}).`,
  }),
  LOGS_REPORT_BUSY: entry<{ runningHours: number }>({
    status: 429,
    surfaces: API,
    description: '다른 기간의 로그 보고서를 만드는 중 (`Retry-After: 5`)',
    message: (p) => `다른 로그 보고서(지난 ${p.runningHours}시간)를 만드는 중입니다. 잠시 후 다시 요청하세요.`,
  }),
  LOGS_DIR_MISSING: entry<{ dir: string }>({
    status: 404,
    surfaces: CLI,
    exit: EXIT.failure,
    description: '`alaw logs report`가 읽을 로그 디렉터리가 없음',
    message: (p) => `로그 디렉터리 ${p.dir}이(가) 없습니다 (--dir 또는 ALAW_LOG_DIR).`,
  }),
  ALERT_NO_CHANNEL: entry({
    status: 400,
    surfaces: CLI,
    description: '`alaw alert test`: 알림 채널이 설정되어 있지 않음',
    message: '알림 채널이 없습니다. ALAW_ALERTS_WEBHOOK_URL(Mattermost/Slack 웹훅) 또는 ALAW_ALERTS_SMTP_HOST와 ALAW_ALERTS_TO(이메일)를 설정하세요.',
  }),
  KEY_ROLE_INVALID: entry<{ value: string }>({
    status: 400,
    surfaces: CLI,
    description: '`alaw keys create --role`이 user나 admin이 아님',
    message: (p) => `--role은 user 또는 admin이어야 합니다 (받은 값: ${p.value}).`,
  }),
  KEY_NAME_REQUIRED: entry({
    status: 400,
    surfaces: CLI,
    description: '`alaw keys create`에 --name이 없음',
    message: '--name으로 키의 이름(누구의, 어디에 쓰는 키인지)을 지정하세요. 예: --name "김변호사 노트북"',
  }),
  KEY_NAME_INVALID: entry<{ max: number }>({
    status: 400,
    surfaces: CLI,
    description: '키 이름이 너무 길거나 제어 문자가 있음',
    message: (p) => `--name은 제어 문자 없이 ${p.max}자 이내여야 합니다.`,
  }),
  KEY_ID_INVALID: entry<{ id: string }>({
    status: 400,
    surfaces: CLI,
    description: '`alaw keys revoke`의 키 id 형식이 아님',
    message: (p) => `키 id 형식이 아닙니다: ${p.id} (alaw keys list로 확인하세요. 예: key_1a2b3c4d5e6f)`,
  }),
  KEY_FROM_ENVIRONMENT: entry({
    status: 400,
    surfaces: CLI,
    description: '환경 변수로 준 키는 `alaw keys revoke`로 폐기할 수 없음',
    message: '환경 변수로 준 키는 여기서 폐기할 수 없습니다. ALAW_ADMIN_TOKEN/ALAW_USER_TOKENS에서 빼고 서버를 다시 시작하세요.',
  }),
  KEY_NOT_FOUND: entry<{ id: string }>({
    status: 404,
    surfaces: CLI,
    exit: EXIT.failure,
    description: '그 id의 API 키가 없음',
    message: (p) => `id가 ${p.id}인 키가 없습니다 (alaw keys list --all).`,
  }),
  CAPACITY_NO_DATA: entry({
    status: 409,
    surfaces: CLI,
    exit: EXIT.failure,
    description: '`alaw capacity --measured`: 잴 판례가 없음',
    message: '판례 데이터가 비어 있어 측정할 수 없습니다. 먼저 판례를 가져오세요 (alaw import).',
  }),
  CAPACITY_MEASURE_FAILED: entry<{ status: number; body: string }>({
    status: 500,
    surfaces: CLI,
    description: '`alaw capacity --measured`: 측정 중 검색이 실패함',
    message: (p) => `측정 중 검색이 실패했습니다 (HTTP ${p.status}): ${p.body}`,
  }),
  WATCHDOG_URL_INVALID: entry<{ value: string }>({
    status: 400,
    surfaces: CLI,
    description: '`alaw watchdog --url`이 http(s) 주소가 아님',
    message: (p) => `--url은 http:// 또는 https:// 주소여야 합니다 (받은 값: ${p.value}).`,
  }),

  // ------------------------------------------------------------------ the command line
  CLI_USAGE: entry<
    | { problem: 'missing_argument'; argument: string }
    | { problem: 'invalid_value'; name: string; value: string; why: string }
    | { problem: 'missing_value'; option: string }
    | { problem: 'unknown_command'; command: string; hint: string }
    | { problem: 'unknown_option'; option: string; hint: string }
    | { problem: 'too_many_arguments'; command: string }
    | { problem: 'missing_option'; option: string }
    | { problem: 'conflicting_options'; option: string; other: string }
    | { problem: 'other'; text: string }
  >({
    status: 400,
    surfaces: CLI,
    description: '`alaw`의 명령·인자·옵션이 잘못됨 (도움말: `alaw --help`)',
    message: (p) => {
      switch (p.problem) {
        case 'missing_argument':
          return `필요한 인자가 없습니다: ${p.argument}`;
        case 'invalid_value':
          return `${p.name} 값이 올바르지 않습니다 (받은 값: '${p.value}'). ${p.why}`.trim();
        case 'missing_value':
          return `${p.option} 옵션에 값이 필요합니다`;
        case 'unknown_command':
          return `알 수 없는 명령입니다: ${p.command}${p.hint}`;
        case 'unknown_option':
          return `알 수 없는 옵션입니다: ${p.option}${p.hint}`;
        case 'too_many_arguments':
          return `인자가 너무 많습니다${p.command ? ` (${p.command})` : ''}`;
        case 'missing_option':
          return `필수 옵션이 없습니다: ${p.option}`;
        case 'conflicting_options':
          return `${p.option}와(과) ${p.other}는 함께 쓸 수 없습니다. 하나만 주세요`;
        case 'other':
          return p.text;
      }
    },
  }),
  CLI_NUMBER_INVALID: entry<{ option: string; rule: 'positive_integer' | 'positive' | 'non_negative_integer' | 'integer_list'; value?: string }>({
    status: 400,
    surfaces: CLI,
    description: '`alaw` 옵션의 수가 올바르지 않음 (예: --keep-days -1, --users 0)',
    message: (p) => {
      const got = p.value === undefined ? '' : ` (받은 값: ${p.value})`;
      switch (p.rule) {
        case 'positive_integer':
          return `${p.option}는 1 이상의 정수여야 합니다${got}.`;
        case 'positive':
          return `${p.option}는 0보다 큰 수여야 합니다${got}.`;
        case 'non_negative_integer':
          return `${p.option}는 0 이상의 정수여야 합니다${got}.`;
        case 'integer_list':
          return `${p.option}는 쉼표로 구분한 1 이상의 정수 목록이어야 합니다 (예: 10,50,100,200)${got}.`;
      }
    },
  }),
  CLI_CONFIRM_REQUIRED: entry<
    { action: 'restore'; stamp: string; createdAt: string; targets: string } | { action: 'queue_clear'; what: string; pending: number }
  >({
    status: 409,
    surfaces: CLI,
    exit: EXIT.usage,
    description: '되돌릴 수 없는 명령(`queue clear`, `restore`)에 --yes가 없음: 무엇을 할지만 알리고 끝냄',
    message: (p) =>
      p.action === 'restore'
        ? `백업 ${p.stamp}(${p.createdAt})로 지금 데이터를 바꿉니다: ${p.targets}. 먼저 지금 상태를 자동으로 백업합니다. 실행하려면 --yes를 붙이세요.`
        : `대기 중인 ${p.what}작업 ${n(p.pending)}건을 취소합니다. 실행하려면 --yes를 붙이세요 (실행 중인 작업은 건드리지 않습니다).`,
  }),
  CLI_SERVER_RUNNING: entry<
    { via: 'lock'; servers: readonly { pid: number; port: number; instance: string; host: string }[] } | { via: 'heartbeat'; instances: readonly string[] }
  >({
    status: 409,
    surfaces: CLI,
    exit: EXIT.failure,
    description:
      '`alaw restore`: 같은 데이터를 쓰는 서버가 실행 중 (데이터 디렉터리의 잠금 파일이나 큐의 하트비트). 아무것도 바꾸지 않음; `--force`로도 건너뛸 수 없음',
    message: (p) =>
      p.via === 'lock'
        ? `실행 중인 서버가 이 데이터를 쓰고 있습니다 (${p.servers.map((x) => `pid ${x.pid}, 포트 ${x.port}, 인스턴스 ${x.instance}${x.host ? `, 호스트 ${x.host}` : ''}`).join('; ')}). 아무것도 바꾸지 않았습니다. 서버를 멈춘 뒤 복원하거나 (sudo systemctl stop alaw-ai-backend), --stop-server를 붙이면 그 서버를 멈추고(SIGTERM) 끝나기를 기다린 뒤 복원합니다.`
        : `실행 중인 서버가 있습니다 (작업 큐 하트비트: ${p.instances.join(', ')}). 아무것도 바꾸지 않았습니다. 그 서버들을 멈춘 뒤 복원하세요 (sudo systemctl stop alaw-ai-backend; 멈춘 서버의 하트비트는 최대 90초 남습니다).`,
  }),
  CLI_SERVER_STOP_FAILED: entry<{ pid: number; port: number; timeoutS: number; reason: string }>({
    status: 500,
    surfaces: CLI,
    exit: EXIT.failure,
    description: '`alaw restore --stop-server`: 실행 중인 서버를 멈추지 못함 (제한 시간 안에 끝나지 않았거나 신호를 보낼 권한이 없음). 아무것도 복원하지 않음',
    message: (p) =>
      p.reason === 'timeout'
        ? `서버(pid ${p.pid}, 포트 ${p.port})가 ${p.timeoutS}초 안에 멈추지 않았습니다. 아무것도 복원하지 않았습니다. 서버 로그를 확인하고 직접 멈춘 뒤 다시 실행하거나 --stop-timeout을 늘리세요.`
        : `서버(pid ${p.pid}, 포트 ${p.port})를 멈출 수 없습니다: ${p.reason}. 아무것도 복원하지 않았습니다. 서버를 실행한 계정으로 실행하거나 직접 멈추세요 (sudo systemctl stop alaw-ai-backend).`,
  }),

  // ------------------------------------------------------------------ import and start-up
  IMPORT_JSON: entry<{ reason: string }>({
    status: 400,
    surfaces: IMPORT,
    description: '가져오는 줄이 JSON이 아님',
    message: (p) => `JSON 구문 오류: ${p.reason}`,
  }),
  IMPORT_NOT_OBJECT: entry({
    status: 400,
    surfaces: IMPORT,
    description: '가져오는 줄이 JSON 객체가 아님',
    message: '각 줄은 JSON 객체여야 합니다.',
  }),
  IMPORT_UNKNOWN_FORMAT: entry({
    status: 400,
    surfaces: IMPORT,
    description: '본 서비스 형식(case_number)도 법제처 형식(사건번호)도 아님',
    message: '알 수 없는 형식입니다: case_number(본 서비스 형식) 또는 사건번호(법제처 형식) 키가 필요합니다.',
  }),
  IMPORT_FIELD: entry<
    | { problem: 'required'; field: string }
    | { problem: 'not_text'; field: string; type: string }
    | { problem: 'too_long'; field: string; max: number; length: number }
    | { problem: 'no_text' }
    | { problem: 'case_number'; value: string }
    | { problem: 'id'; value: string }
    | { problem: 'date'; value: string }
    | { problem: 'case_type'; value: string; allowed: readonly string[] }
    | { problem: 'line_too_long'; length: number; max: number }
  >({
    status: 400,
    surfaces: IMPORT,
    description: '필드 값이 올바르지 않음 (필수 항목 없음, 문자열 아님, 너무 김, 사건번호·id·날짜·사건종류)',
    message: (p) => {
      switch (p.problem) {
        case 'required':
          return `${p.field}: 필수 항목이 비어 있습니다.`;
        case 'not_text':
          return `${p.field}: 문자열이어야 합니다 (받은 값의 형식: ${p.type}).`;
        case 'too_long':
          return `${p.field}: ${n(p.max)}자를 넘습니다 (${n(p.length)}자).`;
        case 'no_text':
          return 'full_text(판례내용), holdings(판시사항), summary(판결요지) 중 하나는 있어야 합니다.';
        case 'case_number':
          return `case_number(사건번호): 사건번호 형식이 아닙니다 (받은 값: ${p.value}; 예: 2016다276177, 94나3943).`;
        case 'id':
          return `id: 영문자, 숫자, '.', '_', ':', '-'로 된 100자 이하여야 합니다 (받은 값: ${p.value}).`;
        case 'date':
          return `decision_date(선고일자): 날짜 형식이 아닙니다 (받은 값: ${p.value}; 예: 2019-05-30, 20190530, 2019. 5. 30.).`;
        case 'case_type':
          return `case_type(사건종류): 알 수 없는 값입니다 (받은 값: ${p.value}; 가능한 값: ${p.allowed.join(', ')}, 일반행정, 세무).`;
        case 'line_too_long':
          return `줄이 너무 깁니다 (${n(p.length)}자, 최대 ${n(p.max)}자).`;
      }
    },
  }),
  IMPORT_READ: entry<{
    file: string;
    afterLine: number;
    reason: string;
    /** What the import kept before the break (the CLI's summary); absent where only the read is reported. */
    kept?: { inserted: number; updated: number; unchanged: number; rejected: number };
  }>({
    status: 400,
    surfaces: IMPORT,
    exit: EXIT.failure,
    description: '파일을 열 수 없거나 중간에 끊김 (잘렸거나 손상된 gzip, 읽기 오류): 그 앞의 올바른 줄은 가져옴',
    message: (p) => {
      const read = `${p.file}: ${p.afterLine === 0 ? '파일을 읽을 수 없습니다' : `${n(p.afterLine)}번째 줄 뒤에서 파일을 더 읽을 수 없습니다`} (${p.reason}).`;
      // Nothing was read before a file that cannot be opened: there is nothing kept to report.
      if (!p.kept || p.afterLine === 0) return read;
      const k = p.kept;
      return (
        `가져오기 중단: ${read} 그 앞의 올바른 줄은 가져왔습니다 — 새로 추가 ${n(k.inserted)}건, 갱신 ${n(k.updated)}건, 변경 없음 ${n(k.unchanged)}건, 거부 ${n(k.rejected)}줄. ` +
        '온전한 파일로 다시 가져오세요 (이미 가져온 판례는 중복되지 않습니다). 검색 색인은 다시 만들지 않았습니다.'
      );
    },
  }),
  IMPORT_FAILED: entry<{ reason: string }>({
    status: 500,
    surfaces: CLI,
    description: '가져오기가 파일이 아닌 원인으로 실패함 (데이터베이스 오류, 디스크 가득 참): 앞 배치까지는 저장됨',
    message: (p) => `가져오기 실패: ${p.reason}`,
  }),
  IMPORT_NOT_A_FILE: entry<{ file: string }>({
    status: 400,
    surfaces: CLI,
    description: '가져올 경로가 파일이 아님 (디렉터리 등)',
    message: (p) => `${p.file}: 파일이 아닙니다.`,
  }),
  IMPORT_FILE_MISSING: entry<{ file: string }>({
    status: 400,
    surfaces: CLI,
    description: '가져올 파일이 없음',
    message: (p) => `파일이 없습니다: ${p.file}`,
  }),
  SEED_INCOMPLETE: entry<{ file: string; reason: string }>({
    status: 500,
    surfaces: STARTUP,
    description: '기본 판례 데이터(시드) 가져오기가 중간에 끊김: 다음 시작에서 이어서 가져옴',
    message: (p) =>
      `기본 판례 데이터를 끝까지 가져오지 못했습니다: ${p.reason} 파일을 다시 받으세요 (git checkout -- ${p.file}). 다음 시작 때 이어서 가져옵니다.`,
  }),
  STORE_MIGRATION: entry<{ migration: string; reason: string }>({
    status: 500,
    surfaces: STARTUP,
    description: '판례 데이터베이스의 스키마를 올리지 못함 (시작 실패)',
    message: (p) => `데이터베이스 마이그레이션 실패(${p.migration}): ${p.reason}`,
  }),
  INDEX_CORRUPT: entry<{ file: string; reason: string }>({
    status: 500,
    surfaces: ['startup', 'cli'],
    description: '검색 색인 파일을 읽을 수 없음 (손상·잘림·다른 형식): 서버와 `alaw index`가 다시 만듦',
    message: (p) => `검색 색인 파일 ${p.file}을(를) 읽을 수 없습니다: ${p.reason}`,
  }),
  INDEX_BUSY: entry<{ dir: string; pid: number; since: string }>({
    status: 409,
    surfaces: STARTUP,
    description: '다른 프로세스가 검색 색인을 쓰는 중 (가져오기·색인 생성·병합): 끝난 뒤 다시 실행',
    message: (p) =>
      `다른 프로세스(PID ${p.pid}, ${p.since}부터)가 검색 색인(${p.dir})을 쓰고 있습니다. 그 작업(alaw import·alaw index)이 끝난 뒤 다시 실행하세요.`,
  }),
  CONFIG_INVALID: entry<{ problems: readonly string[] }>({
    status: 400,
    surfaces: STARTUP,
    description: '설정(설정 파일, ALAW_* 환경 변수)이 올바르지 않음: 설정 이름과 이유를 모두 알림',
    message: (p) => `설정이 올바르지 않습니다:\n- ${p.problems.join('\n- ')}`,
  }),

  // ------------------------------------------------------------------ backups
  BACKUP_SOURCE_MISSING: entry<{ what: 'file'; file: string } | { what: 'postgres'; url: string; reason: string } | { what: 'index'; file: string }>({
    status: 404,
    surfaces: CLI,
    exit: EXIT.failure,
    description: '백업할 데이터베이스나 색인이 없거나 PostgreSQL에 연결할 수 없음',
    message: (p) =>
      p.what === 'file'
        ? `${p.file}이(가) 없습니다.`
        : p.what === 'index'
          ? `검색 색인 ${p.file}이(가) 없습니다 (alaw index로 만드세요).`
          : `PostgreSQL(${p.url})에 연결할 수 없습니다: ${p.reason}`,
  }),
  BACKUP_TOOL: entry<
    | { tool: string; problem: 'missing' }
    | { tool: string; problem: 'error'; reason: string }
    | { tool: string; problem: 'exit'; code: number | null; stderr: string }
  >({
    status: 500,
    surfaces: CLI,
    exit: EXIT.failure,
    description: 'pg_dump/psql이 없거나 실패함',
    message: (p) =>
      p.problem === 'missing'
        ? `${p.tool}이(가) 설치되어 있지 않습니다 (PostgreSQL 클라이언트: apt-get install postgresql-client).`
        : p.problem === 'error'
          ? `${p.tool}: ${p.reason}`
          : `${p.tool}이(가) 실패했습니다 (종료 코드 ${p.code}): ${p.stderr}`,
  }),
  BACKUP_NOT_FOUND: entry<{ ref: string; dir: string }>({
    status: 404,
    surfaces: CLI,
    exit: EXIT.failure,
    description: '그 이름의 백업이 없음',
    message: (p) => `백업 ${p.ref}을(를) 찾을 수 없습니다 (manifest 파일 경로나 ${p.dir}의 시각 이름, 예: 20261129_021500).`,
  }),
  BACKUP_CORRUPT: entry<
    | { what: 'integrity'; file: string; result: string }
    | { what: 'unreadable'; file: string; reason: string }
    | { what: 'not_manifest'; file: string }
    | { what: 'missing_file'; file: string }
    | { what: 'checksum'; file: string }
  >({
    status: 422,
    surfaces: CLI,
    exit: EXIT.failure,
    description: '백업이 손상됨 (체크섬, SQLite 무결성, manifest 형식)',
    message: (p) => {
      switch (p.what) {
        case 'integrity':
          return `${p.file}: SQLite 무결성 검사 실패 (${p.result})`;
        case 'unreadable':
          return `${p.file}을(를) 읽을 수 없습니다: ${p.reason}`;
        case 'not_manifest':
          return `${p.file}은(는) ALaw 백업 manifest가 아닙니다.`;
        case 'missing_file':
          return `백업 파일 ${p.file}이(가) 없습니다.`;
        case 'checksum':
          return `백업 파일 ${p.file}의 체크섬이 다릅니다 (손상되었거나 바뀜).`;
      }
    },
  }),
  BACKUP_MISMATCH: entry<
    | { what: 'rows'; target: string; diff: string }
    | { what: 'sqlite_backup_pg_queue'; file: string }
    | { what: 'pg_backup_no_url'; file: string }
    | { what: 'index_file_name'; file: string }
  >({
    status: 409,
    surfaces: CLI,
    exit: EXIT.failure,
    description: '복원·검증한 행 수가 백업과 다르거나, 백업과 지금 설정의 큐 종류(SQLite/PostgreSQL)가 다르거나, 백업 목록의 색인 파일 이름이 올바르지 않음',
    message: (p) =>
      p.what === 'rows'
        ? `${p.target}의 행 수가 백업과 다릅니다: ${p.diff}`
        : p.what === 'sqlite_backup_pg_queue'
          ? `${p.file}은(는) SQLite 큐 백업인데 지금 설정은 PostgreSQL(DATABASE_URL) 큐입니다. 아무것도 바꾸지 않았습니다.`
          : p.what === 'index_file_name'
            ? `${p.file}의 원래 파일 이름이 검색 색인 파일(search.idx, seg-….seg)이 아닙니다. 백업 목록이 손상되었거나 바뀌었습니다. 아무것도 바꾸지 않았습니다.`
            : `${p.file}은(는) PostgreSQL 백업인데 DATABASE_URL이 설정되어 있지 않습니다. 아무것도 바꾸지 않았습니다.`,
  }),
  BACKUP_VERIFY: entry<{ what: 'scratch'; reason: string } | { what: 'needs_url'; file: string }>({
    status: 500,
    surfaces: CLI,
    exit: EXIT.failure,
    description: '검증용 임시 데이터베이스를 만들 수 없음',
    message: (p) =>
      p.what === 'scratch'
        ? `검증용 임시 데이터베이스를 만들 수 없습니다 (CREATEDB 권한 필요): ${p.reason}`
        : `${p.file}은(는) PostgreSQL 백업이라 검증하려면 DATABASE_URL(검증용 임시 데이터베이스를 만들 서버)이 필요합니다.`,
  }),
  BACKUP_RESTORE: entry<{ reason: string; cause: string | null; safetyFile: string; safetyStamp: string }>({
    status: 500,
    surfaces: CLI,
    exit: EXIT.failure,
    description: '복원 중 실패함 (원인 코드를 메시지와 `details.cause`에; 복원 전 상태의 안전 백업으로 되돌리는 명령을 알림)',
    message: (p) =>
      `복원하지 못했습니다: ${p.reason}${p.cause ? ` (원인 ${p.cause})` : ''} 복원 전 상태는 ${p.safetyFile}에 백업되어 있습니다 (되돌리려면 alaw restore ${p.safetyStamp} --yes).`,
  }),
  BACKUP_CONFIG_MISSING: entry({
    status: 400,
    surfaces: CLI,
    description: '`alaw backup --with-config`인데 설정 파일이 없음',
    message: '--with-config: 설정 파일이 없습니다 (--config 또는 ALAW_CONFIG_FILE). 환경 변수만 쓰는 설정은 배포 도구에 있습니다.',
  }),
} as const;

type Definitions = typeof DEFINITIONS;
type ParamsOf<D> = D extends { readonly __params?: infer P } ? P : never;

/** The catalog: `E.SEARCH_QUERY_EMPTY.code === 'ALAW_ERR_SEARCH_QUERY_EMPTY'`. */
export type Catalog = { readonly [K in keyof Definitions]: ErrorSpec<ParamsOf<Definitions[K]>, `ALAW_ERR_${K & string}`> };

export const E: Catalog = Object.freeze(
  Object.fromEntries(Object.entries(DEFINITIONS).map(([name, def]) => [name, new ErrorSpec(`ALAW_ERR_${name}`, def as EntryDefinition<unknown>)])),
) as unknown as Catalog;

/** Every entry, in declaration order (areas as above). */
export const CATALOG: readonly ErrorSpec<never>[] = Object.values(E);

/** Every code of the catalog. */
export type ErrorCode = Catalog[keyof Catalog]['code'];

const BY_CODE = new Map<string, ErrorSpec<never>>(CATALOG.map((s) => [s.code, s]));

/** The entry of a code, if the code is one of ours (codes read back from a database or another instance). */
export function specOf(code: string): ErrorSpec<never> | undefined {
  return BY_CODE.get(code);
}

/**
 * An error of the catalog rebuilt from the data it crossed a boundary as (a
 * worker thread's answer): the same code, status, message and details. Null
 * when the code is not one of ours.
 */
export function reviveError(data: { code: string; message: string; details?: ErrorDetails }): AlawError | null {
  const spec = BY_CODE.get(data.code);
  return spec ? new AlawError(spec, data.message, data.details) : null;
}
