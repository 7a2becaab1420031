// `npm run docs:errors`: writes the error table of docs/API.md from the catalog
// (src/errors/catalog.ts). `--check` only reports whether it is current (the
// test suite checks the same: test/errors.catalog.test.ts).
import fs from 'node:fs';
import { withErrorTable } from '../src/errors/table.js';

const FILE = 'docs/API.md';
const text = fs.readFileSync(FILE, 'utf8');
const next = withErrorTable(text);
if (next === null) {
  process.stderr.write(`${FILE}: the error-table markers are missing\n`);
  process.exit(1);
}
if (process.argv.includes('--check')) {
  if (next !== text) {
    process.stderr.write(`${FILE}: the error table is out of date; run npm run docs:errors\n`);
    process.exit(1);
  }
} else if (next !== text) {
  fs.writeFileSync(FILE, next);
  process.stdout.write(`${FILE}: error table updated\n`);
}
