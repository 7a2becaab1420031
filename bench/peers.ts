import Database from 'better-sqlite3';
import MiniSearch from 'minisearch';
import type { Bm25Params, IndexableDocument } from '../src/search/index.js';
import { indexTokens, normalizeText } from '../src/text/index.js';

/**
 * The peers of the benchmarks, fed the same tokens as our engine: each field
 * is tokenized with our tokenizer and stored as space-separated tokens, and
 * queries are the exact terms our engine scores. So the comparison measures
 * the engines (scoring, top-k), not the tokenizers.
 */
const FIELDS = ['case_name', 'holdings', 'summary', 'full_text'] as const;

export function fieldTokens(d: IndexableDocument): Record<(typeof FIELDS)[number], string> {
  const t = (s: string | null): string => (s ? indexTokens(normalizeText(s)).join(' ') : '');
  return { case_name: t(d.case_name), holdings: t(d.holdings), summary: t(d.summary), full_text: t(d.full_text) };
}

/** SQLite FTS5 with bm25() and our field weights, in memory. */
export class Fts5Peer {
  readonly db = new Database(':memory:');
  private stmt!: Database.Statement<[string], { rowid: number }>;

  constructor(private readonly params: Bm25Params) {
    this.db.exec(`CREATE VIRTUAL TABLE docs USING fts5(case_name, holdings, summary, full_text, tokenize = "unicode61 remove_diacritics 0")`);
  }

  build(docs: IndexableDocument[], tokens?: Record<string, string>[]): void {
    const insert = this.db.prepare('INSERT INTO docs (rowid, case_name, holdings, summary, full_text) VALUES (?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      docs.forEach((d, i) => {
        const t = tokens?.[i] ?? fieldTokens(d);
        insert.run(i, t.case_name, t.holdings, t.summary, t.full_text);
      });
    })();
    const w = FIELDS.map((f) => this.params.fields[f].weight).join(', ');
    this.stmt = this.db.prepare(`SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, ${w}) LIMIT 10`);
  }

  /** Top 10 document numbers for OR (or AND, with `all`) of the given terms. */
  search(terms: string[], all = false): number[] {
    if (terms.length === 0) return [];
    const match = terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(all ? ' AND ' : ' OR ');
    return this.stmt.all(match).map((r) => r.rowid);
  }

  bytes(): number {
    const page = this.db.pragma('page_size', { simple: true }) as number;
    const count = this.db.pragma('page_count', { simple: true }) as number;
    return page * count;
  }
}

/** MiniSearch with the same tokens and field boosts, OR semantics, no prefix/fuzzy. */
export class MiniSearchPeer {
  readonly ms: MiniSearch<{ id: number } & Record<string, string | number>>;

  constructor(params: Bm25Params) {
    this.ms = new MiniSearch({
      fields: [...FIELDS],
      idField: 'id',
      tokenize: (s: string) => (s ? s.split(' ') : []),
      processTerm: (t: string) => t,
      searchOptions: {
        boost: Object.fromEntries(FIELDS.map((f) => [f, params.fields[f].weight])),
        combineWith: 'OR',
        prefix: false,
        fuzzy: false,
      },
    });
  }

  build(docs: IndexableDocument[], tokens?: Record<string, string>[]): void {
    this.ms.addAll(docs.map((d, i) => ({ id: i, ...(tokens?.[i] ?? fieldTokens(d)) })));
  }

  search(terms: string[], all = false): number[] {
    if (terms.length === 0) return [];
    return this.ms
      .search(terms.join(' '), { combineWith: all ? 'AND' : 'OR' })
      .slice(0, 10)
      .map((r) => r.id as number);
  }
}
