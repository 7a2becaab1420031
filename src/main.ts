#!/usr/bin/env node
import { serve } from './server.js';

// `npm start`: the API server with embedded defaults (see server.ts).
serve().catch((err: unknown) => {
  process.stderr.write(`시작하지 못했습니다: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
