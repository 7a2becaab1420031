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
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};
