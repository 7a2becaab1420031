import { AlawError, E } from '../errors/index.js';
import fs from 'node:fs';
import readline from 'node:readline';
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { Precedent } from './model.js';
import { parseRecordLine, problem, type RecordProblem } from './record.js';

/** One line of an import file: a valid record or the reason it was rejected. */
export type ReadLine = { line: number; record: Precedent } | { line: number; problem: RecordProblem };

export interface ReadOptions {
  /** Called as the file is read: bytes consumed so far (compressed bytes for .gz) and the file size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Recorded as `source` on records that do not carry one. */
  source?: string;
}

/**
 * The file could not be read to its end (a truncated or damaged gzip file, a
 * read error). Lines before `afterLine` were read and yielded; nothing after.
 */
export class RecordFileReadError extends AlawError {
  constructor(
    readonly file: string,
    readonly afterLine: number,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(E.IMPORT_READ, E.IMPORT_READ.message({ file, afterLine, reason }), { file, after_line: afterLine }, options);
    this.name = 'RecordFileReadError';
  }
}

/** A reader-facing Korean reason for a stream error. */
function readFailureReason(err: NodeJS.ErrnoException, gz: boolean): string {
  if (gz && (err.code === 'Z_BUF_ERROR' || /unexpected end of file/iu.test(err.message))) return 'gzip 파일이 중간에 잘렸습니다';
  if (gz && err.code?.startsWith('Z_')) return 'gzip 데이터가 손상되었습니다';
  return `읽기 오류: ${err.code ?? err.message}`;
}

/** Longest accepted line, characters; longer lines are rejected, not imported. */
export const MAX_LINE_CHARS = 8 * 1024 * 1024;

/**
 * Reads a JSONL file (plain or gzip, detected by content) or stdin (`-`) and
 * yields one result per non-blank line, with 1-based line numbers. Lines are
 * validated independently, so one bad line never stops the import.
 */
export async function* readRecordFile(file: string, options: ReadOptions = {}): AsyncGenerator<ReadLine> {
  let total = 0;
  let raw: Readable;
  let gz = false;
  if (file === '-') {
    raw = process.stdin;
  } else {
    // Opening is reading too: a file that cannot be examined is the same error as one that breaks off.
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(file);
      if (stat.isFile()) gz = await isGzip(file); // before the stream starts flowing, so no chunk is read early
    } catch (err) {
      throw new RecordFileReadError(file, 0, readFailureReason(err as NodeJS.ErrnoException, false), { cause: err });
    }
    if (!stat.isFile()) throw E.IMPORT_NOT_A_FILE.error({ file });
    total = stat.size;
    raw = fs.createReadStream(file);
  }
  // pipeline, not pipe: an error of the file or of the decompression reaches
  // the line reader below (and becomes a RecordFileReadError), never the
  // process as an unhandled 'error' event.
  const input: Readable = gz ? pipeline(raw, zlib.createGunzip(), () => {}) : raw;
  let read = 0;
  raw.on('data', (chunk: Buffer) => {
    read += chunk.length;
    options.onProgress?.(read, total);
  });
  const source = options.source ?? (file === '-' ? 'stdin' : file);
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const text of rl) {
      lineNo++;
      const line = lineNo === 1 ? text.replace(/^\uFEFF/u, '') : text;
      if (line.trim() === '') continue;
      if (line.length > MAX_LINE_CHARS) {
        yield {
          line: lineNo,
          problem: problem(E.IMPORT_FIELD.error({ problem: 'line_too_long', length: line.length, max: MAX_LINE_CHARS })),
        };
        continue;
      }
      const result = parseRecordLine(line, source);
      yield result.ok ? { line: lineNo, record: result.record } : { line: lineNo, problem: result.problem };
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (typeof e?.message !== 'string') throw err;
    throw new RecordFileReadError(file === '-' ? '표준 입력' : file, lineNo, readFailureReason(e, gz), { cause: err });
  } finally {
    rl.close();
    raw.destroy();
  }
}

async function isGzip(file: string): Promise<boolean> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}
