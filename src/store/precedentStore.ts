import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { contentHash, recordCaseKeys, type CaseType, type Precedent } from '../corpus/index.js';
import { normalizeCaseNumberKey, normalizeCourtName, parseCaseNumber } from '../legal/index.js';
import { migrationProvider } from './migrations.js';
import type { AppDatabase } from './schema.js';

/** Outcome of importing one batch of records. */
export interface ImportCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Records without a matching id that updated an existing decision with the same court and case number. */
  merged: number;
}

/** The columns of a decision that the search index is built from. */
export interface IndexSourceRow {
  id: string;
  case_number: string;
  court: string;
  decision_date: string | null;
  case_name: string;
  case_type: string;
  holdings: string | null;
  summary: string | null;
  full_text: string;
}

/** The text a snippet is cut from. */
export interface SnippetSource {
  holdings: string | null;
  summary: string | null;
  full_text: string;
}

export type PrecedentSummary = Pick<Precedent, 'id' | 'case_number' | 'court' | 'decision_date' | 'case_name' | 'case_type'>;

const SUMMARY_COLUMNS = ['id', 'case_number', 'court', 'decision_date', 'case_name', 'case_type'] as const;

/**
 * The application database (SQLite, `data/alaw.db` by default): decisions,
 * their case-number lookup keys, and the corpus version the search index is
 * checked against. Kysely for ordinary queries and migrations; the bulk
 * import and index scan use prepared better-sqlite3 statements, because they
 * run tens of thousands of times in one transaction.
 */
export class PrecedentStore {
  private readonly statements: ReturnType<PrecedentStore['prepare']>;

  private constructor(
    readonly file: string,
    private readonly sqlite: Database.Database,
    readonly db: Kysely<AppDatabase>,
  ) {
    this.statements = this.prepare();
  }

  /** Opens (creating if needed) the database file and brings its schema up to date. */
  static async open(file: string): Promise<PrecedentStore> {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const sqlite = new Database(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<AppDatabase>({ dialect: new SqliteDialect({ database: sqlite }) });
    const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
    if (error) {
      await db.destroy();
      const failed = results?.find((r) => r.status === 'Error')?.migrationName;
      throw Object.assign(new Error(`데이터베이스 마이그레이션 실패(${failed ?? '?'}): ${(error as Error).message}`), { code: 'ALAW_ERR_STORE_MIGRATION' });
    }
    return new PrecedentStore(file, sqlite, db);
  }

  private prepare() {
    const s = this.sqlite;
    return {
      byId: s.prepare<[string], { id: string; content_hash: string }>('SELECT id, content_hash FROM precedents WHERE id = ?'),
      byNaturalKey: s.prepare<[string, string], { id: string; content_hash: string }>(
        'SELECT id, content_hash FROM precedents WHERE court = ? AND case_number = ? ORDER BY id LIMIT 1',
      ),
      insert: s.prepare(
        `INSERT INTO precedents (id, case_number, court, decision_date, case_name, case_type, holdings, summary, statutes, cited_cases, full_text, source, content_hash, created_at, updated_at)
         VALUES (@id, @case_number, @court, @decision_date, @case_name, @case_type, @holdings, @summary, @statutes, @cited_cases, @full_text, @source, @content_hash, @now, @now)`,
      ),
      update: s.prepare(
        `UPDATE precedents SET case_number = @case_number, court = @court, decision_date = @decision_date, case_name = @case_name,
           case_type = @case_type, holdings = @holdings, summary = @summary, statutes = @statutes, cited_cases = @cited_cases,
           full_text = @full_text, source = @source, content_hash = @content_hash, updated_at = @now
         WHERE id = @id`,
      ),
      deleteKeys: s.prepare('DELETE FROM precedent_case_keys WHERE precedent_id = ?'),
      insertKey: s.prepare('INSERT OR IGNORE INTO precedent_case_keys (case_key, precedent_id) VALUES (?, ?)'),
      // Bumping the revision in the same transaction as the rows keeps the
      // index staleness check exact: a reader sees both or neither.
      bumpRevision: s.prepare("UPDATE app_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'corpus_revision'"),
      meta: s.prepare<[string], { value: string }>('SELECT value FROM app_meta WHERE key = ?'),
      count: s.prepare<[], { n: number }>('SELECT count(*) AS n FROM precedents'),
      scan: s.prepare<[], IndexSourceRow>(
        'SELECT id, case_number, court, decision_date, case_name, case_type, holdings, summary, full_text FROM precedents ORDER BY rowid',
      ),
      snippetSource: s.prepare<[string], SnippetSource>('SELECT holdings, summary, full_text FROM precedents WHERE id = ?'),
    };
  }

  /**
   * Imports records in one transaction: new ids are inserted, changed records
   * updated, identical ones left alone (so re-importing a file is a no-op).
   * A record whose id is unknown but whose court and case number match an
   * existing decision updates that decision instead of duplicating it.
   */
  importRecords(records: readonly Precedent[], now: Date = new Date()): ImportCounts {
    const counts: ImportCounts = { inserted: 0, updated: 0, unchanged: 0, merged: 0 };
    const st = this.statements;
    const stamp = now.toISOString();
    this.sqlite.transaction(() => {
      for (const r of records) {
        const hash = contentHash(r);
        let target = st.byId.get(r.id);
        let merged = false;
        if (!target) {
          target = st.byNaturalKey.get(r.court, r.case_number);
          merged = target !== undefined;
        }
        if (target && target.content_hash === hash) {
          counts.unchanged++;
          continue;
        }
        const row = { ...r, id: target?.id ?? r.id, content_hash: hash, now: stamp };
        if (target) {
          st.update.run(row);
          st.deleteKeys.run(row.id);
          counts.updated++;
          if (merged) counts.merged++;
        } else {
          st.insert.run(row);
          counts.inserted++;
        }
        for (const key of recordCaseKeys(r)) st.insertKey.run(key, row.id);
      }
      if (counts.inserted + counts.updated > 0) st.bumpRevision.run();
    })();
    return counts;
  }

  /**
   * Identifies the corpus content: changes whenever an import changes a row,
   * and differs between databases (a generation id is minted at creation).
   */
  corpusVersion(): string {
    const gen = this.statements.meta.get('corpus_generation')?.value ?? 'unknown';
    const rev = this.statements.meta.get('corpus_revision')?.value ?? '0';
    return `${gen}:${rev}`;
  }

  count(): number {
    return this.statements.count.get()!.n;
  }

  /** Every decision in a stable order, streamed (the index builder's input). */
  scanForIndex(): IterableIterator<IndexSourceRow> {
    return this.statements.scan.iterate();
  }

  /** Text fields used for snippets, by id (one indexed lookup each). */
  snippetSource(id: string): SnippetSource | undefined {
    return this.statements.snippetSource.get(id);
  }

  async getById(id: string): Promise<Precedent | undefined> {
    const row = await this.db
      .selectFrom('precedents')
      .select(['id', 'case_number', 'court', 'decision_date', 'case_name', 'case_type', 'holdings', 'summary', 'statutes', 'cited_cases', 'full_text', 'source'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? { ...row, case_type: row.case_type as CaseType } : undefined;
  }

  /**
   * Decisions with a case number, tolerant of spacing, court prefixes such as
   * `(제주)` and joined numbers (`2009다78863` finds `2009다78863, 78870`).
   * Optionally narrowed to one court (abbreviations accepted).
   */
  async findByCaseNumber(input: string, court?: string): Promise<PrecedentSummary[]> {
    const keys = new Set<string>([normalizeCaseNumberKey(input)]);
    for (const n of parseCaseNumber(input) ?? []) keys.add(n.normalized);
    let q = this.db
      .selectFrom('precedent_case_keys as k')
      .innerJoin('precedents as p', 'p.id', 'k.precedent_id')
      .select(SUMMARY_COLUMNS.map((c) => `p.${c}` as const))
      .where('k.case_key', 'in', [...keys])
      .distinct()
      .orderBy('p.decision_date', 'desc')
      .orderBy('p.id');
    if (court) q = q.where('p.court', '=', normalizeCourtName(court));
    const rows = await q.execute();
    return rows.map((r) => ({ ...r, case_type: r.case_type as CaseType }));
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
