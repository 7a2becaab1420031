import { describe, expect, it } from 'vitest';
import { isBlankText } from './blank.js';

describe('isBlankText', () => {
  it('is true for text that shows nothing', () => {
    for (const s of [
      '',
      ' ',
      '\t\n\r\v\f',
      '\u3000'.repeat(30), // ideographic space
      '\u00a0 \u00a0', // no-break space
      '\u200b\u200c\u200d\u2060\ufeff', // zero-width space, joiners, word joiner, BOM
      '\u2028\u2029\u0085', // line, paragraph separators, NEL
      '\u3164\u115f\u1160\uffa0', // Hangul fillers
      '\u00ad\u200e\u200f', // soft hyphen, bidi marks
      '\u0000\u001b',
    ]) {
      expect(isBlankText(s), JSON.stringify(s)).toBe(true);
    }
  });

  it('is false as soon as one visible character is there', () => {
    for (const s of ['가', '\u3000가\u3000', '\u200b.', ' a ', '１', '😀', '\u3164ㅤ가']) {
      expect(isBlankText(s), JSON.stringify(s)).toBe(false);
    }
  });
});
