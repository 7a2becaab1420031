import { describe, expect, it } from 'vitest';
import { analyzeQuery, indexTokens, normalizeText, stripParticle, TokenRole } from './index.js';

const tokens = (s: string): string[] => indexTokens(normalizeText(s));

describe('stripParticle', () => {
  it.each([
    ['계약을', '계약'],
    ['피고에게', '피고'],
    ['원고의', '원고'],
    ['소유권이전등기절차를', '소유권이전등기절차'],
    ['취득시효완성으로', '취득시효완성'],
    ['판단하였다', '판단'],
    ['해당하는지', '해당'],
  ])('%s → %s', (word, stem) => expect(stripParticle(word)).toBe(stem));

  it('keeps two-syllable words whose last syllable only looks like a particle', () => {
    for (const w of ['사이', '나이', '거리', '피고', '원고', '사기']) expect(stripParticle(w)).toBe(w);
  });
});

describe('indexTokens on real decision text', () => {
  // 94나3943 (전주지방법원 1995. 1. 17.), 【이유】
  const sentence = '피고는 원고에게 위 취득시효완성을 원인으로 하여 소유권이전등기절차를 이행할 의무가 있다고 주장한다.';

  it('emits syllable bigrams of every Hangul word, particles included on the document side', () => {
    const t = tokens(sentence);
    for (const bg of ['취득', '득시', '시효', '효완', '완성', '소유', '유권', '권이', '이전', '전등', '등기', '성을']) expect(t).toContain(bg);
  });

  it('emits particle-stripped word forms of three or more syllables', () => {
    const t = tokens(sentence);
    expect(t).toContain('취득시효완성');
    expect(t).toContain('소유권이전등기절차');
    expect(t).not.toContain('취득시효완성을');
  });

  it('adds a bigram across a plain space so unspaced queries match spaced text', () => {
    // "소유권 이전" in a document must match a query "소유권이전" (bigram 권이).
    expect(tokens('소유권 이전 등기')).toEqual(expect.arrayContaining(['권이', '전등']));
    // …but not across punctuation or line breaks.
    expect(tokens('소유권. 이전')).not.toContain('권이');
    expect(tokens('소유권\n이전')).not.toContain('권이');
  });

  it('keeps case numbers, statute articles and numbers whole', () => {
    // from 2015다36167 citations in the corpus: "대법원 선고 2015다36167 판결"
    const t = tokens('대법원 선고 2015다36167 판결은 민법 제750조 제1항에 따라');
    expect(t).toContain('2015다36167');
    expect(t).toContain('제750조');
    expect(t).toContain('제1항');
    expect(t).toContain('750');
  });

  it('normalizes full-width and circled characters (NFKC) and Latin case', () => {
    expect(tokens('ＤＮＡ 감정')).toContain('dna');
    expect(tokens('①항')).toContain('1항');
  });

  it('indexes one-syllable words as unigrams except function words', () => {
    const t = tokens('형 및 벌금 등');
    expect(t).toContain('형');
    expect(t).not.toContain('및');
    expect(t).not.toContain('등');
  });

  it('indexes Hanja runs as bigrams', () => {
    expect(tokens('歸屬財産')).toEqual(expect.arrayContaining(['歸屬', '屬財', '財産']));
  });
});

describe('analyzeQuery', () => {
  it('requires the stem bigrams of every word and leaves word forms and unigrams optional', () => {
    const q = analyzeQuery(normalizeText('취득시효 완성 후 소유권이전등기'));
    const required = q.tokens.filter((t) => t.role === TokenRole.Required).map((t) => t.term);
    const optional = q.tokens.filter((t) => t.role === TokenRole.Optional).map((t) => t.term);
    expect(required).toEqual(['취득', '득시', '시효', '완성', '소유', '유권', '권이', '이전', '전등', '등기']);
    expect(optional).toEqual(['취득시효', '후', '소유권이전등기']);
    expect(q.words.map((w) => w.stem)).toEqual(['취득시효', '완성', '후', '소유권이전등기']);
  });

  it('does not require a particle bigram', () => {
    const q = analyzeQuery(normalizeText('계약을 해제하였다'));
    const terms = q.tokens.map((t) => t.term);
    expect(terms).toContain('계약');
    expect(terms).toContain('해제');
    expect(terms).not.toContain('약을');
    expect(terms).not.toContain('하였');
  });

  it('every query token of a word appears among the index tokens of the same word with any particle', () => {
    for (const [query, doc] of [
      ['명의신탁', '명의신탁자는'],
      ['손해배상책임', '손해배상책임을'],
      ['소유권이전등기', '소유권 이전 등기를'],
    ]) {
      const docTokens = new Set(tokens(doc!));
      const required = analyzeQuery(normalizeText(query!)).tokens.filter((t) => t.role === TokenRole.Required);
      for (const t of required) expect(docTokens.has(t.term), `${query} → ${t.term} in ${doc}`).toBe(true);
    }
  });
});
