import { assembleIndex, type IndexHeader, type SearchIndex } from './indexData.js';
import type { SegmentHeader } from './segment.js';
import { segmentFromSections, segmentSections } from './segmentFile.js';

/**
 * An index as it crosses to a worker thread: every array lives in a
 * SharedArrayBuffer, so posting it copies references, not the index (the
 * structured clone of a SharedArrayBuffer shares its memory). The receiving
 * side rebuilds the segment objects over the same memory (indexFromShared).
 */
export interface SharedIndex {
  header: Omit<IndexHeader, 'docCount' | 'termCount' | 'postingCount'>;
  segments: { header: SegmentHeader; sections: [string, Uint8Array][]; deleted: Uint8Array | null }[];
}

function isShared(b: ArrayBufferView): boolean {
  return b.buffer instanceof SharedArrayBuffer;
}

function toShared(b: Uint8Array): Uint8Array {
  if (isShared(b)) return b;
  const out = new Uint8Array(new SharedArrayBuffer(b.byteLength));
  out.set(b);
  return out;
}

/**
 * The index in shared memory, and an index over that memory for this
 * thread. Segments read from files are already shared (readSegmentFile reads
 * into SharedArrayBuffers) and are used as they are; a freshly built one is
 * copied once, and the caller should keep the returned index, not the
 * original, so the process holds one copy.
 */
export function shareIndex(ix: SearchIndex): { shared: SharedIndex; index: SearchIndex } {
  const { docCount: _d, termCount: _t, postingCount: _p, ...header } = ix.header;
  let copied = false;
  const segments = ix.segments.map((seg, s) => {
    const sections = [...segmentSections(seg)].map(([name, buf]): [string, Uint8Array] => {
      if (!isShared(buf)) copied = true;
      return [name, toShared(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength))];
    });
    const deleted = ix.deleted ? toShared(ix.deleted.subarray(ix.bases[s], ix.bases[s + 1])) : null;
    return { header: seg.header, sections, deleted };
  });
  const shared: SharedIndex = { header, segments };
  return { shared, index: copied ? indexFromShared(shared) : ix };
}

/** The index over shared memory (see shareIndex). */
export function indexFromShared(shared: SharedIndex): SearchIndex {
  const segments = shared.segments.map((s) =>
    segmentFromSections(
      `shared:${s.header.name}`,
      s.header,
      new Map(s.sections.map(([name, bytes]) => [name, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)])),
    ),
  );
  return assembleIndex(
    shared.header,
    segments,
    shared.segments.map((s) => s.deleted),
  );
}
