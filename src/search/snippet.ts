/**
 * Snippets: the best passage of a decision for a query, HTML-escaped, with
 * the matched terms wrapped in `<mark>`.
 *
 * Matching works on the stored text directly (lower-cased when that keeps
 * its length), finding each query term with `indexOf`, which the engine does
 * natively: a snippet costs a few term scans of one decision, not a
 * character-by-character normalization of it. Decisions are stored as
 * published, and NFKC folding only matters for rare compatibility characters
 * (full-width Latin, circled numbers); a term written that way is simply not
 * highlighted.
 */

interface Span {
  start: number;
  end: number;
  term: string;
}

const isSyllable = (c: number): boolean => (c >= 0xac00 && c <= 0xd7a3) || (c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff);
const isWordChar = (c: number): boolean => isSyllable(c) || (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** Occurrences of the query terms in `text`. One-syllable terms and numbers must stand alone. */
function matchSpans(text: string, terms: ReadonlyMap<string, number>): Span[] {
  const spans: Span[] = [];
  for (const term of terms.keys()) {
    if (term.length === 0) continue;
    const unigram = term.length === 1;
    const number = isDigit(term.charCodeAt(0));
    for (let at = text.indexOf(term); at >= 0; at = text.indexOf(term, at + 1)) {
      const end = at + term.length;
      if (unigram && (isWordChar(text.charCodeAt(at - 1)) || (isSyllable(text.charCodeAt(end)) && !isParticleStart(text, end)))) continue;
      if (number && (isDigit(text.charCodeAt(at - 1)) || isDigit(text.charCodeAt(end)))) continue;
      spans.push({ start: at, end, term });
    }
  }
  return spans.sort((a, b) => a.start - b.start || a.end - b.end);
}

/** A one-syllable word followed by a particle (`후에`, `죄를`) still counts as that word. */
function isParticleStart(text: string, at: number): boolean {
  const c = text[at];
  return (
    c === '에' ||
    c === '를' ||
    c === '을' ||
    c === '의' ||
    c === '는' ||
    c === '은' ||
    c === '이' ||
    c === '가' ||
    c === '로' ||
    c === '와' ||
    c === '과' ||
    c === '도'
  );
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string): string => s.replace(/[&<>"']/gu, (c) => ESCAPES[c]!);

/** Longest text scanned for a snippet, characters (the tail of a 150k-character decision is not read). */
const SCAN_LIMIT = 40_000;

/**
 * The best passage of a decision for a query. Windows of `maxChars` are
 * scored by the summed weight of the distinct query terms they contain;
 * earlier fields (판시사항) win ties. Without any match, the beginning of the
 * first non-empty field is returned.
 */
export function makeSnippet(fields: readonly (string | null | undefined)[], terms: ReadonlyMap<string, number>, maxChars: number): string {
  let best: { text: string; spans: Span[]; from: number; score: number } | undefined;
  for (const raw of fields) {
    if (!raw) continue;
    const text = raw.length > SCAN_LIMIT ? raw.slice(0, SCAN_LIMIT) : raw;
    // Terms are lower case; most decisions have no Latin capitals to fold.
    const lower = /[A-Z]/u.test(text) ? text.toLowerCase() : text;
    const spans = matchSpans(lower.length === text.length ? lower : text, terms);
    if (spans.length === 0) {
      best ??= { text, spans, from: 0, score: 0 };
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
      if (!best || best.spans.length === 0 || score > best.score + 1e-9) best = { text, spans, from: spans[lo]!.start, score };
    }
  }
  if (!best) return '';
  return render(best.text, best.spans, best.from, maxChars);
}

function render(text: string, spans: Span[], matchFrom: number, maxChars: number): string {
  const n = text.length;
  // A little context before the first match, starting at a word boundary.
  let start = Math.max(0, matchFrom - Math.floor(maxChars / 6));
  if (start > 0) {
    const space = text.lastIndexOf(' ', matchFrom - 1);
    if (space >= start - 10 && space < matchFrom) start = space + 1;
  }
  const end = Math.min(n, start + maxChars);
  const marked = new Uint8Array(end - start);
  for (const s of spans) {
    if (s.end <= start || s.start >= end) continue;
    for (let k = Math.max(s.start, start); k < Math.min(s.end, end); k++) marked[k - start] = 1;
  }
  let html = '';
  let k = start;
  while (k < end) {
    const on = marked[k - start] === 1;
    let j = k + 1;
    while (j < end && (marked[j - start] === 1) === on) j++;
    const piece = text.slice(k, j).replace(/\s+/gu, ' ');
    html += on ? `<mark>${escapeHtml(piece)}</mark>` : escapeHtml(piece);
    k = j;
  }
  return (start > 0 ? '…' : '') + html.trim() + (end < n ? '…' : '');
}
