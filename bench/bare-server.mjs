// A bare Fastify server answering GET /api/search with a fixed JSON body:
// the ceiling our search endpoint is compared with in bench/http.bench.ts.
import Fastify from 'fastify';
import fs from 'node:fs';

const body = fs.readFileSync(process.argv[2], 'utf8');
const app = Fastify({ logger: false });
app.get('/api/search', async (_req, reply) => reply.type('application/json; charset=utf-8').send(body));
await app.listen({ host: '127.0.0.1', port: Number(process.argv[3] ?? 0) });
process.stdout.write(`listening ${app.server.address().port}\n`);
