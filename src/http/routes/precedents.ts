import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../../app/index.js';
import { AlawError } from '../../errors.js';
import { ErrorBody, PrecedentSchema, PrecedentSummarySchema } from '../schemas.js';

/** `GET /api/precedents/{id}` and `GET /api/precedents?case_number=…`. */
export const precedentRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/precedents/:id',
    {
      config: { paramErrorCodes: { id: 'ALAW_ERR_PRECEDENT_ID_INVALID' } },
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
        throw new AlawError('ALAW_ERR_PRECEDENT_NOT_FOUND', 404, `id가 ${request.params.id}인 판례가 없습니다. 사건번호로 찾으려면 /api/precedents?case_number=… 를 쓰세요.`, {
          id: request.params.id,
        });
      }
      return p;
    },
  );

  app.get(
    '/api/precedents',
    {
      config: { paramErrorCodes: { case_number: 'ALAW_ERR_PRECEDENT_CASE_NUMBER_INVALID', court: 'ALAW_ERR_PRECEDENT_CASE_NUMBER_INVALID' } },
      schema: {
        summary: '사건번호로 판례 찾기',
        description: '띄어쓰기(`2016 다 276177`), 법원 접두어(`(제주)2014나1166`), 병합 번호(`2009다78863, 78870`)를 허용합니다. 같은 번호가 여러 법원에 있으면 모두 돌려줍니다.',
        tags: ['판례'],
        querystring: Type.Object({
          case_number: Type.String({ minLength: 1, maxLength: 200, description: '사건번호', examples: ['94나3943'] }),
          court: Type.Optional(Type.String({ maxLength: 100, description: '법원명 (여러 법원에 같은 번호가 있을 때)' })),
        }),
        response: { 200: Type.Object({ case_number: Type.String(), total: Type.Integer(), items: Type.Array(PrecedentSummarySchema) }), 400: ErrorBody },
      },
    },
    async (request) => {
      const input = request.query.case_number.trim();
      if (!/[0-9]/u.test(input)) {
        throw new AlawError('ALAW_ERR_PRECEDENT_CASE_NUMBER_INVALID', 400, `사건번호 형식이 아닙니다: ${JSON.stringify(input)}. 예: 2016다276177, 94나3943`, {
          parameter: 'case_number',
        });
      }
      const items = await services.store.findByCaseNumber(input, request.query.court);
      return { case_number: input, total: items.length, items };
    },
  );
};
