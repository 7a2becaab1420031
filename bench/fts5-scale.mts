// SQLite FTS5 beside our index in bench/scale.bench.ts: builds an on-disk FTS5 table over a JSONL
// corpus with the same tokens our engine indexes (bench/peers.ts fieldTokens), then times the
// benchmark's keyword queries (AND of their tokens) and long queries (OR of their 48 rarest tokens,
// by FTS5's own document frequencies, as our similar-case plan keeps its 48 most informative terms).
// Prints one JSON object.
//
//   node --import tsx bench/fts5-scale.mts <corpus.jsonl> <fts5.db> <queries.json>
import Database from 'better-sqlite3';
import fs from 'node:fs';
import readline from 'node:readline';
import { loadConfig } from '../src/config/index.js';
import { searchParamsOf } from '../src/app/index.js';
import { indexTokens, normalizeText } from '../src/text/index.js';
import { toIndexable } from '../src/search/testing.js';
import { median, percentile } from './corpus.js';
import { fieldTokens } from './peers.js';

const [file, dbFile, queriesFile] = process.argv.slice(2) as [string, string, string];
const { bm25 } = searchParamsOf(loadConfig({ env: {} }));
const db = new Database(dbFile);
db.pragma('journal_mode = OFF');
db.pragma('synchronous = OFF');
db.exec(`CREATE VIRTUAL TABLE docs USING fts5(case_name, holdings, summary, full_text, tokenize = "unicode61 remove_diacritics 0")`);
db.exec(`CREATE VIRTUAL TABLE vocab USING fts5vocab(docs, 'row')`);
const insert = db.prepare('INSERT INTO docs (rowid, case_name, holdings, summary, full_text) VALUES (?, ?, ?, ?, ?)');
const t0 = performance.now();
let n = 0;
let batch: Record<string, string>[] = [];
const flush = db.transaction((rows: Record<string, string>[]) => {
  for (const t of rows) insert.run(n++, t.case_name, t.holdings, t.summary, t.full_text);
});
const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
for await (const line of rl) {
  if (!line.trim()) continue;
  batch.push(fieldTokens(toIndexable(JSON.parse(line) as Record<string, unknown>)));
  if (batch.length >= 2000) {
    flush(batch);
    batch = [];
  }
}
flush(batch);
db.exec(`INSERT INTO docs(docs) VALUES ('optimize')`);
const buildS = (performance.now() - t0) / 1000;

const w = ['case_name', 'holdings', 'summary', 'full_text'].map((f) => bm25.fields[f as 'case_name'].weight).join(', ');
const search = db.prepare<[string], { rowid: number }>(`SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, ${w}) LIMIT 10`);
const df = db.prepare<[string], { doc: number }>('SELECT doc FROM vocab WHERE term = ?');
const quote = (t: string): string => `"${t.replace(/"/g, '""')}"`;
const { keyword, long } = JSON.parse(fs.readFileSync(queriesFile, 'utf8')) as { keyword: string[]; long: string[] };
const keywordMatch = keyword.map((q) => [...new Set(indexTokens(normalizeText(q)))].map(quote).join(' AND ')).filter(Boolean);
const longMatch = long.map((q) =>
  [...new Set(indexTokens(normalizeText(q)))]
    .map((t) => ({ t, df: df.get(t)?.doc ?? 0 }))
    .filter((x) => x.df > 0)
    .sort((a, b) => a.df - b.df)
    .slice(0, 48)
    .map((x) => quote(x.t))
    .join(' OR '),
);
function time(matches: string[]): { p50: number; p90: number } {
  const per = matches.map((m) => {
    search.all(m);
    const ts = [0, 1, 2].map(() => {
      const t = performance.now();
      search.all(m);
      return performance.now() - t;
    });
    return median(ts);
  });
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  return { p50: r3(median(per)), p90: r3(percentile(per, 90)) };
}
const result = {
  documents: n,
  build_s: Math.round(buildS * 10) / 10,
  db_mb: Math.round((fs.statSync(dbFile).size / 1024 / 1024) * 10) / 10,
  keyword: time(keywordMatch),
  long: time(longMatch),
};
db.close();
process.stdout.write(JSON.stringify(result) + '\n');
