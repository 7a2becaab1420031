import { E } from '../errors/index.js';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, sql, SqliteDialect } from 'kysely';
import { contentHash, recordCaseKeys, type CaseType, type Precedent } from '../corpus/index.js';
import { extractLinks, findCaseNumbers, lawKey, LINKS_VERSION, normalizeCaseNumberKey, normalizeCourtName, type LinkSource } from '../legal/index.js';
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

/** How one decision refers to another (src/legal/links.ts). */
export interface CitationInfo {
  citation: string;
  in_reference: boolean;
  mentions: number;
  context: string | null;
}

/** A decision this one cites, with the decisions of the corpus it resolves to (none when the corpus lacks it). */
export interface OutgoingCitation extends CitationInfo {
  case_number: string;
  court: string | null;
  decision_date: string | null;
  resolved: PrecedentSummary[];
}

/** A decision that applies a statute article. */
export interface StatuteApplication extends PrecedentSummary {
  in_reference: boolean;
  mentions: number;
  former: boolean;
}

/** `generation:revision` → its parts (revision null when not a whole number). */
function splitVersion(version: string): [string, number | null] {
  const at = version.lastIndexOf(':');
  const rev = Number(version.slice(at + 1));
  return [version.slice(0, at), at > 0 && Number.isSafeInteger(rev) && rev >= 0 ? rev : null];
}

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
      throw E.STORE_MIGRATION.error({ migration: failed ?? '?', reason: (error as Error).message }).because(error);
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
        `INSERT INTO precedents (id, case_number, court, decision_date, case_name, case_type, holdings, summary, statutes, cited_cases, full_text, source, content_hash, created_at, updated_at, index_rev)
         VALUES (@id, @case_number, @court, @decision_date, @case_name, @case_type, @holdings, @summary, @statutes, @cited_cases, @full_text, @source, @content_hash, @now, @now, @rev)`,
      ),
      update: s.prepare(
        `UPDATE precedents SET case_number = @case_number, court = @court, decision_date = @decision_date, case_name = @case_name,
           case_type = @case_type, holdings = @holdings, summary = @summary, statutes = @statutes, cited_cases = @cited_cases,
           full_text = @full_text, source = @source, content_hash = @content_hash, updated_at = @now, index_rev = @rev
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
      changedSince: s.prepare<[number], IndexSourceRow>(
        // Ordered by the index it filters on: `ORDER BY rowid` alone made SQLite scan the whole table
        // (10 s of a 1,000-decision update at 1 M decisions) instead of searching precedents_index_rev.
        'SELECT id, case_number, court, decision_date, case_name, case_type, holdings, summary, full_text FROM precedents WHERE index_rev > ? ORDER BY index_rev, rowid',
      ),
      countChangedSince: s.prepare<[number], { n: number }>('SELECT count(*) AS n FROM precedents WHERE index_rev > ?'),
      snippetSource: s.prepare<[string], SnippetSource>('SELECT holdings, summary, full_text FROM precedents WHERE id = ?'),
      setMeta: s.prepare<[string, string]>('INSERT INTO app_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      deleteMeta: s.prepare<[string]>('DELETE FROM app_meta WHERE key = ?'),
      deleteCitations: s.prepare<[string]>('DELETE FROM precedent_citations WHERE citing_id = ?'),
      deleteStatutes: s.prepare<[string]>('DELETE FROM precedent_statutes WHERE precedent_id = ?'),
      insertCitation: s.prepare(
        `INSERT INTO precedent_citations (citing_id, cited_key, cited_court, cited_date, citation, in_reference, mentions, context)
         VALUES (@citing_id, @key, @court, @date, @citation, @in_reference, @mentions, @context)`,
      ),
      insertStatute: s.prepare(
        `INSERT INTO precedent_statutes (precedent_id, law, law_key, article, article_sub, in_reference, mentions, former)
         VALUES (@precedent_id, @law, @lawKey, @article, @articleSub, @in_reference, @mentions, @former)`,
      ),
      linkSourcesAfter: s.prepare<[number, number], LinkSource & { id: string; rowid: number }>(
        'SELECT rowid, id, case_number, court, holdings, summary, full_text, statutes, cited_cases FROM precedents WHERE rowid > ? ORDER BY rowid LIMIT ?',
      ),
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
      // The revision this transaction bumps to (bumped at the end only if a row changed).
      const rev = Number(st.meta.get('corpus_revision')?.value ?? '0') + 1;
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
        const row = { ...r, id: target?.id ?? r.id, content_hash: hash, now: stamp, rev };
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
        this.writeLinks(row.id, row, target !== undefined);
      }
      if (counts.inserted + counts.updated > 0) st.bumpRevision.run();
    })();
    return counts;
  }

  /** Replaces the derived citations and statutes of one decision (inside the caller's transaction). */
  private writeLinks(id: string, r: LinkSource, replace: boolean): void {
    const st = this.statements;
    if (replace) {
      st.deleteCitations.run(id);
      st.deleteStatutes.run(id);
    }
    const { citations, statutes } = extractLinks(r);
    for (const c of citations) st.insertCitation.run({ ...c, citing_id: id, in_reference: c.inReference ? 1 : 0 });
    for (const a of statutes) st.insertStatute.run({ ...a, precedent_id: id, in_reference: a.inReference ? 1 : 0, former: a.former ? 1 : 0 });
  }

  /**
   * Makes sure the citation and statute tables were derived by the current
   * rules (`LINKS_VERSION`); re-derives them for every decision otherwise
   * (a database from before the tables existed, or after the rules changed).
   * Returns how many decisions were processed (0 when already current).
   */
  ensureLinks(onProgress?: (done: number, total: number) => void): number {
    const st = this.statements;
    if (st.meta.get('links_version')?.value === LINKS_VERSION) return 0;
    const total = this.count();
    let done = 0;
    this.sqlite.transaction(() => {
      this.sqlite.exec('DELETE FROM precedent_citations; DELETE FROM precedent_statutes;');
      // In pages: better-sqlite3 cannot write while an iterator is open, and the whole corpus would not fit in memory comfortably.
      for (let after = 0; ;) {
        const rows = st.linkSourcesAfter.all(after, 500);
        if (rows.length === 0) break;
        for (const r of rows) this.writeLinks(r.id, r, false);
        after = rows[rows.length - 1]!.rowid;
        done += rows.length;
        onProgress?.(done, total);
      }
      st.setMeta.run('links_version', LINKS_VERSION);
    })();
    return done;
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

  /** A value of the app_meta table (bookkeeping such as an unfinished seed import). */
  getMeta(key: string): string | undefined {
    return this.statements.meta.get(key)?.value;
  }

  /** Sets (or, with null, removes) an app_meta value. */
  setMeta(key: string, value: string | null): void {
    if (value === null) this.statements.deleteMeta.run(key);
    else this.statements.setMeta.run(key, value);
  }

  /** Every decision in a stable order, streamed (the index builder's input). */
  scanForIndex(): IterableIterator<IndexSourceRow> {
    return this.statements.scan.iterate();
  }

  /**
   * The decisions written after corpus revision `rev` (the revision part of
   * an older corpusVersion()), streamed in a stable order: what an index
   * built at that revision lacks. Null when `version` is of another database.
   */
  changedSince(version: string): { count: number; rows: Iterable<IndexSourceRow> } | null {
    const [gen, rev] = splitVersion(version);
    const [currentGen] = splitVersion(this.corpusVersion());
    if (gen !== currentGen || rev === null) return null;
    // The statement runs when the rows are iterated, not here: a caller that only wants the count
    // (and decides to rebuild instead) leaves no open cursor behind to block the connection.
    const statement = this.statements.changedSince;
    return { count: this.statements.countChangedSince.get(rev)!.n, rows: { [Symbol.iterator]: () => statement.iterate(rev) } };
  }

  /** Text fields used for snippets, by id (one indexed lookup each). */
  snippetSource(id: string): SnippetSource | undefined {
    return this.statements.snippetSource.get(id);
  }

  async getById(id: string): Promise<Precedent | undefined> {
    const row = await this.db
      .selectFrom('precedents')
      .select([
        'id',
        'case_number',
        'court',
        'decision_date',
        'case_name',
        'case_type',
        'holdings',
        'summary',
        'statutes',
        'cited_cases',
        'full_text',
        'source',
      ])
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? { ...row, case_type: row.case_type as CaseType } : undefined;
  }

  /**
   * Decisions with a case number, tolerant of spacing, court prefixes such as
   * `(제주)`, joined numbers (`2009다78863` finds `2009다78863, 78870`) and
   * lists (`92다41054, 93다42016` finds both). Optionally narrowed to one court
   * (abbreviations and parts of the name accepted: 전주지법, 전주).
   */
  async findByCaseNumber(input: string, court?: string): Promise<PrecedentSummary[]> {
    const text = input.normalize('NFKC');
    const keys = new Set<string>([normalizeCaseNumberKey(text)]);
    for (const m of findCaseNumbers(text, { loose: true })) for (const n of m.numbers) keys.add(n.normalized);
    let q = this.db
      .selectFrom('precedent_case_keys as k')
      .innerJoin('precedents as p', 'p.id', 'k.precedent_id')
      .select(SUMMARY_COLUMNS.map((c) => `p.${c}` as const))
      .where('k.case_key', 'in', [...keys])
      .distinct()
      .orderBy('p.decision_date', 'desc')
      .orderBy('p.id');
    if (court) {
      const name = normalizeCourtName(court);
      const part = `%${court.trim().replace(/[\\%_]/gu, (c) => `\\${c}`)}%`;
      q = q.where((eb) => eb.or([eb('p.court', '=', name), sql<boolean>`p.court LIKE ${part} ESCAPE '\\'`]));
    }
    const rows = await q.execute();
    return rows.map((r) => ({ ...r, case_type: r.case_type as CaseType }));
  }

  /**
   * The decisions one decision cites, each resolved against the corpus by
   * case number and, when the citation names it, court (and date, when that
   * tells two candidates apart).
   */
  async citationsFrom(id: string): Promise<OutgoingCitation[]> {
    const rows = await this.db
      .selectFrom('precedent_citations')
      .selectAll()
      .where('citing_id', '=', id)
      .orderBy('in_reference', 'desc')
      .orderBy('mentions', 'desc')
      .orderBy('cited_key')
      .execute();
    if (rows.length === 0) return [];
    const candidates = await this.db
      .selectFrom('precedent_case_keys as k')
      .innerJoin('precedents as p', 'p.id', 'k.precedent_id')
      .select(['k.case_key', ...SUMMARY_COLUMNS.map((c) => `p.${c}` as const)])
      .where('k.case_key', 'in', [...new Set(rows.map((r) => r.cited_key))])
      .where('p.id', '<>', id)
      .execute();
    return rows.map((r) => {
      let resolved = candidates.filter((c) => c.case_key === r.cited_key && (r.cited_court === null || c.court === r.cited_court));
      const sameDay = resolved.filter((c) => r.cited_date !== null && c.decision_date === r.cited_date);
      if (sameDay.length > 0) resolved = sameDay;
      const unique = new Map(resolved.map(({ case_key: _k, ...p }) => [p.id, { ...p, case_type: p.case_type as CaseType }]));
      return {
        case_number: r.cited_key,
        court: r.cited_court,
        decision_date: r.cited_date,
        citation: r.citation,
        in_reference: r.in_reference === 1,
        mentions: r.mentions,
        context: r.context,
        resolved: [...unique.values()],
      };
    });
  }

  /** The decisions that cite this one (by its case numbers, in its court when the citation names a court), newest first. */
  async citedBy(target: Pick<Precedent, 'id' | 'court' | 'case_number'>): Promise<(PrecedentSummary & CitationInfo)[]> {
    const rows = await this.db
      .selectFrom('precedent_citations as c')
      .innerJoin('precedents as p', 'p.id', 'c.citing_id')
      .select([...SUMMARY_COLUMNS.map((c) => `p.${c}` as const), 'c.citation', 'c.in_reference', 'c.mentions', 'c.context'])
      .where('c.cited_key', 'in', recordCaseKeys(target))
      .where('c.citing_id', '<>', target.id)
      .where((eb) => eb.or([eb('c.cited_court', 'is', null), eb('c.cited_court', '=', target.court)]))
      .orderBy('p.decision_date', 'desc')
      .orderBy('p.id')
      .execute();
    const seen = new Set<string>();
    return rows.filter((r) => !seen.has(r.id) && seen.add(r.id)).map((r) => ({ ...r, case_type: r.case_type as CaseType, in_reference: r.in_reference === 1 }));
  }

  /**
   * Decisions that apply one statute article, whatever spelling or short name
   * they use for the law: listed in 참조조문 first, then by how often the text
   * cites it, then newest. `law` is the spelling most decisions use.
   */
  async statuteApplications(
    name: string,
    article: number,
    sub: number,
    offset: number,
    limit: number,
  ): Promise<{ law: string | null; total: number; items: StatuteApplication[] }> {
    const key = lawKey(name);
    const where = this.db.selectFrom('precedent_statutes as s').where('s.law_key', '=', key).where('s.article', '=', article).where('s.article_sub', '=', sub);
    const { n } = await where.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await where
      .innerJoin('precedents as p', 'p.id', 's.precedent_id')
      .select([...SUMMARY_COLUMNS.map((c) => `p.${c}` as const), 's.in_reference', 's.mentions', 's.former'])
      .orderBy('s.in_reference', 'desc')
      .orderBy('s.mentions', 'desc')
      .orderBy('p.decision_date', 'desc')
      .orderBy('p.id')
      .offset(offset)
      .limit(limit)
      .execute();
    const spelling = await this.db
      .selectFrom('precedent_statutes')
      .select(['law', (eb) => eb.fn.countAll<number>().as('n')])
      .where('law_key', '=', key)
      .groupBy('law')
      .orderBy('n', 'desc')
      .orderBy('law')
      .limit(1)
      .executeTakeFirst();
    return {
      law: spelling?.law ?? null,
      total: Number(n),
      items: rows.map((r) => ({ ...r, case_type: r.case_type as CaseType, in_reference: r.in_reference === 1, former: r.former === 1 })),
    };
  }

  /** Law names the corpus cites that contain `fragment` (spaces ignored), most cited first: suggestions for a name with no match. */
  async lawNamesLike(fragment: string, limit: number): Promise<string[]> {
    const escaped = lawKey(fragment).replace(/[\\%_]/g, (c) => `\\${c}`);
    const rows = await this.db
      .selectFrom('precedent_statutes')
      .select(['law_key', (eb) => eb.fn.max('law').as('law'), (eb) => eb.fn.countAll<number>().as('n')])
      .where(sql<boolean>`law_key LIKE ${`%${escaped}%`} ESCAPE '\\'`)
      .groupBy('law_key')
      .orderBy('n', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => r.law);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
