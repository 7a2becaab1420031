import fs from 'node:fs';
import path from 'node:path';
import { assembleIndex, INDEX_FORMAT_VERSION, type IndexHeader, type SearchIndex } from './indexData.js';
import { IndexFileError, readSegmentFile, writeSegmentFile } from './segmentFile.js';

/**
 * The index directory (`data/index/`): immutable segment files and the
 * manifest that says which of them make up the index.
 *
 *   search.idx          the manifest (JSON): format and tokenizer versions,
 *                       corpus version, parameters, average field lengths,
 *                       generation, and the segments in order
 *   seg-G-N.seg         segment N written by generation G
 *
 * The manifest keeps the name the single-file index had (the operations
 * guide's `bm25_cache.pkl`): deleting it and restarting rebuilds the index.
 * Writing a new index writes its segment files first, then the manifest
 * (temporary file, fsync, rename, directory fsync): the rename is the commit.
 * A crash before it leaves the previous manifest and its segments intact;
 * segment files no manifest names are removed by the next write.
 */
export const MANIFEST_FILE = 'search.idx';

export interface ManifestSegment {
  name: string;
  file: string;
  docCount: number;
  bytes: number;
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

/** Whether `name` is a file of the index directory (the manifest or a segment). */
export function isIndexFileName(name: string): boolean {
  return name === MANIFEST_FILE || SEGMENT_FILE.test(name);
}

/** The segment files the current manifest names (empty when there is no readable manifest). */
export function indexSegmentFiles(dir: string): string[] {
  try {
    return readManifest(dir).segments.map((s) => s.file);
  } catch {
    return [];
  }
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
  if (!Array.isArray(m.segments) || m.segments.some((s) => typeof s?.file !== 'string' || !SEGMENT_FILE.test(s.file))) {
    throw new IndexFileError(file, '세그먼트 목록이 손상되었습니다');
  }
  return m;
}

/** Loads the index the manifest names: every segment verified (checksums, structure, counts). */
export function readIndexDir(dir: string): SearchIndex {
  const m = readManifest(dir);
  const segments = m.segments.map((s) => {
    const file = path.join(dir, s.file);
    const seg = readSegmentFile(file);
    if (seg.header.docCount !== s.docCount || seg.header.name !== s.name) throw new IndexFileError(file, '색인 목록과 세그먼트가 맞지 않습니다');
    return seg;
  });
  const { format: _f, generation: _g, segments: _s, docCount: _d, termCount: _t, postingCount: _p, ...header } = m;
  const index = assembleIndex(header, segments);
  if (index.header.docCount !== m.docCount) throw new IndexFileError(path.join(dir, MANIFEST_FILE), '문서 수가 맞지 않습니다');
  return index;
}

/** Total bytes of the manifest and the segment files it names. */
export function indexBytes(dir: string, m: IndexManifest): number {
  return m.segments.reduce((sum, s) => sum + s.bytes, fs.statSync(path.join(dir, MANIFEST_FILE)).size);
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

/**
 * Writes `index` as a new generation of the index in `dir`: its segments
 * under new names, then the manifest; afterwards, files of older generations
 * are removed. Returns the manifest and the bytes written.
 */
export function writeIndexDir(dir: string, index: SearchIndex): { manifest: IndexManifest; bytes: number } {
  fs.mkdirSync(dir, { recursive: true });
  const generation = previousGeneration(dir) + 1;
  const segments: ManifestSegment[] = index.segments.map((seg, n) => {
    const name = `seg-${String(generation).padStart(6, '0')}-${String(n + 1).padStart(4, '0')}`;
    const file = `${name}.seg`;
    const bytes = writeSegmentFile(path.join(dir, file), { ...seg, header: { ...seg.header, name } });
    return { name, file, docCount: seg.header.docCount, bytes };
  });
  fsyncDir(dir);
  const manifest: IndexManifest = { format: 'alaw-index', ...index.header, generation, segments };
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

/** Removes segment files the manifest does not name, and leftovers of interrupted writes. */
function removeUnreferenced(dir: string, m: IndexManifest): void {
  const keep = new Set(m.segments.map((s) => s.file));
  for (const f of fs.readdirSync(dir)) {
    if ((SEGMENT_FILE.test(f) && !keep.has(f)) || /\.tmp-\d+$/u.test(f)) fs.rmSync(path.join(dir, f), { force: true });
  }
}
