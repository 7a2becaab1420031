/**
 * Writes a generated benchmark corpus (bench/synthCorpus.ts) as JSONL, gzip-compressed when the
 * output name ends in `.gz`:
 *
 *   npx tsx bench/gen-corpus.ts --count 137000 --seed 1 --out /tmp/corpus-137k.jsonl
 *
 * Options: --count N (1 … 100,000,000), --seed S (0 … 4294967295), --out FILE (.jsonl or .jsonl.gz),
 * --source FILE (the decisions to recombine; default ../shared/data/precedents-dev.jsonl, else the
 * bundled data/precedents-dev.jsonl.gz), --gzip-level 1…9 (default 6). Bad arguments exit with 2.
 * Progress goes to stderr every ~5 s, and a summary at the end.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { buildPool, loadSource, synthesize } from './synthCorpus.js';

const USAGE = 'usage: npx tsx bench/gen-corpus.ts --count N --seed S --out FILE.jsonl[.gz] [--source FILE.jsonl[.gz]] [--gzip-level 1-9]';

interface Args {
  count: number;
  seed: number;
  out: string;
  source: string | null;
  gzipLevel: number;
}

class UsageError extends Error {}

function integer(name: string, v: string | undefined, min: number, max: number): number {
  if (v === undefined || !/^[0-9]+$/u.test(v) || Number(v) < min || Number(v) > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  }
  return Number(v);
}

export function parseArgs(argv: readonly string[]): Args {
  const values = new Map<string, string>();
  const known = ['count', 'seed', 'out', 'source', 'gzip-level'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/u.exec(a);
    if (!m || !known.includes(m[1]!)) throw new UsageError(`unknown argument ${JSON.stringify(a)}`);
    if (values.has(m[1]!)) throw new UsageError(`--${m[1]} given twice`);
    const v = m[2] ?? argv[++i];
    if (v === undefined || (m[2] === undefined && v.startsWith('--'))) throw new UsageError(`--${m[1]} needs a value`);
    values.set(m[1]!, v);
  }
  for (const required of ['count', 'seed', 'out']) if (!values.has(required)) throw new UsageError(`--${required} is required`);
  const out = values.get('out')!;
  if (!/\.jsonl(\.gz)?$/u.test(out)) throw new UsageError(`--out must end in .jsonl or .jsonl.gz, got ${JSON.stringify(out)}`);
  const dir = path.dirname(path.resolve(out));
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`--out: directory ${dir} does not exist`);
  const source = values.get('source') ?? null;
  if (source !== null && !fs.existsSync(source)) throw new UsageError(`--source: ${source} does not exist`);
  return {
    count: integer('count', values.get('count'), 1, 100_000_000),
    seed: integer('seed', values.get('seed'), 0, 4_294_967_295),
    out,
    source,
    gzipLevel: values.has('gzip-level') ? integer('gzip-level', values.get('gzip-level'), 1, 9) : 6,
  };
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`gen-corpus: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  const started = performance.now();
  const pool = buildPool(loadSource(args.source));
  process.stderr.write(`gen-corpus: ${pool.all.length} source decisions in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

  const t0 = performance.now();
  let docs = 0;
  let bytes = 0;
  let lastReport = t0;
  // Lines are encoded straight into large buffers (joining the strings first costs twice as much).
  const CHUNK = 8 << 20;
  async function* chunks(): AsyncGenerator<Buffer> {
    let buf = Buffer.allocUnsafe(CHUNK);
    let used = 0;
    for (const record of synthesize(pool, args.count, args.seed)) {
      const line = JSON.stringify(record);
      if (used + line.length * 3 + 1 > buf.length) {
        bytes += used;
        yield buf.subarray(0, used);
        buf = Buffer.allocUnsafe(Math.max(CHUNK, line.length * 3 + 1));
        used = 0;
        const now = performance.now();
        if (now - lastReport >= 5000) {
          lastReport = now;
          const s = (now - t0) / 1000;
          process.stderr.write(
            `gen-corpus: ${docs.toLocaleString('en')} / ${args.count.toLocaleString('en')} (${((100 * docs) / args.count).toFixed(1)} %), ${(docs / s).toFixed(0)} docs/s\n`,
          );
        }
      }
      used += buf.write(line, used, 'utf8');
      buf[used++] = 0x0a;
      docs++;
    }
    if (used > 0) {
      bytes += used;
      yield buf.subarray(0, used);
    }
  }
  const gzip = args.out.endsWith('.gz');
  const sink = fs.createWriteStream(args.out);
  if (gzip) await pipeline(Readable.from(chunks()), zlib.createGzip({ level: args.gzipLevel }), sink);
  else await pipeline(Readable.from(chunks()), sink);
  const seconds = (performance.now() - t0) / 1000;
  const written = fs.statSync(args.out).size;
  process.stderr.write(
    `gen-corpus: wrote ${docs.toLocaleString('en')} documents, ${bytes.toLocaleString('en')} bytes of JSONL` +
      (gzip ? ` (${written.toLocaleString('en')} gzip-compressed)` : '') +
      ` to ${args.out} in ${seconds.toFixed(1)} s, ${(docs / seconds).toFixed(0)} docs/s\n`,
  );
  return 0;
}

process.exitCode = await main();
