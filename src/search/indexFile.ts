import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { AlawError, E } from '../errors/index.js';
import { levelIdsOf } from './docTable.js';
import { INDEX_FORMAT_VERSION, type IndexHeader, type SearchIndex } from './indexData.js';
import { TermDictionary } from './termDictionary.js';

/**
 * The index file: a small JSON header followed by raw little-endian typed
 * arrays, each 8-byte aligned and protected by a CRC-32. Loading reads the
 * file once and makes typed-array views into that buffer, so start-up cost is
 * one read plus the checksums, never a re-tokenization of the corpus.
 *
 *   0  "ALAWIDX1"            8 bytes
 *   8  header length (u32)   then 4 reserved bytes
 *  16  header JSON (UTF-8)   padded to 8 bytes; sections follow
 */
const MAGIC = Buffer.from('ALAWIDX1', 'latin1');

type ArrayKind = 'i32' | 'u32' | 'u16' | 'u8' | 'json';
interface SectionInfo {
  name: string;
  kind: ArrayKind;
  /** Offset from the end of the padded header, bytes. */
  offset: number;
  length: number;
  crc32: number;
}

interface FileHeader extends IndexHeader {
  sections: SectionInfo[];
}

/** The index file is missing, truncated, corrupt or from another format version. */
export class IndexFileError extends AlawError {
  constructor(file: string, reason: string) {
    super(E.INDEX_CORRUPT, E.INDEX_CORRUPT.message({ file, reason }), { file, reason });
  }
}

const align8 = (n: number): number => (n + 7) & ~7;

function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Writes `index` to `file` atomically: a temporary file in the same directory
 * is written, flushed and renamed over the target, so a crash mid-write never
 * leaves a half-written index under the real name.
 */
export function writeIndexFile(file: string, index: SearchIndex): number {
  const d = index.docs;
  const meta = Buffer.from(JSON.stringify({ ids: d.ids, caseNumbers: d.caseNumbers, caseNames: d.caseNames, courts: d.courts, types: d.types }), 'utf8');
  const parts: [string, ArrayKind, Buffer][] = [
    ['dict.slots', 'i32', bytesOf(index.dict.slots)],
    ['dict.offsets', 'u32', bytesOf(index.dict.offsets)],
    ['dict.chars', 'u16', bytesOf(index.dict.chars)],
    ['postings.offsets', 'u32', bytesOf(index.postingOffsets)],
    ['postings.docs', 'u32', bytesOf(index.postingDocs)],
    ['postings.impacts', 'u16', bytesOf(index.postingImpacts)],
    ['terms.maxImpact', 'u16', bytesOf(index.termMaxImpact)],
    ['docs.dates', 'i32', bytesOf(d.dates)],
    ['docs.courtIds', 'u16', bytesOf(d.courtIds)],
    ['docs.typeIds', 'u8', bytesOf(d.typeIds)],
    ['docs.meta', 'json', meta],
  ];
  const sections: SectionInfo[] = [];
  let offset = 0;
  for (const [name, kind, buf] of parts) {
    sections.push({ name, kind, offset, length: buf.length, crc32: zlib.crc32(buf) });
    offset = align8(offset + buf.length);
  }
  const header: FileHeader = { ...index.header, sections };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(align8(16 + headerBytes.length));
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(headerBytes.length, 8);
  headerBytes.copy(prefix, 16);

  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, prefix);
    const pad = Buffer.alloc(8);
    for (let i = 0; i < parts.length; i++) {
      const buf = parts[i]![2];
      fs.writeSync(fd, buf);
      const padding = align8(buf.length) - buf.length;
      if (padding) fs.writeSync(fd, pad, 0, padding);
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

/** Reads only the header (cheap staleness checks without loading postings). */
export function readIndexHeader(file: string): IndexHeader {
  const fd = openOrThrow(file);
  try {
    const head = Buffer.alloc(16);
    if (fs.readSync(fd, head, 0, 16, 0) !== 16 || !head.subarray(0, 8).equals(MAGIC)) throw new IndexFileError(file, '색인 파일 형식이 아닙니다');
    const len = head.readUInt32LE(8);
    if (len > 64 * 1024 * 1024) throw new IndexFileError(file, '헤더 길이가 비정상입니다');
    const buf = Buffer.alloc(len);
    if (fs.readSync(fd, buf, 0, len, 16) !== len) throw new IndexFileError(file, '파일이 잘렸습니다');
    return parseHeader(file, buf);
  } finally {
    fs.closeSync(fd);
  }
}

function openOrThrow(file: string): number {
  try {
    return fs.openSync(file, 'r');
  } catch (err) {
    throw new IndexFileError(file, (err as NodeJS.ErrnoException).code === 'ENOENT' ? '파일이 없습니다' : (err as Error).message);
  }
}

function parseHeader(file: string, bytes: Buffer): FileHeader {
  let header: FileHeader;
  try {
    header = JSON.parse(bytes.toString('utf8')) as FileHeader;
  } catch {
    throw new IndexFileError(file, '헤더가 손상되었습니다');
  }
  if (header.formatVersion !== INDEX_FORMAT_VERSION) {
    throw new IndexFileError(file, `형식 버전 ${String(header.formatVersion)}은(는) 지원하지 않습니다 (현재 ${INDEX_FORMAT_VERSION})`);
  }
  if (!Array.isArray(header.sections) || typeof header.docCount !== 'number' || typeof header.termCount !== 'number') {
    throw new IndexFileError(file, '헤더 항목이 빠졌습니다');
  }
  return header;
}

/** Loads and verifies an index file (magic, version, bounds, CRC-32 of every section). */
export function readIndexFile(file: string): SearchIndex {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new IndexFileError(file, (err as NodeJS.ErrnoException).code === 'ENOENT' ? '파일이 없습니다' : (err as Error).message);
  }
  if (buf.length < 16 || !buf.subarray(0, 8).equals(MAGIC)) throw new IndexFileError(file, '색인 파일 형식이 아닙니다');
  // Typed-array views need aligned offsets; a pooled small buffer may not be.
  if (buf.byteOffset % 8 !== 0) buf = Buffer.from(buf);
  const headerLen = buf.readUInt32LE(8);
  if (16 + headerLen > buf.length) throw new IndexFileError(file, '파일이 잘렸습니다');
  const header = parseHeader(file, buf.subarray(16, 16 + headerLen));
  const dataStart = align8(16 + headerLen);

  const views = new Map<string, ArrayBufferView>();
  for (const s of header.sections) {
    const start = dataStart + s.offset;
    if (!Number.isInteger(start) || start < dataStart || start + s.length > buf.length)
      throw new IndexFileError(file, `${s.name} 영역이 파일 밖에 있습니다 (파일이 잘렸습니다)`);
    const bytes = buf.subarray(start, start + s.length);
    if (zlib.crc32(bytes) !== s.crc32) throw new IndexFileError(file, `${s.name} 영역의 체크섬이 맞지 않습니다`);
    const ab = buf.buffer;
    const at = buf.byteOffset + start;
    switch (s.kind) {
      case 'i32':
        views.set(s.name, new Int32Array(ab, at, s.length / 4));
        break;
      case 'u32':
        views.set(s.name, new Uint32Array(ab, at, s.length / 4));
        break;
      case 'u16':
        views.set(s.name, new Uint16Array(ab, at, s.length / 2));
        break;
      case 'u8':
        views.set(s.name, new Uint8Array(ab, at, s.length));
        break;
      case 'json':
        views.set(s.name, bytes);
        break;
      default:
        throw new IndexFileError(file, `알 수 없는 영역 종류 ${String(s.kind)}`);
    }
  }
  const get = <T extends ArrayBufferView>(name: string): T => {
    const v = views.get(name);
    if (!v) throw new IndexFileError(file, `${name} 영역이 없습니다`);
    return v as T;
  };
  let meta: { ids: string[]; caseNumbers: string[]; caseNames: string[]; courts: string[]; types: string[] };
  try {
    meta = JSON.parse(get<Buffer>('docs.meta').toString('utf8')) as typeof meta;
  } catch {
    throw new IndexFileError(file, '문서 메타데이터가 손상되었습니다');
  }
  const { sections: _sections, ...plainHeader } = header;
  const index: SearchIndex = {
    header: plainHeader,
    dict: new TermDictionary(get('dict.slots'), get('dict.offsets'), get('dict.chars')),
    postingOffsets: get('postings.offsets'),
    postingDocs: get('postings.docs'),
    postingImpacts: get('postings.impacts'),
    termMaxImpact: get('terms.maxImpact'),
    docs: {
      ids: meta.ids,
      caseNumbers: meta.caseNumbers,
      caseNames: meta.caseNames,
      courts: meta.courts,
      types: meta.types,
      dates: get('docs.dates'),
      courtIds: get('docs.courtIds'),
      typeIds: get('docs.typeIds'),
      levelIds: levelIdsOf(meta.courts, get('docs.courtIds')),
    },
  };
  const last = header.sections.reduce((m, sec) => Math.max(m, align8(sec.offset + sec.length)), 0);
  if (dataStart + last !== buf.length) throw new IndexFileError(file, `파일 크기가 맞지 않습니다 (${buf.length} ≠ ${dataStart + last})`);
  checkShape(file, index);
  return index;
}

/** Cheap structural checks: counts agree and posting offsets are monotonic. */
function checkShape(file: string, ix: SearchIndex): void {
  const { docCount: N, termCount: T, postingCount: P } = ix.header;
  const bad = (what: string): never => {
    throw new IndexFileError(file, `구조가 맞지 않습니다 (${what})`);
  };
  if (ix.dict.size !== T || ix.postingOffsets.length !== T + 1 || ix.termMaxImpact.length !== T) bad('용어 수');
  if (ix.postingDocs.length !== P || ix.postingImpacts.length !== P || ix.postingOffsets[T] !== P) bad('포스팅 수');
  if (ix.docs.ids.length !== N || ix.docs.dates.length !== N || ix.docs.courtIds.length !== N || ix.docs.typeIds.length !== N) bad('문서 수');
  const o = ix.postingOffsets;
  for (let t = 0; t < T; t++) if (o[t]! > o[t + 1]!) bad('포스팅 오프셋');
  const slots = ix.dict.slots.length;
  if (slots === 0 || (slots & (slots - 1)) !== 0) bad('사전 해시 크기');
}
