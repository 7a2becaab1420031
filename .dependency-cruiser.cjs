/**
 * The layers of docs/ARCHITECTURE.md ("Modules"), checked on every `npm run lint`.
 * A module may import only from modules of a lower layer (never a sibling of its own
 * layer, never a higher one), and only through a folder's public index.ts.
 *
 *   0  errors                                   the error catalog
 *   1  config  context  version                 settings, the log context, the version
 *  1b  logRepeats                               repeated-error logging (on the clock)
 *   2  text  legal                              Korean text and legal parsers: pure
 *   3  corpus                                   the decision model and importers
 *   4  search  store  queue  auth               the capabilities (each with its own store module)
 *   5  analysis  ops                            what is built on them
 *   6  app                                      services shared by HTTP and the CLI
 *   7  http                                     the HTTP API
 *   8  server                                   the composition root of the service (serve())
 *   9  cli                                      `alaw`, the outermost face (it can serve, and measures HTTP)
 *  10  main                                     the entry point of `npm start`
 */

/** Each layer's modules as path patterns under src/. @type {string[][]} */
const LAYERS = [
  ['errors/'],
  ['config/', 'clock\\.ts$', 'context\\.ts$', 'version\\.ts$'],
  ['logRepeats\\.ts$'],
  ['text/', 'legal/'],
  ['corpus/'],
  ['search/', 'store/', 'queue/', 'auth/'],
  ['analysis/', 'ops/'],
  ['app/'],
  ['http/'],
  ['server\\.ts$'],
  ['cli/'],
  ['main\\.ts$'],
];

/** @param {string} p */
const src = (p) => `^src/${p}`;
/** @param {number} i */
const layerOf = (i) => LAYERS[i].map(src);
/** @param {number} i */
const above = (i) =>
  LAYERS.slice(i + 1)
    .flat()
    .map(src);

/** No module imports a higher layer. */
const upward = LAYERS.slice(0, -1).map((_, i) => ({
  name: `layer-${i}-not-upward`,
  comment: `${LAYERS[i].join(' ')} (layer ${i}) may not import a higher layer (docs/ARCHITECTURE.md, Modules).`,
  severity: 'error',
  from: { path: layerOf(i), pathNot: '\\.test\\.ts$' },
  to: { path: above(i) },
}));

/** Siblings of one layer do not import each other (search knows nothing of SQL, the queue nothing of API keys …). */
const sideways = LAYERS.filter((l) => l.length > 1).flatMap((l) =>
  l.map((m) => ({
    name: `sibling-${m.replace(/[^a-z]/g, '')}`,
    comment: `${m} may not import its siblings in the same layer (${l.filter((x) => x !== m).join(' ')}).`,
    severity: 'error',
    from: { path: src(m), pathNot: '\\.test\\.ts$' },
    to: { path: l.filter((x) => x !== m).map(src) },
  })),
);

module.exports = {
  forbidden: [
    ...upward,
    ...sideways,
    {
      name: 'through-index',
      comment:
        "Another folder's modules are reached through its public index.ts (src/<folder>/index.ts), not by reaching into its files. " +
        'Within a folder anything goes.',
      severity: 'error',
      from: { path: '^src/([a-z]+)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^src/([a-z]+)/', pathNot: ['^src/$1/', '^src/[a-z]+/index\\.ts$'] },
    },
    {
      name: 'through-index-from-top-level',
      comment: 'The top-level modules (server.ts, main.ts, clock.ts, context.ts, version.ts) also reach a folder only through its index.ts.',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$' },
      to: { path: '^src/[a-z]+/', pathNot: '^src/[a-z]+/index\\.ts$' },
    },
    {
      name: 'database-drivers-in-store-modules',
      comment:
        'SQL lives only in the store modules of each capability: the drivers (better-sqlite3, pg) and the query builder (kysely) ' +
        'are imported by src/store, the queue and auth stores and migrations, and the backup store, nowhere else (type-only imports excepted).',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: [
          '^src/store/',
          '^src/queue/(sqliteStore|pgStore|migrations)\\.ts$',
          '^src/auth/keyStore\\.ts$',
          '^src/ops/backupStore\\.ts$',
          '\\.test\\.ts$',
        ],
      },
      to: { path: '^node_modules/(better-sqlite3|pg|kysely)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-circular',
      comment: 'Modules do not import each other in a circle.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-tests',
      comment: 'The service does not import tests, benchmarks or scripts.',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    exclude: { path: '^(dist|\\.test-build)/' },
  },
};
