import { Type, type Static } from 'typebox';

const Field = (weight: number, b: number) =>
  Type.Object(
    {
      /** Relative weight of a term occurrence in this field (BM25F w_f). */
      weight: Type.Number({ minimum: 0, maximum: 100, default: weight }),
      /** Length normalization of this field, 0 (none) … 1 (full) (BM25F b_f). */
      b: Type.Number({ minimum: 0, maximum: 1, default: b }),
    },
    { additionalProperties: false, default: {} },
  );

/**
 * The one configuration schema. Defaults are embedded, so an empty
 * environment runs the service over the bundled corpus. Units in comments.
 */
export const ConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        /** Interface to listen on. Loopback by default; set 0.0.0.0 behind a proxy or in a container. */
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        /** TCP port (the operations guide's 8997). */
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8997 }),
        /** Largest accepted request body, bytes. */
        bodyLimit: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1024 * 1024 }),
        /** This instance's id (the guide's INSTANCE_ID); empty means hostname-pid. */
        instanceId: Type.String({ default: '' }),
        /** Trust X-Forwarded-* headers (set when behind nginx). */
        trustProxy: Type.Boolean({ default: false }),
      },
      { additionalProperties: false, default: {} },
    ),
    paths: Type.Object(
      {
        /** Application database (SQLite): the precedents and their case-number keys. */
        database: Type.String({ minLength: 1, default: 'data/alaw.db' }),
        /** Directory of the derived search index (rebuilt when missing, corrupt or stale). */
        indexDir: Type.String({ minLength: 1, default: 'data/index' }),
        /** Corpus imported into an empty database at start-up; empty string disables seeding. */
        seedCorpus: Type.String({ default: 'data/precedents-dev.jsonl.gz' }),
      },
      { additionalProperties: false, default: {} },
    ),
    search: Type.Object(
      {
        /** BM25 term-frequency saturation k1 (index-time: changing it rebuilds the index). */
        k1: Type.Number({ minimum: 0.01, maximum: 10, default: 1.2 }),
        fields: Type.Object(
          {
            case_name: Field(1.5, 0.3),
            holdings: Field(1.0, 0.5),
            summary: Field(1.2, 0.5),
            full_text: Field(1.0, 1.0),
          },
          { additionalProperties: false, default: {} },
        ),
        /** Query-term-frequency saturation (BM25 k3) for long queries. */
        k3: Type.Number({ minimum: 0, maximum: 1000, default: 1.5 }),
        /** Weight of an exact word-form match relative to one bigram. */
        wordFormWeight: Type.Number({ minimum: 0, maximum: 10, default: 0.5 }),
        /** In auto mode, queries with at least this many content words (or this many characters) use similar-case mode. */
        similarMinWords: Type.Integer({ minimum: 1, maximum: 1000, default: 6 }),
        similarMinChars: Type.Integer({ minimum: 1, maximum: 100000, default: 60 }),
        /** Similar-case mode scores only the most informative query terms (by idf × qtf). */
        similarMaxTerms: Type.Integer({ minimum: 1, maximum: 4096, default: 48 }),
        /** Longest accepted query, characters. */
        maxQueryChars: Type.Integer({ minimum: 10, maximum: 100000, default: 5000 }),
        defaultPageSize: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
        maxPageSize: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        /** Deepest reachable result (page × size), like Elasticsearch's max_result_window. */
        maxResultWindow: Type.Integer({ minimum: 1, maximum: 100000, default: 1000 }),
        /** How often the server checks for an index rebuilt by `alaw import`/`alaw index`, seconds (0: never). */
        reloadCheckSeconds: Type.Integer({ minimum: 0, maximum: 86400, default: 10 }),
        /** Snippet length, characters. */
        snippetChars: Type.Integer({ minimum: 20, maximum: 2000, default: 180 }),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Union(
          [Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')],
          { default: 'info' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

export type Config = Static<typeof ConfigSchema>;
export type SearchConfig = Config['search'];
export type FieldName = keyof SearchConfig['fields'];
