#!/usr/bin/env node
import { isAlawError } from './errors/index.js';
import { serve } from './server.js';

// `npm start`: the API server with embedded defaults (see server.ts).
serve().catch((err: unknown) => {
  // Our own start-up errors (queue database unreachable, migration failed, bad settings) carry a catalog code and a message meant for the operator.
  const text = isAlawError(err) ? `${err.message} [${err.code}]` : ((err as Error).stack ?? String(err));
  process.stderr.write(`시작하지 못했습니다: ${text}\n`);
  process.exit(1);
});
