import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * Schema migrations of the application database, in order. Written with
 * Kysely's schema builder so the same steps run on SQLite and PostgreSQL.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001_precedents': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('precedents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('case_number', 'text', (c) => c.notNull())
        .addColumn('court', 'text', (c) => c.notNull())
        .addColumn('decision_date', 'text')
        .addColumn('case_name', 'text', (c) => c.notNull())
        .addColumn('case_type', 'text', (c) => c.notNull())
        .addColumn('holdings', 'text')
        .addColumn('summary', 'text')
        .addColumn('statutes', 'text')
        .addColumn('cited_cases', 'text')
        .addColumn('full_text', 'text', (c) => c.notNull())
        .addColumn('source', 'text')
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      // (court, case_number) is the natural key the corpus was deduplicated on.
      await db.schema.createIndex('precedents_natural_key').on('precedents').columns(['court', 'case_number']).execute();
      await db.schema
        .createTable('precedent_case_keys')
        .addColumn('case_key', 'text', (c) => c.notNull())
        .addColumn('precedent_id', 'text', (c) => c.notNull().references('precedents.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('precedent_case_keys_pk', ['case_key', 'precedent_id'])
        .execute();
      await db.schema.createIndex('precedent_case_keys_precedent').on('precedent_case_keys').column('precedent_id').execute();
      await db.schema
        .createTable('app_meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      await sql`INSERT INTO app_meta (key, value) VALUES ('corpus_generation', ${crypto.randomUUID()}), ('corpus_revision', '0')`.execute(db);
    },
  },
  /**
   * References between decisions and from decisions to statutes, derived from
   * each record at import (src/legal/links.ts). Cited decisions are kept by
   * case number, not id, and resolved when read, so a decision imported after
   * the one citing it is found.
   */
  '0002_links': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('precedent_citations')
        .addColumn('citing_id', 'text', (c) => c.notNull().references('precedents.id').onDelete('cascade'))
        .addColumn('cited_key', 'text', (c) => c.notNull())
        .addColumn('cited_court', 'text')
        .addColumn('cited_date', 'text')
        .addColumn('citation', 'text', (c) => c.notNull())
        .addColumn('in_reference', 'integer', (c) => c.notNull())
        .addColumn('mentions', 'integer', (c) => c.notNull())
        .addColumn('context', 'text')
        .addPrimaryKeyConstraint('precedent_citations_pk', ['citing_id', 'cited_key'])
        .execute();
      await db.schema.createIndex('precedent_citations_cited').on('precedent_citations').column('cited_key').execute();
      await db.schema
        .createTable('precedent_statutes')
        .addColumn('precedent_id', 'text', (c) => c.notNull().references('precedents.id').onDelete('cascade'))
        .addColumn('law', 'text', (c) => c.notNull())
        .addColumn('law_key', 'text', (c) => c.notNull())
        .addColumn('article', 'integer', (c) => c.notNull())
        .addColumn('article_sub', 'integer', (c) => c.notNull())
        .addColumn('in_reference', 'integer', (c) => c.notNull())
        .addColumn('mentions', 'integer', (c) => c.notNull())
        .addColumn('former', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('precedent_statutes_pk', ['precedent_id', 'law_key', 'article', 'article_sub'])
        .execute();
      await db.schema.createIndex('precedent_statutes_article').on('precedent_statutes').columns(['law_key', 'article', 'article_sub']).execute();
    },
  },
  /**
   * The corpus revision that last wrote each decision, so the search index can
   * be brought up to date with only the decisions changed since it was built
   * (src/search/incremental.ts). Existing rows get the current revision: an
   * index older than that is rebuilt, never silently missing a change.
   */
  '0003_index_rev': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('precedents')
        .addColumn('index_rev', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await sql`UPDATE precedents SET index_rev = (SELECT CAST(value AS INTEGER) FROM app_meta WHERE key = 'corpus_revision')`.execute(db);
      await db.schema.createIndex('precedents_index_rev').on('precedents').column('index_rev').execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};
