import fs from 'node:fs';
import { parseSearchRequest, searchResponse, type RawSearchParams } from '../../app/index.js';
import { explainDocument } from '../../search/index.js';
import { formatSearch } from '../output.js';
import { E, EXIT } from '../../errors/index.js';
import { withServices, type GlobalOptions } from '../context.js';

/** `alaw search …`: the same search as GET /api/search, printed for a terminal or as JSON. */
export async function runSearch(words: string[], opts: Record<string, unknown>, g: GlobalOptions): Promise<number> {
  const q = words.length === 1 && words[0] === '-' ? fs.readFileSync(0, 'utf8') : words.join(' ');
  const params: RawSearchParams = {
    q,
    page: opts.page,
    size: opts.size,
    sort: opts.sort,
    mode: opts.mode,
    court: opts.court,
    court_level: opts.courtLevel,
    case_type: opts.caseType,
    date_from: opts.from,
    date_to: opts.to,
    snippets: opts.snippets === false ? 'false' : undefined,
  };
  return withServices(g, { seed: true }, async (s) => {
    const engine = s.search.engine;
    if (typeof opts.explain === 'string') {
      const doc = engine.docNoOf(opts.explain);
      if (doc === undefined) throw E.PRECEDENT_NOT_FOUND.error({ id: opts.explain, scope: 'index' });
      process.stdout.write(
        JSON.stringify(explainDocument(engine, doc, parseSearchRequest(params, engine.settings), s.store.snippetSource(opts.explain)), null, 2) + '\n',
      );
      return EXIT.ok;
    }
    const result = searchResponse(engine.run(parseSearchRequest(params, engine.settings)));
    if (opts.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else process.stdout.write(formatSearch(result, Boolean(process.stdout.isTTY)) + '\n');
    return EXIT.ok;
  });
}
