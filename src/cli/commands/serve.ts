import type { GlobalOptions } from '../context.js';

/** `alaw serve`: starts the API server with the CLI's global options applied. */
export async function runServe(g: GlobalOptions): Promise<void> {
  const { serve } = await import('../../server.js');
  await serve({ file: g.config, overrides: { ...(g.db ? { 'paths.database': g.db } : {}), ...(g.indexDir ? { 'paths.indexDir': g.indexDir } : {}) } });
}
