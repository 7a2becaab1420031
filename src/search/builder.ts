import { forEachIndexToken, normalizeText, TOKENIZER_VERSION, type TokenSink } from '../text/index.js';
import { dateToInt } from './docTable.js';
import { GrowableArray, IntTermMap } from './growable.js';
import { assembleIndex, INDEX_FORMAT_VERSION, type SearchIndex } from './indexData.js';
import { mergeSegments } from './merge.js';
import { PostingsWriter } from './postings/format.js';
import { buildKeyIndex, IdIndex, StringColumn, type Segment } from './segment.js';
import { FIELD_COUNT, FIELDS, fieldCoefficient, quantizeImpact, type Bm25Params } from './params.js';
import { TermDictionary } from './termDictionary.js';

/** A decision as the index builder needs it. */
export interface IndexableDocument {
  id: string;
  case_number: string;
  court: string;
  decision_date: string | null;
  case_name: string;
  case_type: string;
  holdings: string | null;
  summary: string | null;
  full_text: string;
}

/** Per-field term frequencies are capped here (a Uint16 each). */
const MAX_TF = 65535;

/**
 * Builds a search index in one pass over the documents. Tokens are interned
 * to term ids as they stream by (bigrams by their two code units, without
 * allocating strings); each document's postings are appended to flat typed
 * arrays, and `finish` turns them into per-term posting lists with BM25F
 * impacts once the average field lengths are known.
 */
export class IndexBuilder {
  private readonly pairIds = new IntTermMap();
  private readonly stringIds = new Map<string, number>();
  private readonly terms: string[] = [];

  // Postings in document order: term, document, and one tf per field.
  private readonly postTerm = new GrowableArray(Int32Array, 1 << 14);
  private readonly postDoc = new GrowableArray(Int32Array, 1 << 14);
  private readonly postTf = new GrowableArray(Uint16Array, FIELD_COUNT << 14);
  private readonly fieldLengths = new GrowableArray(Uint32Array, FIELD_COUNT << 12);

  // Per-document scratch: slot of a term in `touched`, or -1.
  private slotOfTerm = new Int32Array(1 << 16).fill(-1);
  private touched = new Int32Array(1 << 12);
  private touchedTf = new Uint16Array(FIELD_COUNT << 12);
  private touchedCount = 0;
  private currentField = 0;
  private currentLength = 0;

  private readonly ids: string[] = [];
  private readonly caseNumbers: string[] = [];
  private readonly caseNames: string[] = [];
  private readonly dates = new GrowableArray(Int32Array, 1 << 12);
  private readonly courtIds = new GrowableArray(Int32Array, 1 << 12);
  private readonly typeIds = new GrowableArray(Int32Array, 1 << 12);
  private readonly courtIndex = new Map<string, number>();
  private readonly typeIndex = new Map<string, number>();
  private readonly startedAt = performance.now();

  private readonly sink: TokenSink = {
    pair: (a, b) => {
      const key = (a << 16) | b;
      let id = this.pairIds.get(key);
      if (id < 0) {
        id = this.newTerm(String.fromCharCode(a, b));
        this.pairIds.set(key, id);
      }
      this.count(id);
    },
    term: (s) => {
      let id = this.stringIds.get(s);
      if (id === undefined) {
        id = this.newTerm(s);
        this.stringIds.set(s, id);
      }
      this.count(id);
    },
  };

  constructor(private readonly params: Bm25Params) {}

  get documentCount(): number {
    return this.ids.length;
  }

  /** Adds one document; documents are numbered in the order they are added. */
  add(doc: IndexableDocument): void {
    const docNo = this.ids.length;
    this.ids.push(doc.id);
    this.caseNumbers.push(doc.case_number);
    this.caseNames.push(doc.case_name);
    this.dates.push(dateToInt(doc.decision_date));
    this.courtIds.push(intern(this.courtIndex, doc.court));
    this.typeIds.push(intern(this.typeIndex, doc.case_type));

    this.fieldLengths.reserve(FIELD_COUNT);
    const texts = [doc.case_name, doc.holdings, doc.summary, doc.full_text];
    for (let f = 0; f < FIELD_COUNT; f++) {
      const text = texts[f];
      this.currentField = f;
      this.currentLength = 0;
      if (text) this.currentLength = forEachIndexToken(normalizeText(text), this.sink);
      this.fieldLengths.push(this.currentLength);
    }

    // Flush this document's postings.
    const n = this.touchedCount;
    this.postTerm.reserve(n);
    this.postDoc.reserve(n);
    this.postTf.reserve(n * FIELD_COUNT);
    for (let i = 0; i < n; i++) {
      const term = this.touched[i]!;
      this.postTerm.array[this.postTerm.length++] = term;
      this.postDoc.array[this.postDoc.length++] = docNo;
      for (let f = 0; f < FIELD_COUNT; f++) {
        this.postTf.array[this.postTf.length++] = this.touchedTf[i * FIELD_COUNT + f]!;
        this.touchedTf[i * FIELD_COUNT + f] = 0;
      }
      this.slotOfTerm[term] = -1;
    }
    this.touchedCount = 0;
  }

  private newTerm(s: string): number {
    const id = this.terms.length;
    this.terms.push(s);
    if (id >= this.slotOfTerm.length) {
      const next = new Int32Array(this.slotOfTerm.length * 2).fill(-1);
      next.set(this.slotOfTerm);
      this.slotOfTerm = next;
    }
    return id;
  }

  private count(term: number): void {
    let slot = this.slotOfTerm[term]!;
    if (slot < 0) {
      slot = this.touchedCount++;
      if (slot >= this.touched.length) {
        const t = new Int32Array(this.touched.length * 2);
        t.set(this.touched);
        this.touched = t;
        const tf = new Uint16Array(this.touchedTf.length * 2);
        tf.set(this.touchedTf);
        this.touchedTf = tf;
      }
      this.touched[slot] = term;
      this.slotOfTerm[term] = slot;
    }
    const k = slot * FIELD_COUNT + this.currentField;
    if (this.touchedTf[k]! < MAX_TF) this.touchedTf[k]!++;
  }

  /** Bytes held by the builder's buffers, roughly: what the memory budget of a build is checked against. */
  memoryBytes(): number {
    const arrays = [this.postTerm, this.postDoc, this.postTf, this.fieldLengths, this.dates, this.courtIds, this.typeIds];
    let bytes = arrays.reduce((sum, g) => sum + g.array.byteLength, 0);
    bytes += this.slotOfTerm.byteLength + this.pairIds.byteLength;
    // Strings: the term list and map, and three display strings per document (UTF-16, object headers).
    bytes += this.terms.length * 80 + this.ids.length * 3 * 64;
    return bytes;
  }

  /** Average field lengths of the documents added so far (FIELDS order). */
  averageFieldLengths(): number[] {
    const N = this.ids.length;
    const lens = this.fieldLengths.array;
    const avg = new Array<number>(FIELD_COUNT).fill(0);
    for (let d = 0; d < N; d++) for (let f = 0; f < FIELD_COUNT; f++) avg[f]! += lens[d * FIELD_COUNT + f]!;
    return avg.map((sum) => (N > 0 ? sum / N : 0));
  }

  /**
   * Computes impacts and returns the finished segment. Impacts use
   * `avgFieldLengths` when given (every segment of one index shares the
   * averages, so their scores compare), else this segment's own averages.
   * The builder must not be used afterwards.
   */
  finish(name: string, avgFieldLengths?: readonly number[]): Segment {
    const N = this.ids.length;
    const T = this.terms.length;
    const P = this.postTerm.length;
    const lens = this.fieldLengths.array;
    const avg = avgFieldLengths ? [...avgFieldLengths] : this.averageFieldLengths();

    // Counting sort by term; postings were appended in document order, so each
    // term's list comes out sorted by document.
    const offsets = new Uint32Array(T + 1);
    const postTerm = this.postTerm.array;
    for (let i = 0; i < P; i++) offsets[postTerm[i]! + 1]!++;
    for (let t = 0; t < T; t++) offsets[t + 1]! += offsets[t]!;
    const cursor = offsets.slice(0, T);
    const docs = new Uint32Array(P);
    const impacts = new Uint8Array(P);
    const postDoc = this.postDoc.array;
    const postTf = this.postTf.array;
    // coef[d, f] = w_f / (1 - b_f + b_f · len / avg): BM25F's per-field factor,
    // computed once per document instead of once per posting.
    const coef = new Float64Array(N * FIELD_COUNT);
    const fieldParams = FIELDS.map((f) => this.params.fields[f]);
    for (let d = 0; d < N; d++) {
      for (let f = 0; f < FIELD_COUNT; f++) {
        coef[d * FIELD_COUNT + f] = fieldCoefficient(fieldParams[f]!, lens[d * FIELD_COUNT + f]!, avg[f]!);
      }
    }
    const k1 = this.params.k1;
    for (let i = 0; i < P; i++) {
      const t = postTerm[i]!;
      const d = postDoc[i]!;
      const base = i * FIELD_COUNT;
      const cb = d * FIELD_COUNT;
      let pseudo = 0;
      for (let f = 0; f < FIELD_COUNT; f++) {
        const n = postTf[base + f]!;
        if (n !== 0) pseudo += n * coef[cb + f]!;
      }
      const pos = cursor[t]!++;
      docs[pos] = d;
      impacts[pos] = quantizeImpact(pseudo / (k1 + pseudo));
    }
    const writer = new PostingsWriter();
    for (let t = 0; t < T; t++) writer.addTerm(docs, impacts, offsets[t]!, offsets[t + 1]!);
    const postings = writer.finish();

    const ids = StringColumn.of(this.ids);
    return {
      header: {
        name,
        docCount: N,
        termCount: T,
        postingCount: P,
        blockCount: postings.blockLastDoc.length,
        createdAt: new Date().toISOString(),
        buildMs: Math.round(performance.now() - this.startedAt),
        params: structuredClone(this.params),
        avgFieldLengths: avg,
        hasPositions: false,
      },
      dict: TermDictionary.build(this.terms),
      postings,
      docs: {
        ids,
        caseNumbers: StringColumn.of(this.caseNumbers),
        caseNames: StringColumn.of(this.caseNames),
        dates: this.dates.toArray(),
        courtIds: Uint16Array.from(this.courtIds.array.subarray(0, N)),
        courts: [...this.courtIndex.keys()],
        typeIds: Uint8Array.from(this.typeIds.array.subarray(0, N)),
        types: [...this.typeIndex.keys()],
        idIndex: IdIndex.build(ids, this.ids),
        caseKeys: buildKeyIndex(this.caseNumbers),
      },
    };
  }
}

function intern(map: Map<string, number>, value: string): number {
  let id = map.get(value);
  if (id === undefined) map.set(value, (id = map.size));
  return id;
}

/** Options of {@link buildIndex}. */
export interface BuildOptions {
  /** Start a new segment every this many documents (multi-segment tests). */
  segmentDocs?: number;
  /** Start a new segment when the builder's buffers reach this many bytes (bounded-memory builds). */
  memoryBudgetBytes?: number;
  /** Compute impacts with these average field lengths (an incremental segment uses its index's). */
  avgFieldLengths?: readonly number[];
  /** At the end, merge the segments into one when there are more than this many (default: keep them). */
  maxSegments?: number;
  onDocument?: (count: number) => void;
  /** Called when a segment is written out (documents in it, segments so far) and when segments are merged. */
  onSegment?: (
    event: { kind: 'flush'; reason: 'budget' | 'docs' | 'end'; docs: number; segments: number } | { kind: 'merge'; segments: number; ms: number },
  ) => void;
}

/**
 * Builds an index from any iterable of documents (tests, benchmarks, the
 * CLI). The builder's buffers are turned into a compressed segment whenever
 * they reach the memory budget (or `segmentDocs`), so what a build holds is
 * the compressed segments so far plus one budget of raw postings. Every
 * segment uses the first segment's average field lengths (a sample of the
 * first budget's documents; exact when one segment holds the corpus), so the
 * segments' scores compare and merging copies impacts unchanged.
 */
export function buildIndex(docs: Iterable<IndexableDocument>, params: Bm25Params, corpusVersion: string, options: BuildOptions = {}): SearchIndex {
  const started = performance.now();
  let segments: Segment[] = [];
  let builder = new IndexBuilder(params);
  let avg: number[] | undefined = options.avgFieldLengths ? [...options.avgFieldLengths] : undefined;
  let count = 0;
  const flush = (reason: 'budget' | 'docs' | 'end'): void => {
    avg ??= builder.averageFieldLengths();
    segments.push(builder.finish(segmentName(segments.length), avg));
    options.onSegment?.({ kind: 'flush', reason, docs: segments.at(-1)!.header.docCount, segments: segments.length });
    builder = new IndexBuilder(params);
  };
  const budget = options.memoryBudgetBytes ?? 0;
  for (const doc of docs) {
    builder.add(doc);
    count++;
    options.onDocument?.(count);
    if (options.segmentDocs && builder.documentCount >= options.segmentDocs) flush('docs');
    else if (budget > 0 && (count & 63) === 0 && builder.memoryBytes() >= budget) flush('budget');
  }
  if (builder.documentCount > 0 || segments.length === 0) flush('end');
  if (options.maxSegments !== undefined && segments.length > Math.max(1, options.maxSegments)) {
    const t = performance.now();
    const n = segments.length;
    segments = [mergeSegments(segments, segmentName(0))];
    options.onSegment?.({ kind: 'merge', segments: n, ms: Math.round(performance.now() - t) });
  }
  return assembleIndex(
    {
      formatVersion: INDEX_FORMAT_VERSION,
      tokenizerVersion: TOKENIZER_VERSION,
      corpusVersion,
      createdAt: new Date().toISOString(),
      buildMs: Math.round(performance.now() - started),
      params: structuredClone(params),
      avgFieldLengths: avg!,
    },
    segments,
  );
}

/** Segment names sort in creation order: seg-000001, seg-000002, … */
export function segmentName(n: number): string {
  return `seg-${String(n + 1).padStart(6, '0')}`;
}
