import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../../app/index.js';
import { E } from '../../errors/index.js';
import { articleLabel, parseArticle } from '../../legal/index.js';
import { ErrorBody, PrecedentSchema, PrecedentSummarySchema } from '../schemas.js';

const CitationInfo = {
  citation: Type.String({ description: '인용 표현 그대로 (처음 나온 것)' }),
  in_reference: Type.Boolean({ description: '참조판례 항목에 있음' }),
  mentions: Type.Integer({ description: '본문(판시사항·판결요지·이유)에서 인용한 횟수' }),
  context: Type.Union([Type.String(), Type.Null()], { description: '본문에서 처음 인용한 곳의 앞뒤 문장' }),
};

const CitationsResponse = Type.Object({
  id: Type.String(),
  case_number: Type.String(),
  court: Type.String(),
  cites: Type.Array(
    Type.Object({
      case_number: Type.String(),
      court: Type.Union([Type.String(), Type.Null()]),
      decision_date: Type.Union([Type.String(), Type.Null()]),
      ...CitationInfo,
      resolved: Type.Array(PrecedentSummarySchema, { description: '이 데이터에 있는 해당 판례 (없으면 빈 배열)' }),
    }),
  ),
  cited_by: Type.Array(Type.Object({ ...PrecedentSummarySchema.properties, ...CitationInfo })),
});

const StatuteResponse = Type.Object({
  law: Type.String({ description: '판례들이 가장 많이 쓰는 법령 이름 (띄어쓰기가 다른 표기와 약칭은 같은 법령으로 봄)' }),
  query: Type.String({ description: '요청한 법령 이름' }),
  article: Type.String({ description: '제750조, 제47조의2' }),
  total: Type.Integer(),
  page: Type.Integer(),
  size: Type.Integer(),
  items: Type.Array(
    Type.Object({
      ...PrecedentSummarySchema.properties,
      in_reference: Type.Boolean({ description: '참조조문 항목에 있음' }),
      mentions: Type.Integer({ description: '본문에서 이 조문을 든 횟수' }),
      former: Type.Boolean({ description: '구법(개정 전 조문)으로만 들었음' }),
    }),
  ),
});

const MAX_STATUTE_PAGE = 1000;

/** `GET /api/precedents/{id}`, `…/{id}/citations`, `GET /api/precedents?case_number=…` and `GET /api/statutes/{law}/{article}/precedents`. */
export const precedentRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/precedents/:id',
    {
      config: { paramErrors: { id: E.PRECEDENT_ID_INVALID } },
      schema: {
        summary: '판례 전문',
        tags: ['판례'],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100, description: '판례 id (검색 결과의 id)' }) }),
        response: { 200: PrecedentSchema, 404: ErrorBody },
      },
    },
    async (request) => {
      const p = await services.store.getById(request.params.id);
      if (!p) {
        throw E.PRECEDENT_NOT_FOUND.error({ id: request.params.id, scope: 'database' }, { id: request.params.id });
      }
      return p;
    },
  );

  app.get(
    '/api/precedents',
    {
      config: { paramErrors: { case_number: E.PRECEDENT_CASE_NUMBER_INVALID, court: E.PRECEDENT_CASE_NUMBER_INVALID } },
      schema: {
        summary: '사건번호로 판례 찾기',
        description:
          '띄어쓰기(`2016 다 276177`), 법원 접두어(`(제주)2014나1166`), 병합 번호(`2009다78863, 78870`), 여러 사건번호(`92다41054, 93다42016`), 전각 숫자를 허용합니다. 같은 번호가 여러 법원에 있으면 모두 돌려줍니다.',
        tags: ['판례'],
        querystring: Type.Object({
          case_number: Type.String({ minLength: 1, maxLength: 200, description: '사건번호', examples: ['94나3943'] }),
          court: Type.Optional(
            Type.String({ maxLength: 100, description: '법원명 또는 그 일부 (여러 법원에 같은 번호가 있을 때; 전주지방법원, 전주지법, 전주)' }),
          ),
        }),
        response: { 200: Type.Object({ case_number: Type.String(), total: Type.Integer(), items: Type.Array(PrecedentSummarySchema) }), 400: ErrorBody },
      },
    },
    async (request) => {
      const input = request.query.case_number.normalize('NFKC').trim();
      if (!/[0-9]/u.test(input)) {
        throw E.PRECEDENT_CASE_NUMBER_INVALID.error(
          { value: input },
          {
            parameter: 'case_number',
          },
        );
      }
      const items = await services.store.findByCaseNumber(input, request.query.court);
      return { case_number: input, total: items.length, items };
    },
  );

  app.get(
    '/api/precedents/:id/citations',
    {
      config: { paramErrors: { id: E.PRECEDENT_ID_INVALID } },
      schema: {
        summary: '판례의 인용 관계',
        description:
          '이 판례가 인용한 판례(cites: 참조판례 항목과 본문의 "대법원 … 선고 … 판결" 인용)와 이 판례를 인용한 판례(cited_by). 인용은 가져올 때 추출해 두고, 조회할 때 사건번호·법원(·선고일)으로 이 데이터의 판례에 연결합니다. 데이터에 없는 판례는 resolved가 빈 배열입니다.',
        tags: ['판례'],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100, description: '판례 id' }) }),
        response: { 200: CitationsResponse, 404: ErrorBody },
      },
    },
    async (request) => {
      const p = await services.store.getById(request.params.id);
      if (!p) throw E.PRECEDENT_NOT_FOUND.error({ id: request.params.id, scope: 'database' }, { id: request.params.id });
      const [cites, citedBy] = await Promise.all([services.store.citationsFrom(p.id), services.store.citedBy(p)]);
      return { id: p.id, case_number: p.case_number, court: p.court, cites, cited_by: citedBy };
    },
  );

  app.get(
    '/api/statutes/:law/:article/precedents',
    {
      config: {
        paramErrors: {
          law: E.STATUTE_LAW_INVALID,
          article: E.STATUTE_ARTICLE_INVALID,
          page: E.SEARCH_PAGE_INVALID,
          size: E.SEARCH_SIZE_INVALID,
        },
      },
      schema: {
        summary: '법조문을 적용한 판례',
        description:
          '법령 이름과 조문으로 그 조문을 든 판례를 찾습니다: 참조조문 항목에 있는 판례가 먼저, 그다음 본문에서 든 횟수, 선고일 순. 예: `/api/statutes/민법/750/precedents`, `/api/statutes/국세기본법/제47조의2/precedents`. 법령 이름은 판례에 쓰인 정식 이름(띄어쓰기 포함, URL 인코딩)입니다. 데이터에 없는 법령이면 404와 비슷한 이름을 알려 줍니다.',
        tags: ['판례'],
        params: Type.Object({
          law: Type.String({ minLength: 1, maxLength: 100, description: '법령 이름 (예: 민법, 형법, 집회 및 시위에 관한 법률, 도로교통법 시행령)' }),
          article: Type.String({ minLength: 1, maxLength: 20, description: '조문: 750, 제750조, 47의2, 제47조의2' }),
        }),
        querystring: Type.Object({
          page: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_STATUTE_PAGE, default: 1 })),
          size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
        }),
        response: { 200: StatuteResponse, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const law = request.params.law.normalize('NFC').replace(/\s+/gu, ' ').trim();
      if (!law || !/[가-힣]/u.test(law)) {
        throw E.STATUTE_LAW_INVALID.error(
          { value: request.params.law },
          {
            parameter: 'law',
          },
        );
      }
      const parsed = parseArticle(request.params.article);
      if (!parsed) {
        throw E.STATUTE_ARTICLE_INVALID.error({ value: request.params.article }, { parameter: 'article' });
      }
      const page = request.query.page ?? 1;
      const size = request.query.size ?? 20;
      const found = await services.store.statuteApplications(law, parsed.article, parsed.sub, (page - 1) * size, size);
      if (found.law === null) {
        const similar = await services.store.lawNamesLike(law.replace(/^구\s+/u, ''), 5);
        throw E.STATUTE_NOT_FOUND.error({ law, similar }, { law, similar });
      }
      return { law: found.law, query: law, article: articleLabel(parsed.article, parsed.sub), total: found.total, page, size, items: found.items };
    },
  );
};
