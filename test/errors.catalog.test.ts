import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CATALOG, E, reviveError, specOf } from '../src/errors/index.js';
import { withErrorTable } from '../src/errors/table.js';

/**
 * The error catalog is the only place codes are written, and everything that
 * shows a code (source, tests, docs) names one that exists. These checks read
 * the tree itself, so a code written by hand anywhere fails the suite.
 */

const CODE = /ALAW_ERR_[A-Z0-9_]+/g;

function files(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p, ext));
    else if (ext.test(e.name)) out.push(p);
  }
  return out;
}

const sourceFiles = files('src', /\.ts$/).filter((f) => !f.endsWith('.test.ts'));
const CATALOG_FILE = path.join('src', 'errors', 'catalog.ts');

/** Every string literal and piece of template text in a TypeScript file, with its line. */
function stringsOf(file: string): { text: string; line: number }[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: { text: string; line: number }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      out.push({ text: node.text, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

describe('the error catalog', () => {
  it('declares each code once, with a status, a Korean message and description, and where it shows', () => {
    const codes = CATALOG.map((s) => s.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(CATALOG.length).toBeGreaterThan(80);
    for (const s of CATALOG) {
      expect(s.code).toMatch(/^ALAW_ERR_[A-Z][A-Z0-9_]*$/);
      expect(s.status, s.code).toBeGreaterThanOrEqual(400);
      expect(s.status, s.code).toBeLessThan(600);
      expect(s.description, s.code).toMatch(/[가-힣]/);
      expect(s.surfaces.length, s.code).toBeGreaterThan(0);
      expect([1, 2], s.code).toContain(s.exit);
      expect(specOf(s.code)).toBe(s);
    }
    expect(specOf(['ALAW', 'ERR', 'NO', 'SUCH', 'THING'].join('_'))).toBeUndefined();
  });

  it('makes errors whose code, status, message and headers come from the entry', () => {
    const e = E.SEARCH_QUERY_TOO_LONG.error({ length: 6000, max: 5000 }, { parameter: 'q' });
    expect(e).toMatchObject({ code: 'ALAW_ERR_SEARCH_QUERY_TOO_LONG', status: 400, details: { parameter: 'q' } });
    expect(e.message).toBe('검색어가 너무 깁니다 (6,000자). 5,000자 이하로 줄여 주세요.');
    expect(e.exitCode).toBe(2);
    expect(E.AUTH_INVALID.error().headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="alaw", error="invalid_token"' });
    // Headers added to one error do not leak into the entry or the next error.
    E.AUTH_INVALID.error().withHeaders({ 'Retry-After': '1' });
    expect(E.AUTH_INVALID.error().headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="alaw", error="invalid_token"' });
    expect(E.KEY_NOT_FOUND.error({ id: 'key_000000000000' }).exitCode).toBe(1);
    expect(E.IMPORT_FIELD.is({ code: 'ALAW_ERR_IMPORT_FIELD' })).toBe(true);
    expect(E.IMPORT_FIELD.is(new Error('x'))).toBe(false);
  });

  it('rebuilds an error that crossed a thread boundary as data (a search worker answer), and only its own codes', () => {
    const sent = E.INDEX_BUSY.error({ dir: 'data/index', pid: 42, since: '2026-12-06T00:00:00Z' });
    const back = reviveError({ code: sent.code, message: sent.message, details: { pid: 42 } })!;
    expect(back.code).toBe('ALAW_ERR_INDEX_BUSY');
    expect(back.status).toBe(409);
    expect(back.message).toBe(sent.message);
    expect(back.details).toEqual({ pid: 42 });
    expect(back.exitCode).toBe(sent.exitCode);
    expect(reviveError({ code: ['ALAW', 'ERR', 'NOT', 'OURS'].join('_'), message: 'x' })).toBeNull();
  });

  it('is the only place in the source that writes a code: no code, whole or as a prefix to build one, in any string or template outside it', () => {
    const found: string[] = [];
    for (const file of sourceFiles) {
      if (file === CATALOG_FILE) continue;
      // `ALAW_ERR_…` (an ellipsis) only describes the shape, in the OpenAPI text of the error body.
      for (const s of stringsOf(file)) if (/ALAW_ERR_(?!…)/.test(s.text)) found.push(`${file}:${s.line}: ${s.text.slice(0, 80)}`);
    }
    expect(found).toEqual([]);
    // The check sees a code assembled at run time (the template head of `ALAW_ERR_${reason}`).
    const probe = path.join(os.tmpdir(), `alaw-catalog-probe-${process.pid}.ts`);
    const prefix = ['ALAW', 'ERR', 'TASK', ''].join('_'); // not written whole here, or the next test would find it
    fs.writeFileSync(probe, `export const code = (reason: string) => \`${prefix}\${reason}\`;\n`);
    try {
      expect(stringsOf(probe).some((s) => /ALAW_ERR_(?!…)/.test(s.text))).toBe(true);
    } finally {
      fs.rmSync(probe);
    }
  });

  it('is the only way errors are made: no `new AlawError(` outside src/errors (subclasses call super with an entry)', () => {
    const found = sourceFiles.filter((f) => !f.startsWith(path.join('src', 'errors')) && /new AlawError\(/.test(fs.readFileSync(f, 'utf8')));
    expect(found).toEqual([]);
  });

  it('has no entry that nothing uses', () => {
    const text = sourceFiles
      .filter((f) => f !== CATALOG_FILE)
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n');
    // Errors nginx answers itself are written in deploy/nginx, by code and with the catalog's message.
    const edge = files('deploy', /.*/)
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n');
    const unused = Object.keys(E).filter((name) => {
      const spec = E[name as keyof typeof E];
      if (spec.surfaces.length === 1 && spec.surfaces[0] === 'edge')
        return !edge.includes(`"code":"${spec.code}","message":"${(spec.message as () => string)()}"`);
      return !new RegExp(`\\bE\\.${name}\\b`).test(text);
    });
    expect(unused).toEqual([]);
  });

  it('knows every code that source, tests, docs and deployment files mention', () => {
    const known = new Set(CATALOG.map((s) => s.code));
    const everywhere = [
      ...files('src', /\.ts$/),
      ...files('test', /\.ts$/),
      ...files('docs', /\.md$/),
      ...files('deploy', /.*/),
      'README.md',
      ...(fs.existsSync('bench') ? files('bench', /\.ts$/) : []),
    ];
    const unknown: string[] = [];
    for (const file of everywhere) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(CODE)) {
        // `ALAW_ERR_…` and `ALAW_ERR_<AREA>_<NAME>` describe the shape, not a code.
        if (!known.has(m[0]) && m[0] !== 'ALAW_ERR_') unknown.push(`${file}: ${m[0]}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('is documented: the error table of docs/API.md is the one generated from it (npm run docs:errors)', () => {
    const doc = fs.readFileSync('docs/API.md', 'utf8');
    expect(withErrorTable(doc), 'docs/API.md has no error-table markers').not.toBeNull();
    expect(withErrorTable(doc), 'the error table of docs/API.md is out of date: run npm run docs:errors').toBe(doc);
    for (const s of CATALOG) expect(doc).toContain(`| \`${s.code}\` | ${s.status} |`);
  });
});
