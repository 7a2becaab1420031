/** Append-only typed-array buffers for the index builder (amortized doubling). */

type TypedArrayCtor<T> = { new (length: number): T };

export class GrowableArray<T extends Int32Array | Uint32Array | Uint16Array | Float64Array> {
  array: T;
  length = 0;

  constructor(
    private readonly ctor: TypedArrayCtor<T>,
    initial = 1024,
  ) {
    this.array = new ctor(initial);
  }

  /** Makes room for `extra` more elements. */
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.array.length) return;
    let cap = this.array.length * 2;
    while (cap < need) cap *= 2;
    const next = new this.ctor(cap);
    next.set(this.array.subarray(0, this.length));
    this.array = next;
  }

  push(value: number): void {
    if (this.length === this.array.length) this.reserve(1);
    this.array[this.length++] = value;
  }

  /** A trimmed copy of the contents. */
  toArray(): T {
    return this.array.slice(0, this.length) as T;
  }
}

/**
 * Open-addressing map from non-negative 32-bit integers to term ids (-1 when
 * absent). Keys and values are interleaved so a probe touches one cache line.
 */
export class IntTermMap {
  private table = new Int32Array(2 << 16).fill(-1);
  private capacity = 1 << 16;
  /** 32 - log2(capacity): Fibonacci hashing takes the top bits of the product. */
  private shift = 16;
  private count = 0;

  get byteLength(): number {
    return this.table.byteLength;
  }

  get(key: number): number {
    const mask = this.capacity - 1;
    const table = this.table;
    let i = Math.imul(key, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const k = table[i << 1]!;
      if (k === key) return table[(i << 1) | 1]!;
      if (k === -1) return -1;
      i = (i + 1) & mask;
    }
  }

  set(key: number, value: number): void {
    if ((this.count + 1) * 2 > this.capacity) this.grow();
    this.insert(key, value);
    this.count++;
  }

  private insert(key: number, value: number): void {
    const mask = this.capacity - 1;
    let i = Math.imul(key, 0x9e3779b1) >>> this.shift;
    while (this.table[i << 1] !== -1) i = (i + 1) & mask;
    this.table[i << 1] = key;
    this.table[(i << 1) | 1] = value;
  }

  private grow(): void {
    const old = this.table;
    this.capacity *= 2;
    this.shift--;
    this.table = new Int32Array(this.capacity * 2).fill(-1);
    for (let i = 0; i < old.length; i += 2) if (old[i] !== -1) this.insert(old[i]!, old[i + 1]!);
  }
}
