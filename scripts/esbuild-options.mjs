// The esbuild options of the service bundle, shared by `npm run build`
// (scripts/build.mjs) and the test suite's global setup, which bundles the
// test-only server entry points the same way (test/globalSetup.ts).

/** @type {import('esbuild').BuildOptions} */
export const bundleOptions = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // Minified code parses faster at start-up; the source map keeps stack traces readable.
  minify: true,
  keepNames: true,
  external: ['better-sqlite3', 'pino', '@fastify/swagger-ui', 'tinypool'],
  // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
  banner: { js: "import { createRequire as __alawCreateRequire } from 'node:module'; const require = __alawCreateRequire(import.meta.url);" },
  logLevel: 'warning',
};
