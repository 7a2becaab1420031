import { describe, expect, it } from 'vitest';
import { makeSnippet } from './snippet.js';

const terms = (...t: string[]): Map<string, number> => new Map(t.map((x) => [x, 1]));

describe('makeSnippet', () => {
  it('marks matched words and bigram runs in the original text', () => {
    const s = makeSnippet(['피고는 원고에게 취득시효완성을 원인으로 한 소유권이전등기절차를 이행하라.'], terms('취득', '득시', '시효', '소유권이전등기'), 200);
    expect(s).toContain('<mark>취득시효</mark>완성을');
    expect(s).toContain('<mark>소유권이전등기</mark>절차를');
  });

  it('escapes HTML in decision text', () => {
    const s = makeSnippet(['<script>alert(1)</script> 사기죄 & "인용"'], terms('사기'), 200);
    expect(s).not.toContain('<script>');
    expect(s).toContain('&lt;script&gt;');
    expect(s).toContain('&amp;');
    expect(s).toContain('<mark>사기</mark>');
  });

  it('matches Latin terms case-insensitively and keeps the original case', () => {
    expect(makeSnippet(['DNA 감정 결과'], terms('dna'), 200)).toContain('<mark>DNA</mark>');
  });

  it('highlights one-syllable words and numbers only where they stand alone', () => {
    const s = makeSnippet(['완성 후에 1750원과 750원을 후보가'], terms('후', '750'), 200);
    expect(s).toContain('<mark>후</mark>에');
    expect(s).toContain('1750원');
    expect(s).toContain('<mark>750</mark>원을');
    expect(s).not.toContain('<mark>후</mark>보');
  });

  it('picks the window with the most distinct weighted terms, with an ellipsis when cut', () => {
    const filler = '가나다라 '.repeat(100);
    const s = makeSnippet([`${filler}명의신탁 부동산 횡령죄 성립 ${filler}`], terms('명의', '신탁', '부동', '동산', '횡령'), 80);
    expect(s.startsWith('…')).toBe(true);
    expect(s.endsWith('…')).toBe(true);
    expect(s).toContain('<mark>횡령</mark>');
  });

  it('prefers an earlier field (판시사항) on equal scores and falls back to the beginning without matches', () => {
    expect(makeSnippet(['판시 사기', '본문 사기'], terms('사기'), 100)).toContain('판시');
    expect(makeSnippet([null, '첫 문장입니다. 둘째 문장'], terms('없는'), 100)).toBe('첫 문장입니다. 둘째 문장');
  });
});
