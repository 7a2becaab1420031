import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { assembleIndex, INDEX_FORMAT_VERSION, type IndexHeader, type SearchIndex } from './indexData.js';
import type { Segment } from './segment.js';
import { IndexFileError, readSegmentFile, writeSegmentFile, type PendingChecksum } from './segmentFile.js';

/**
 * The index directory (`data/index/`): immutable segment files and the
 * manifest that says which of them make up the index.
 *
 *   search.idx          the manifest (JSON): format and tokenizer versions,
 *                       corpus version, parameters, average field lengths,
 *                       generation, and the segments in order
 *   seg-G-N.seg         segment N written by generation G
 *   seg-G-N.H.del       which of that segment's documents are deleted
 *                       (replaced by a later segment), written by generation H
 *
 * The manifest keeps the name the single-file index had (the operations
 * guide's `bm25_cache.pkl`): deleting it and restarting rebuilds the index.
 * Writing a new index writes its segment files first, then the manifest
 * (temporary file, fsync, rename, directory fsync): the rename is the commit.
 * A crash before it leaves the previous manifest and its segments intact;
 * segment files no manifest names are removed by the next write. Segments
 * never change once written; an incremental update (src/search/incremental.ts)
 * adds segments and new deletion files, and a reader that already holds a
 * segment reuses it instead of reading it again.
 */
export const MANIFEST_FILE = 'search.idx';

export interface ManifestSegment {
  name: string;
  file: string;
  docCount: number;
  termCount: number;
  postingCount: number;
  /** The segment's creation time: with the name, what tells a segment held in memory is this one. */
  createdAt: string;
  bytes: number;
  /** The segment's deletion file, when any of its documents are deleted. */
  deletions?: { file: string; count: number; bytes: number };
}

export interface IndexManifest extends Omit<IndexHeader, 'docCount' | 'termCount' | 'postingCount'> {
  format: 'alaw-index';
  generation: number;
  docCount: number;
  termCount: number;
  postingCount: number;
  segments: ManifestSegment[];
}

const SEGMENT_FILE = /^seg-\d{6}-\d{4}\.seg$/u;
const DELETION_FILE = /^seg-\d{6}-\d{4}\.\d{6}\.del$/u;
const DELETION_MAGIC = Buffer.from('ALAWDEL1', 'latin1');

/** Whether `name` is a file of the index directory (the manifest, a segment or a deletion file). */
export function isIndexFileName(name: string): boolean {
  return name === MANIFEST_FILE || SEGMENT_FILE.test(name) || DELETION_FILE.test(name);
}

/** The segment and deletion files the current manifest names (empty when there is no readable manifest). */
export function indexSegmentFiles(dir: string): string[] {
  try {
    return readManifest(dir).segments.flatMap((s) => (s.deletions ? [s.file, s.deletions.file] : [s.file]));
  } catch {
    return [];
  }
}

/**
 * Writes a deletion file: magic, document count, deleted count, CRC-32 of
 * the bitmap, then one bit per document. Atomic (temporary file, fsync, rename).
 */
function writeDeletionFile(file: string, deleted: Uint8Array): { count: number; bytes: number } {
  const bits = Buffer.alloc((deleted.length + 7) >>> 3);
  let count = 0;
  for (let d = 0; d < deleted.length; d++) {
    if (deleted[d]) {
      bits[d >>> 3]! |= 1 << (d & 7);
      count++;
    }
  }
  const head = Buffer.alloc(24);
  DELETION_MAGIC.copy(head, 0);
  head.writeUInt32LE(deleted.length, 8);
  head.writeUInt32LE(count, 12);
  head.writeUInt32LE(zlib.crc32(bits), 16);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, head);
    fs.writeSync(fd, bits);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  return { count, bytes: head.length + bits.length };
}

/** Reads a deletion file into one byte per document (1 = deleted), checked against the segment. */
export function readDeletionFile(file: string, docCount: number, count: number): Uint8Array {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new IndexFileError(file, (err as NodeJS.ErrnoException).code === 'ENOENT' ? '파일이 없습니다' : (err as Error).message);
  }
  if (buf.length < 24 || !buf.subarray(0, 8).equals(DELETION_MAGIC)) throw new IndexFileError(file, '삭제 표시 파일이 아닙니다');
  const bits = buf.subarray(24);
  if (buf.readUInt32LE(8) !== docCount || bits.length !== (docCount + 7) >>> 3) throw new IndexFileError(file, '세그먼트와 문서 수가 맞지 않습니다');
  if (zlib.crc32(bits) !== buf.readUInt32LE(16)) throw new IndexFileError(file, '체크섬이 맞지 않습니다');
  const out = new Uint8Array(docCount);
  let n = 0;
  for (let d = 0; d < docCount; d++) if ((out[d] = (bits[d >>> 3]! >>> (d & 7)) & 1)) n++;
  if (n !== count || n !== buf.readUInt32LE(12)) throw new IndexFileError(file, '삭제 건수가 맞지 않습니다');
  return out;
}

/** Reads and checks the manifest only (cheap: staleness checks without loading segments). */
export function readManifest(dir: string): IndexManifest {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new IndexFileError(file, (err as NodeJS.ErrnoException).code === 'ENOENT' ? '파일이 없습니다' : (err as Error).message);
  }
  let m: IndexManifest;
  try {
    m = JSON.parse(text) as IndexManifest;
  } catch {
    throw new IndexFileError(file, '색인 목록(JSON)이 아닙니다 (이전 형식의 색인이거나 손상되었습니다)');
  }
  if (m === null || typeof m !== 'object' || m.format !== 'alaw-index') throw new IndexFileError(file, '색인 목록 형식이 아닙니다');
  if (m.formatVersion !== INDEX_FORMAT_VERSION) {
    throw new IndexFileError(file, `형식 버전 ${String(m.formatVersion)}은(는) 지원하지 않습니다 (현재 ${INDEX_FORMAT_VERSION})`);
  }
  if (
    !Array.isArray(m.segments) ||
    m.segments.some(
      (s) =>
        typeof s?.file !== 'string' ||
        !SEGMENT_FILE.test(s.file) ||
        typeof s.createdAt !== 'string' ||
        ![s.docCount, s.termCount, s.postingCount, s.bytes].every((n) => Number.isSafeInteger(n) && n >= 0) ||
        (s.deletions !== undefined && (typeof s.deletions?.file !== 'string' || !DELETION_FILE.test(s.deletions.file))),
    )
  ) {
    throw new IndexFileError(file, '세그먼트 목록이 손상되었습니다');
  }
  return m;
}

/**
 * Loads the index the manifest names: every segment verified (checksums,
 * structure, counts), with its deletions. Segments of `reuse` (an index
 * loaded earlier from this directory) that the manifest still names are
 * taken as they are: segment files never change, so picking up an update
 * reads only the new segments and deletion files.
 */
export function readIndexDir(dir: string, reuse?: SearchIndex, deferred?: PendingChecksum[]): SearchIndex {
  const m = readManifest(dir);
  const loaded = new Map((reuse?.segments ?? []).map((seg) => [`${seg.header.name} ${seg.header.createdAt}`, seg]));
  const segments = m.segments.map((s) => {
    const file = path.join(dir, s.file);
    const seg = loaded.get(`${s.name} ${s.createdAt}`) ?? readSegmentFile(file, deferred);
    if (seg.header.docCount !== s.docCount || seg.header.name !== s.name) throw new IndexFileError(file, '색인 목록과 세그먼트가 맞지 않습니다');
    return seg;
  });
  const deletions = m.segments.map((s) => (s.deletions ? readDeletionFile(path.join(dir, s.deletions.file), s.docCount, s.deletions.count) : null));
  const { format: _f, generation: _g, segments: _s, docCount: _d, termCount: _t, postingCount: _p, ...header } = m;
  const index = assembleIndex(header, segments, deletions);
  if (index.header.docCount !== m.docCount) throw new IndexFileError(path.join(dir, MANIFEST_FILE), '문서 수가 맞지 않습니다');
  return index;
}

/** Total bytes of the manifest and the segment files it names. */
export function indexBytes(dir: string, m: IndexManifest): number {
  return m.segments.reduce((sum, s) => sum + s.bytes + (s.deletions?.bytes ?? 0), fs.statSync(path.join(dir, MANIFEST_FILE)).size);
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  }
}

function previousGeneration(dir: string): number {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as { generation?: unknown };
    return typeof m.generation === 'number' && Number.isInteger(m.generation) ? m.generation : 0;
  } catch {
    return 0;
  }
}

/** A segment of a new manifest: one already in the directory (by its manifest entry), or one to write. */
export type CommitSegment =
  // A kept entry's `deleted` undefined: its deletions stay as they are (no file is read or written).
  { kind: 'keep'; entry: ManifestSegment; deleted?: Uint8Array | null } | { kind: 'new'; segment: Segment; deleted: Uint8Array | null };

/**
 * Commits a new generation of the index in `dir`: writes the new segments
 * and any changed deletion files, then the manifest (the rename is the
 * commit); afterwards, files no manifest names are removed. A crash at any
 * point leaves the previous manifest and every file it names intact.
 */
export function commitIndexDir(
  dir: string,
  header: Omit<IndexManifest, 'format' | 'generation' | 'segments'>,
  parts: readonly CommitSegment[],
): { manifest: IndexManifest; bytes: number } {
  fs.mkdirSync(dir, { recursive: true });
  const generation = previousGeneration(dir) + 1;
  const gen = String(generation).padStart(6, '0');
  let n = 0;
  const segments: ManifestSegment[] = parts.map((part) => {
    let entry: ManifestSegment;
    if (part.kind === 'keep') entry = { ...part.entry };
    else {
      const name = `seg-${gen}-${String(++n).padStart(4, '0')}`;
      const file = `${name}.seg`;
      const bytes = writeSegmentFile(path.join(dir, file), { ...part.segment, header: { ...part.segment.header, name } });
      const h = part.segment.header;
      entry = { name, file, docCount: h.docCount, termCount: h.termCount, postingCount: h.postingCount, createdAt: h.createdAt, bytes };
    }
    if (part.deleted === undefined) return entry;
    const count = part.deleted ? part.deleted.reduce((a, b) => a + (b ? 1 : 0), 0) : 0;
    if (count === 0) delete entry.deletions;
    else if (entry.deletions?.count !== count) {
      const file = `${entry.name}.${gen}.del`;
      entry.deletions = { file, ...writeDeletionFile(path.join(dir, file), part.deleted!) };
    }
    return entry;
  });
  fsyncDir(dir);
  const manifest: IndexManifest = { format: 'alaw-index', ...header, generation, segments };
  const file = path.join(dir, MANIFEST_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, `${JSON.stringify(manifest, null, 1)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(dir);
  removeUnreferenced(dir, manifest);
  return { manifest, bytes: indexBytes(dir, manifest) };
}

/**
 * Writes `index` as a new generation of the index in `dir`. Segments the
 * directory already holds (read from it: same name in the current manifest)
 * are kept as they are; the others are written. Returns the manifest and
 * the bytes of the index.
 */
export function writeIndexDir(dir: string, index: SearchIndex): { manifest: IndexManifest; bytes: number } {
  let previous: Map<string, ManifestSegment>;
  try {
    previous = new Map(readManifest(dir).segments.map((s) => [s.name, s]));
  } catch {
    previous = new Map();
  }
  const parts = index.segments.map((segment, s): CommitSegment => {
    const deleted = index.deleted ? index.deleted.subarray(index.bases[s], index.bases[s + 1]) : null;
    const entry = previous.get(segment.header.name);
    return entry && entry.createdAt === segment.header.createdAt && entry.docCount === segment.header.docCount && fs.existsSync(path.join(dir, entry.file))
      ? { kind: 'keep', entry, deleted }
      : { kind: 'new', segment, deleted };
  });
  const written = commitIndexDir(dir, { ...index.header }, parts);
  // The in-memory segments take their file names, so a reader can reuse them (readIndexDir's `reuse`).
  index.segments.forEach((seg, s) => (seg.header.name = written.manifest.segments[s]!.name));
  return written;
}

/** Removes segment and deletion files the manifest does not name, and leftovers of interrupted writes. */
function removeUnreferenced(dir: string, m: IndexManifest): void {
  const keep = new Set(m.segments.flatMap((s) => (s.deletions ? [s.file, s.deletions.file] : [s.file])));
  for (const f of fs.readdirSync(dir)) {
    if (((SEGMENT_FILE.test(f) || DELETION_FILE.test(f)) && !keep.has(f)) || /\.tmp-\d+$/u.test(f)) fs.rmSync(path.join(dir, f), { force: true });
  }
}
