import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/**
 * Type-aware lint (typescript-eslint with type information). Layer rules are
 * checked by dependency-cruiser (.dependency-cruiser.cjs), formatting by
 * Prettier; `npm run lint` runs all three.
 */
export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/', 'logs/', '.test-build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.mjs', '*.cjs', 'scripts/*.mjs', 'bench/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      // The three the groundwork issue names, stated explicitly (they are also in recommendedTypeChecked):
      // a promise nobody awaits or marks with `void`, a promise where a callback's return is ignored,
      // and `await` of something that is not a promise.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // `async` without `await` is deliberate here: the SQLite queue store's methods are async so that
      // a synchronous better-sqlite3 error arrives as a rejection like PostgreSQL's (the store contract),
      // and Fastify plugins are async functions by convention.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read response bodies as JSON (`res.json()` is `any`) and assert on them with expect().
    files: ['test/**/*.ts', 'src/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
);
