#!/usr/bin/env node
import { serve } from './server.js';

// `npm start`: the API server with embedded defaults (see server.ts).
serve().catch((err: unknown) => {
  const e = err as Error & { code?: unknown };
  // Our own start-up errors (queue database unreachable, migration failed) carry a code and a message meant for the operator.
  const text = typeof e.code === 'string' && e.code.startsWith('ALAW_ERR_') ? `${e.message} [${e.code}]` : (e.stack ?? String(err));
  process.stderr.write(`시작하지 못했습니다: ${text}\n`);
  process.exit(1);
});
