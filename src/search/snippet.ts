import { scanWords } from '../text/index.js';

/** Text normalized like the index normalizes it, with a map back to the original. */
interface Normalized {
  text: string;
  /** origin[i] = offset in the original string of normalized code unit i; origin[length] = original length. */
  origin: Int32Array;
}

/**
 * Per-character NFKC + lower case with an offset map, so highlights computed
 * on normalized text land on the original characters (`①` → `1`, `Ａ` → `a`).
 * Hangul and ASCII take a fast path; other characters are normalized one by one.
 */
function normalizeWithOffsets(original: string): Normalized {
  let out = '';
  const origin: number[] = [];
  for (let i = 0; i < original.length; ) {
    const code = original.charCodeAt(i);
    if ((code >= 0xac00 && code <= 0xd7a3) || code < 0x80) {
      out += code >= 0x41 && code <= 0x5a ? String.fromCharCode(code + 32) : original[i];
      origin.push(i);
      i++;
      continue;
    }
    const cp = original.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    const norm = original.slice(i, i + width).normalize('NFKC').toLowerCase();
    for (let k = 0; k < norm.length; k++) origin.push(i);
    out += norm;
    i += width;
  }
  origin.push(original.length);
  return { text: out, origin: Int32Array.from(origin) };
}

interface Span {
  start: number;
  end: number;
  term: string;
}

/** Spans of `text` (normalized) that match a query term: bigrams, word forms, numbers, unigrams. */
function matchSpans(text: string, terms: ReadonlyMap<string, number>): Span[] {
  const spans: Span[] = [];
  // Word forms (소유권이전등기) also count inside longer words (소유권이전등기절차를).
  const wordTerms = [...terms.keys()].filter((t) => t.length >= 3);
  scanWords(text, (start, end, stemEnd) => {
    const stem = text.slice(start, stemEnd);
    if (terms.has(stem)) {
      spans.push({ start, end: stemEnd, term: stem });
      return;
    }
    if (wordTerms.length > 0 && end - start >= 3) {
      const word = text.slice(start, end);
      for (const w of wordTerms) {
        for (let at = word.indexOf(w); at >= 0; at = word.indexOf(w, at + 1)) spans.push({ start: start + at, end: start + at + w.length, term: w });
      }
    }
    // Runs of one script: bigrams for syllabic runs, whole runs otherwise.
    let i = start;
    while (i < end) {
      const c = text.charCodeAt(i);
      const syllabic = (c >= 0xac00 && c <= 0xd7a3) || (c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff);
      let j = i + 1;
      while (j < end) {
        const d = text.charCodeAt(j);
        const ds = (d >= 0xac00 && d <= 0xd7a3) || (d >= 0x3400 && d <= 0x9fff) || (d >= 0xf900 && d <= 0xfaff);
        const sameNonSyllabic = !syllabic && !ds && (d >= 0x30 && d <= 0x39) === (c >= 0x30 && c <= 0x39);
        if (syllabic ? !ds : !sameNonSyllabic) break;
        j++;
      }
      if (syllabic) {
        if (j - i === 1) {
          const u = text[i]!;
          if (start === i && end === j && terms.has(u)) spans.push({ start: i, end: j, term: u });
        } else {
          for (let k = i; k + 1 < j; k++) {
            const bg = text.slice(k, k + 2);
            if (terms.has(bg)) spans.push({ start: k, end: k + 2, term: bg });
          }
        }
      } else {
        const run = text.slice(i, j);
        if (terms.has(run)) spans.push({ start: i, end: j, term: run });
      }
      i = j;
    }
  });
  return spans;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string): string => s.replace(/[&<>"']/gu, (c) => ESCAPES[c]!);

/** Longest text scanned for a snippet, characters (the tail of a 150k-character decision is not read). */
const SCAN_LIMIT = 40_000;

/**
 * The best passage of a decision for a query, as HTML-safe text with the
 * matched terms wrapped in `<mark>`. Candidate windows of `maxChars` are
 * scored by the summed weight of the distinct query terms they contain;
 * earlier fields (판시사항) win ties. Without any match, the beginning of the
 * first non-empty field is returned.
 */
export function makeSnippet(fields: readonly (string | null | undefined)[], terms: ReadonlyMap<string, number>, maxChars: number): string {
  let best: { field: string; norm: Normalized; spans: Span[]; from: number; score: number } | undefined;
  for (const raw of fields) {
    if (!raw) continue;
    const field = raw.length > SCAN_LIMIT ? raw.slice(0, SCAN_LIMIT) : raw;
    const norm = normalizeWithOffsets(field);
    const spans = matchSpans(norm.text, terms).sort((a, b) => a.start - b.start || a.end - b.end);
    if (spans.length === 0) {
      best ??= { field, norm, spans, from: 0, score: 0 };
      continue;
    }
    // Sliding window over spans: maximize Σ weight of distinct terms inside.
    const inWindow = new Map<string, number>();
    let score = 0;
    let lo = 0;
    for (let hi = 0; hi < spans.length; hi++) {
      const h = spans[hi]!;
      const c = inWindow.get(h.term) ?? 0;
      if (c === 0) score += terms.get(h.term) ?? 0;
      inWindow.set(h.term, c + 1);
      while (h.end - spans[lo]!.start > maxChars) {
        const l = spans[lo]!;
        const n = inWindow.get(l.term)! - 1;
        inWindow.set(l.term, n);
        if (n === 0) score -= terms.get(l.term) ?? 0;
        lo++;
      }
      if (!best || best.spans.length === 0 || score > best.score + 1e-9) {
        best = { field, norm, spans, from: spans[lo]!.start, score };
      }
    }
  }
  if (!best) return '';
  return render(best.field, best.norm, best.spans, best.from, maxChars);
}

function render(field: string, norm: Normalized, spans: Span[], matchFrom: number, maxChars: number): string {
  const n = norm.text.length;
  // A little context before the first match, starting at a word boundary.
  let start = Math.max(0, matchFrom - Math.floor(maxChars / 6));
  if (start > 0) {
    const space = norm.text.lastIndexOf(' ', matchFrom - 1);
    if (space >= start - 10 && space < matchFrom) start = space + 1;
  }
  const end = Math.min(n, start + maxChars);
  const marked = new Uint8Array(end - start);
  for (const s of spans) {
    for (let k = Math.max(s.start, start); k < Math.min(s.end, end); k++) marked[k - start] = 1;
  }
  let html = '';
  let k = start;
  while (k < end) {
    const on = marked[k - start] === 1;
    let j = k + 1;
    while (j < end && (marked[j - start] === 1) === on) j++;
    const piece = field.slice(norm.origin[k]!, norm.origin[j]!).replace(/\s+/gu, ' ');
    html += on ? `<mark>${escapeHtml(piece)}</mark>` : escapeHtml(piece);
    k = j;
  }
  return (start > 0 ? '…' : '') + html.trim() + (end < n ? '…' : '');
}
