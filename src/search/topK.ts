/**
 * A bounded min-heap of (score, doc) keeping the k best, where better means a
 * higher score, then a lower document number (deterministic ties).
 */
export class TopK {
  private readonly scores: Float64Array;
  private readonly docs: Int32Array;
  size = 0;

  constructor(readonly k: number) {
    this.scores = new Float64Array(Math.max(1, k));
    this.docs = new Int32Array(Math.max(1, k));
  }

  get full(): boolean {
    return this.size >= this.k;
  }

  /** Score a new document must beat to enter; -Infinity while not full. */
  get threshold(): number {
    return this.size >= this.k ? this.scores[0]! : -Infinity;
  }

  /** Offers a document; returns true when it entered the top k. */
  offer(doc: number, score: number): boolean {
    if (this.k === 0) return false;
    if (this.size < this.k) {
      let i = this.size++;
      // sift up
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(score, doc, this.scores[parent]!, this.docs[parent]!)) break;
        this.scores[i] = this.scores[parent]!;
        this.docs[i] = this.docs[parent]!;
        i = parent;
      }
      this.scores[i] = score;
      this.docs[i] = doc;
      return true;
    }
    if (!this.worse(this.scores[0]!, this.docs[0]!, score, doc)) return false;
    // replace root, sift down
    let i = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.worse(this.scores[r]!, this.docs[r]!, this.scores[l]!, this.docs[l]!)) c = r;
      if (!this.worse(this.scores[c]!, this.docs[c]!, score, doc)) break;
      this.scores[i] = this.scores[c]!;
      this.docs[i] = this.docs[c]!;
      i = c;
    }
    this.scores[i] = score;
    this.docs[i] = doc;
    return true;
  }

  /** (a) is worse than (b): lower score, or equal score and higher doc number. */
  private worse(sa: number, da: number, sb: number, db: number): boolean {
    return sa < sb || (sa === sb && da > db);
  }

  /** The kept documents, best first. */
  sorted(): { doc: number; score: number }[] {
    const out: { doc: number; score: number }[] = [];
    for (let i = 0; i < this.size; i++) out.push({ doc: this.docs[i]!, score: this.scores[i]! });
    return out.sort((a, b) => b.score - a.score || a.doc - b.doc);
  }
}
