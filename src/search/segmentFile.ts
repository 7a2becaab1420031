import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { AlawError, E } from '../errors/index.js';
import type { PostingsData } from './postings/format.js';
import { IdIndex, StringColumn, type Segment, type SegmentHeader } from './segment.js';
import { TermDictionary } from './termDictionary.js';

/**
 * A segment file: an 8-byte magic, a JSON header, then sections of raw
 * little-endian typed arrays, each 8-byte aligned and protected by a CRC-32.
 *
 *   0  "ALAWSEG2"            8 bytes
 *   8  header length (u32)   then 4 reserved bytes
 *  16  header JSON (UTF-8)   padded to 8 bytes; sections follow
 *
 * Reading allocates one SharedArrayBuffer per section and reads into it in
 * chunks: no buffer holds the whole file, no single read is larger than
 * {@link READ_CHUNK}, so nothing depends on the 2 GiB limits of
 * `fs.readFileSync` and `Buffer`; and shared memory can later be handed to
 * worker threads without copying.
 */
const MAGIC = Buffer.from('ALAWSEG2', 'latin1');
const READ_CHUNK = 256 * 1024 * 1024;

type ArrayKind = 'i32' | 'u32' | 'u16' | 'u8' | 'json';
interface SectionInfo {
  name: string;
  kind: ArrayKind;
  /** Offset from the end of the padded header, bytes. */
  offset: number;
  length: number;
  crc32: number;
}

interface FileHeader extends SegmentHeader {
  sections: SectionInfo[];
}

/** The index file is missing, truncated, corrupt or from another format version. */
export class IndexFileError extends AlawError {
  constructor(file: string, reason: string) {
    super(E.INDEX_CORRUPT, E.INDEX_CORRUPT.message({ file, reason }), { file, reason });
  }
}

/** `n` rounded up to a multiple of 8 (arithmetic, not `& ~7`: offsets pass 2^31 in large segments). */
export const align8 = (n: number): number => Math.ceil(n / 8) * 8;

function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function sectionsOf(seg: Segment): [string, ArrayKind, Buffer][] {
  const p = seg.postings;
  const d = seg.docs;
  return [
    ['dict.slots', 'i32', bytesOf(seg.dict.slots)],
    ['dict.offsets', 'u32', bytesOf(seg.dict.offsets)],
    ['dict.chars', 'u16', bytesOf(seg.dict.chars)],
    ['terms.block', 'u32', bytesOf(p.termBlock)],
    ['terms.df', 'u32', bytesOf(p.termDf)],
    ['terms.maxImpact', 'u8', bytesOf(p.termMaxImpact)],
    ['blocks.lastDoc', 'u32', bytesOf(p.blockLastDoc)],
    ['blocks.word', 'u32', bytesOf(p.blockWord)],
    ['blocks.maxImpact', 'u8', bytesOf(p.blockMaxImpact)],
    ['postings.words', 'u32', bytesOf(p.words)],
    ['docs.dates', 'i32', bytesOf(d.dates)],
    ['docs.courtIds', 'u16', bytesOf(d.courtIds)],
    ['docs.typeIds', 'u8', bytesOf(d.typeIds)],
    ['docs.ids.bytes', 'u8', d.ids.bytes],
    ['docs.ids.offsets', 'u32', bytesOf(d.ids.offsets)],
    ['docs.caseNumbers.bytes', 'u8', d.caseNumbers.bytes],
    ['docs.caseNumbers.offsets', 'u32', bytesOf(d.caseNumbers.offsets)],
    ['docs.caseNames.bytes', 'u8', d.caseNames.bytes],
    ['docs.caseNames.offsets', 'u32', bytesOf(d.caseNames.offsets)],
    ['docs.idIndex.slots', 'i32', bytesOf(d.idIndex.slots)],
    ['docs.caseKeys.slots', 'i32', bytesOf(d.caseKeys.dict.slots)],
    ['docs.caseKeys.keyOffsets', 'u32', bytesOf(d.caseKeys.dict.offsets)],
    ['docs.caseKeys.chars', 'u16', bytesOf(d.caseKeys.dict.chars)],
    ['docs.caseKeys.docOffsets', 'u32', bytesOf(d.caseKeys.offsets)],
    ['docs.caseKeys.docs', 'u32', bytesOf(d.caseKeys.docs)],
    ['docs.tables', 'json', Buffer.from(JSON.stringify({ courts: d.courts, types: d.types }), 'utf8')],
  ];
}

/**
 * Writes `seg` to `file` atomically: a temporary file in the same directory
 * is written section by section, fsynced and renamed, so a crash mid-write
 * never leaves a half-written segment under the real name. Returns its size.
 */
export function writeSegmentFile(file: string, seg: Segment): number {
  const parts = sectionsOf(seg);
  const sections: SectionInfo[] = [];
  let offset = 0;
  for (const [name, kind, buf] of parts) {
    sections.push({ name, kind, offset, length: buf.length, crc32: zlib.crc32(buf) });
    offset = align8(offset + buf.length);
  }
  const header: FileHeader = { ...seg.header, sections };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(align8(16 + headerBytes.length));
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(headerBytes.length, 8);
  headerBytes.copy(prefix, 16);

  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    writeAll(fd, prefix);
    const pad = Buffer.alloc(8);
    for (const [, , buf] of parts) {
      writeAll(fd, buf);
      const padding = align8(buf.length) - buf.length;
      if (padding) writeAll(fd, pad.subarray(0, padding));
    }
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  return prefix.length + offset;
}

/** Writes all of `buf` in chunks (one write of more than 2 GiB fails). */
function writeAll(fd: number, buf: Buffer): void {
  for (let at = 0; at < buf.length;) at += fs.writeSync(fd, buf, at, Math.min(READ_CHUNK, buf.length - at));
}

/** Reads `length` bytes at `position` into a new shared buffer, in chunks. */
function readShared(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.from(new SharedArrayBuffer(length));
  for (let at = 0; at < length;) {
    const n = fs.readSync(fd, buf, at, Math.min(READ_CHUNK, length - at), position + at);
    if (n === 0) break;
    at += n;
  }
  return buf;
}

function openOrThrow(file: string): number {
  try {
    return fs.openSync(file, 'r');
  } catch (err) {
    throw new IndexFileError(file, (err as NodeJS.ErrnoException).code === 'ENOENT' ? '파일이 없습니다' : (err as Error).message);
  }
}

function readHeader(file: string, fd: number, size: number): { header: FileHeader; dataStart: number } {
  const head = Buffer.alloc(16);
  if (size < 16 || fs.readSync(fd, head, 0, 16, 0) !== 16 || !head.subarray(0, 8).equals(MAGIC))
    throw new IndexFileError(file, '세그먼트 파일 형식이 아닙니다');
  const len = head.readUInt32LE(8);
  if (len > 64 * 1024 * 1024 || 16 + len > size) throw new IndexFileError(file, '파일이 잘렸습니다');
  const bytes = Buffer.alloc(len);
  fs.readSync(fd, bytes, 0, len, 16);
  let header: FileHeader;
  try {
    header = JSON.parse(bytes.toString('utf8')) as FileHeader;
  } catch {
    throw new IndexFileError(file, '헤더가 손상되었습니다');
  }
  if (!Array.isArray(header.sections) || typeof header.docCount !== 'number' || typeof header.termCount !== 'number')
    throw new IndexFileError(file, '헤더 항목이 빠졌습니다');
  return { header, dataStart: align8(16 + len) };
}

/** Loads and verifies a segment file (magic, bounds, size, CRC-32 of every section, structure). */
/**
 * Reads and checks (bounds, checksum) the sections of an open segment file;
 * with `wanted`, only those (and the size check is skipped).
 */
function readSections(
  file: string,
  fd: number,
  wanted?: ReadonlySet<string>,
  deferred?: PendingChecksum[],
): { header: FileHeader; views: Map<string, Buffer> } {
  const size = fs.fstatSync(fd).size;
  const { header, dataStart } = readHeader(file, fd, size);
  const views = new Map<string, Buffer>();
  let last = 0;
  for (const s of header.sections) {
    const start = dataStart + s.offset;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(s.length) || s.offset < 0 || s.length < 0 || start + s.length > size)
      throw new IndexFileError(file, `${s.name} 영역이 파일 밖에 있습니다 (파일이 잘렸습니다)`);
    last = Math.max(last, align8(s.offset + s.length));
    if (wanted && !wanted.has(s.name)) continue;
    const bytes = readShared(fd, start, s.length);
    if (deferred) deferred.push({ file, section: s.name, bytes, crc32: s.crc32 });
    else if (zlib.crc32(bytes) !== s.crc32) throw new IndexFileError(file, `${s.name} 영역의 체크섬이 맞지 않습니다`);
    views.set(s.name, bytes);
  }
  if (!wanted && dataStart + last !== size) throw new IndexFileError(file, `파일 크기가 맞지 않습니다 (${size} ≠ ${dataStart + last})`);
  return { header, views };
}

type TypedCtor<T> = { new (b: ArrayBufferLike, o: number, n: number): T; BYTES_PER_ELEMENT: number };

function accessors(file: string, views: Map<string, Buffer>) {
  const raw = (name: string): Buffer => {
    const v = views.get(name);
    if (!v) throw new IndexFileError(file, `${name} 영역이 없습니다`);
    return v;
  };
  const typed = <T>(name: string, ctor: TypedCtor<T>): T => {
    const b = raw(name);
    if (b.length % ctor.BYTES_PER_ELEMENT !== 0) throw new IndexFileError(file, `${name} 영역의 길이가 맞지 않습니다`);
    return new ctor(b.buffer, b.byteOffset, b.length / ctor.BYTES_PER_ELEMENT);
  };
  return { raw, typed };
}

const ID_SECTIONS = new Set(['docs.ids.bytes', 'docs.ids.offsets', 'docs.idIndex.slots']);

/**
 * Reads only a segment's decision ids and their hash index (what an
 * incremental update needs to find the documents it replaces), checked.
 */
export function readSegmentIds(file: string): { name: string; docCount: number; idIndex: IdIndex } {
  const fd = openOrThrow(file);
  try {
    const { header, views } = readSections(file, fd, ID_SECTIONS);
    const { typed, raw } = accessors(file, views);
    const ids = new StringColumn(raw('docs.ids.bytes'), typed('docs.ids.offsets', Uint32Array));
    if (ids.length !== header.docCount) throw new IndexFileError(file, '구조가 맞지 않습니다 (문서 수)');
    return { name: header.name, docCount: header.docCount, idIndex: new IdIndex(typed('docs.idIndex.slots', Int32Array), ids) };
  } finally {
    fs.closeSync(fd);
  }
}

/** A section read without checking its checksum yet (see readSegmentFile's `deferred`). */
export interface PendingChecksum {
  file: string;
  section: string;
  bytes: Buffer;
  crc32: number;
}

/** Bytes checksummed per step of verifyChecksums: about 10 ms of CPU, so an event loop stays responsive. */
const VERIFY_STEP = 16 << 20;

/**
 * Checks deferred checksums a step at a time (each `next()` checksums at most
 * 16 MB): done with `null` when all match, or the first mismatch as an
 * IndexFileError.
 */
export function* verifyChecksums(pending: readonly PendingChecksum[]): Generator<void, IndexFileError | null> {
  for (const p of pending) {
    let crc = 0;
    for (let at = 0; at < p.bytes.length; at += VERIFY_STEP) {
      crc = zlib.crc32(p.bytes.subarray(at, at + VERIFY_STEP), crc);
      yield;
    }
    if (crc !== p.crc32) return new IndexFileError(p.file, `${p.section} 영역의 체크섬이 맞지 않습니다`);
  }
  return null;
}

/**
 * Reads a segment file into shared memory, checked. With `deferred`, the
 * section checksums are not computed here but collected for verifyChecksums
 * (a server starts serving at once and checks them in the background, as
 * Lucene leaves large files' checksums to merges and CheckIndex); the
 * bounds and structure are still checked.
 */
export function readSegmentFile(file: string, deferred?: PendingChecksum[]): Segment {
  const fd = openOrThrow(file);
  try {
    const { header, views } = readSections(file, fd, undefined, deferred);
    const { sections: _sections, ...plainHeader } = header;
    return segmentFromSections(file, plainHeader, views);
  } finally {
    fs.closeSync(fd);
  }
}

/** A segment's sections by name, as bytes (views of the segment's own arrays: nothing is copied). */
export function segmentSections(seg: Segment): Map<string, Buffer> {
  return new Map(sectionsOf(seg).map(([name, , buf]) => [name, buf]));
}

/**
 * Builds a segment over its sections (as read from a file, or as shared with
 * a worker thread): typed views of the same memory, structure checked.
 * `file` names the source in errors.
 */
export function segmentFromSections(file: string, header: SegmentHeader, views: Map<string, Buffer>): Segment {
  const { raw, typed } = accessors(file, views);
  let tables: { courts: string[]; types: string[] };
  try {
    tables = JSON.parse(raw('docs.tables').toString('utf8')) as typeof tables;
  } catch {
    throw new IndexFileError(file, '문서 표가 손상되었습니다');
  }
  const postings: PostingsData = {
    words: typed('postings.words', Uint32Array),
    blockLastDoc: typed('blocks.lastDoc', Uint32Array),
    blockWord: typed('blocks.word', Uint32Array),
    blockMaxImpact: typed('blocks.maxImpact', Uint8Array),
    termBlock: typed('terms.block', Uint32Array),
    termDf: typed('terms.df', Uint32Array),
    termMaxImpact: typed('terms.maxImpact', Uint8Array),
  };
  const ids = new StringColumn(raw('docs.ids.bytes'), typed('docs.ids.offsets', Uint32Array));
  const seg: Segment = {
    header,
    dict: new TermDictionary(typed('dict.slots', Int32Array), typed('dict.offsets', Uint32Array), typed('dict.chars', Uint16Array)),
    postings,
    docs: {
      ids,
      caseNumbers: new StringColumn(raw('docs.caseNumbers.bytes'), typed('docs.caseNumbers.offsets', Uint32Array)),
      caseNames: new StringColumn(raw('docs.caseNames.bytes'), typed('docs.caseNames.offsets', Uint32Array)),
      dates: typed('docs.dates', Int32Array),
      courtIds: typed('docs.courtIds', Uint16Array),
      courts: tables.courts,
      typeIds: typed('docs.typeIds', Uint8Array),
      types: tables.types,
      idIndex: new IdIndex(typed('docs.idIndex.slots', Int32Array), ids),
      caseKeys: {
        dict: new TermDictionary(
          typed('docs.caseKeys.slots', Int32Array),
          typed('docs.caseKeys.keyOffsets', Uint32Array),
          typed('docs.caseKeys.chars', Uint16Array),
        ),
        offsets: typed('docs.caseKeys.docOffsets', Uint32Array),
        docs: typed('docs.caseKeys.docs', Uint32Array),
      },
    },
  };
  checkShape(file, seg);
  return seg;
}

/** Cheap structural checks: counts agree, offsets are monotonic, skip data points inside the postings. */
function checkShape(file: string, seg: Segment): void {
  const { docCount: N, termCount: T, blockCount: B } = seg.header;
  const bad = (what: string): never => {
    throw new IndexFileError(file, `구조가 맞지 않습니다 (${what})`);
  };
  const p = seg.postings;
  if (seg.dict.size !== T || p.termBlock.length !== T + 1 || p.termDf.length !== T || p.termMaxImpact.length !== T) bad('용어 수');
  if (p.blockLastDoc.length !== B || p.blockWord.length !== B || p.blockMaxImpact.length !== B || p.termBlock[T] !== B) bad('블록 수');
  for (let t = 0; t < T; t++) if (p.termBlock[t]! > p.termBlock[t + 1]!) bad('용어 블록');
  for (let b = 0; b < B; b++) if (p.blockWord[b]! >= p.words.length || p.blockLastDoc[b]! >= N) bad('블록 위치');
  const d = seg.docs;
  if (d.ids.length !== N || d.caseNumbers.length !== N || d.caseNames.length !== N) bad('문서 수');
  if (d.dates.length !== N || d.courtIds.length !== N || d.typeIds.length !== N) bad('문서 열');
  for (const col of [d.ids, d.caseNumbers, d.caseNames]) if (col.offsets[N]! > col.bytes.length) bad('문자열 열');
  for (const slots of [seg.dict.slots, d.idIndex.slots, d.caseKeys.dict.slots]) {
    if (slots.length === 0 || (slots.length & (slots.length - 1)) !== 0) bad('해시 크기');
  }
}
