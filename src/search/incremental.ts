import path from 'node:path';
import { buildIndex, type IndexableDocument } from './builder.js';
import { commitIndexDir, readDeletionFile, readManifest, type CommitSegment, type IndexManifest, type ManifestSegment } from './indexDir.js';
import { mergeSegments } from './merge.js';
import type { Bm25Params } from './params.js';
import { readSegmentFile, readSegmentIds } from './segmentFile.js';

/** The decisions changed since an index's corpus version, or null when that version is of another database. */
export type ChangedSince = (version: string) => { count: number; rows: Iterable<IndexableDocument> } | null;

export interface IncrementalOptions {
  dir: string;
  params: Bm25Params;
  manifest: IndexManifest;
  /** The corpus version the update brings the index to (read before the changes are scanned). */
  version: string;
  changes: { count: number; rows: Iterable<IndexableDocument> };
  memoryBudgetBytes?: number;
  onDocument?: (count: number) => void;
}

export interface IncrementalResult {
  manifest: IndexManifest;
  /** Documents indexed into new segments. */
  added: number;
  /** Documents of older segments marked deleted (replaced by a new version). */
  deleted: number;
  ms: number;
}

/**
 * Brings the index in `dir` up to date with the decisions changed since it
 * was built, without touching what it already holds: the changed decisions
 * become new segment(s), scored with the index's average field lengths so
 * their scores compare with the old segments', and their previous versions
 * are marked deleted in new deletion files. One commit (see commitIndexDir):
 * a crash leaves the previous index. The caller holds the write lock.
 *
 * Term statistics follow Lucene: deleted documents still count in N and in
 * document frequencies until a merge drops them.
 */
export function addChanges(opts: IncrementalOptions): IncrementalResult {
  const started = performance.now();
  const { dir, manifest: m } = opts;
  const olds = m.segments.map((entry) => ({
    entry,
    ids: readSegmentIds(path.join(dir, entry.file)).idIndex,
    deleted: entry.deletions ? readDeletionFile(path.join(dir, entry.deletions.file), entry.docCount, entry.deletions.count) : null,
  }));
  const ids: string[] = [];
  function* collect(rows: Iterable<IndexableDocument>): Generator<IndexableDocument> {
    for (const r of rows) {
      ids.push(r.id);
      yield r;
    }
  }
  const built = buildIndex(collect(opts.changes.rows), opts.params, opts.version, {
    avgFieldLengths: m.avgFieldLengths,
    memoryBudgetBytes: opts.memoryBudgetBytes,
    onDocument: opts.onDocument,
  });
  let deleted = 0;
  for (const id of ids) {
    for (const o of olds) {
      const local = o.ids.lookup(id);
      if (local < 0 || o.deleted?.[local]) continue;
      o.deleted ??= new Uint8Array(o.entry.docCount);
      o.deleted[local] = 1;
      deleted++;
    }
  }
  const fresh = built.segments.filter((s) => s.header.docCount > 0);
  const parts: CommitSegment[] = [
    ...olds.map((o): CommitSegment => ({ kind: 'keep', entry: o.entry, deleted: o.deleted })),
    ...fresh.map((segment): CommitSegment => ({ kind: 'new', segment, deleted: null })),
  ];
  const ms = Math.round(performance.now() - started);
  const { format: _f, generation: _g, segments: _s, ...header } = m;
  const { manifest } = commitIndexDir(
    dir,
    {
      ...header,
      corpusVersion: opts.version,
      createdAt: new Date().toISOString(),
      buildMs: ms,
      docCount: m.docCount + built.header.docCount,
      termCount: m.termCount + built.header.termCount,
      postingCount: m.postingCount + built.header.postingCount,
    },
    parts,
  );
  return { manifest, added: built.header.docCount, deleted, ms };
}

/** When segments are merged (see selectMerge). */
export interface MergePolicy {
  /** A segment is small when it holds at most this fraction of the largest one's documents. */
  smallRatio: number;
  /** Merge the small segments once there are this many. */
  smallCount: number;
  /** Rewrite a segment once this fraction of its documents is deleted. */
  deletedRatio: number;
}

export const DEFAULT_MERGE_POLICY: MergePolicy = { smallRatio: 1 / 8, smallCount: 8, deletedRatio: 0.25 };

/**
 * Which segments (positions in the manifest) to merge into one, or null.
 * Small segments (each import adds one) are merged together once there are
 * `smallCount` of them, so their number stays bounded and a merge costs in
 * proportion to the small segments, not the index (a logarithmic, tiered
 * policy like Lucene's, with one tier). A segment with many deleted
 * documents joins the merge (or is rewritten alone) to reclaim them.
 */
export function selectMerge(segments: readonly ManifestSegment[], policy: MergePolicy = DEFAULT_MERGE_POLICY): number[] | null {
  if (segments.length === 0) return null;
  const largest = Math.max(...segments.map((s) => s.docCount));
  const small = segments.flatMap((s, i) => (s.docCount <= largest * policy.smallRatio ? [i] : []));
  const heavy = segments.flatMap((s, i) => ((s.deletions?.count ?? 0) >= s.docCount * policy.deletedRatio ? [i] : []));
  const pick = new Set<number>(heavy);
  if (small.length >= policy.smallCount) for (const i of small) pick.add(i);
  if (pick.size === 0) return null;
  return [...pick].sort((a, b) => a - b);
}

export interface MergeResult {
  manifest: IndexManifest;
  merged: number;
  /** Deleted documents dropped. */
  dropped: number;
  ms: number;
}

/**
 * Applies the merge policy to the index in `dir` once: merges the selected
 * segments (dropping deleted documents) into one that takes the first one's
 * place, and commits. Returns null when the policy selects nothing. The
 * caller holds the write lock.
 */
export function mergeIndexDir(dir: string, policy: MergePolicy = DEFAULT_MERGE_POLICY): MergeResult | null {
  const started = performance.now();
  const m = readManifest(dir);
  const pick = selectMerge(m.segments, policy);
  if (!pick) return null;
  const chosen = pick.map((i) => m.segments[i]!);
  const segments = chosen.map((e) => readSegmentFile(path.join(dir, e.file)));
  const deletions = chosen.map((e) => (e.deletions ? readDeletionFile(path.join(dir, e.deletions.file), e.docCount, e.deletions.count) : null));
  const merged = mergeSegments(segments, 'merged', deletions);
  const dropped = chosen.reduce((n, e) => n + (e.deletions?.count ?? 0), 0);
  const chosenSet = new Set(pick);
  const parts: CommitSegment[] = [];
  m.segments.forEach((entry, i) => {
    if (i === pick[0]) {
      if (merged.header.docCount > 0) parts.push({ kind: 'new', segment: merged, deleted: null });
    } else if (!chosenSet.has(i)) parts.push({ kind: 'keep', entry });
  });
  const { format: _f, generation: _g, segments: _s, ...header } = m;
  const sum = (f: (s: ManifestSegment) => number): number => chosen.reduce((n, s) => n + f(s), 0);
  const { manifest } = commitIndexDir(
    dir,
    {
      ...header,
      createdAt: new Date().toISOString(),
      docCount: m.docCount - dropped,
      termCount: m.termCount - sum((s) => s.termCount) + merged.header.termCount,
      postingCount: m.postingCount - sum((s) => s.postingCount) + merged.header.postingCount,
    },
    parts,
  );
  return { manifest, merged: chosen.length, dropped, ms: Math.round(performance.now() - started) };
}
