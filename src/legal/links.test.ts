import { describe, expect, it } from 'vitest';
import { extractLinks, lawKey, parseArticle } from './index.js';

const base = { case_number: '68다997', court: '대법원', holdings: null, summary: null, statutes: null, cited_cases: null };

// Sentences from decisions of the bundled corpus.
describe('extractLinks', () => {
  it('takes full citations from the text, with 당원/본원 meaning the citing court', () => {
    const { citations } = extractLinks({
      ...base,
      full_text: '생존할 수 있다고판단한 것은 정당하며 소론 본원 1968.5.21 선고 68다364판결 사건은 부상자가 기동력을 완전 상실하고',
    });
    expect(citations).toEqual([
      expect.objectContaining({
        key: '68다364',
        court: '대법원',
        date: '1968-05-21',
        inReference: false,
        mentions: 1,
        citation: '본원 1968.5.21 선고 68다364판결',
      }),
    ]);
    expect(citations[0]!.context).toContain('소론 본원 1968.5.21 선고 68다364판결 사건은');
  });

  it('reads citations without a date, and counts each mention', () => {
    const text =
      '이 경우 대법원 선고 2013다48852 판결은 위 쟁점을 포함하여 피상 … 피상속인의 손자녀 또는 직계존속이 공동상속인이 된다는 취지의 대법원 선고 2013다48852 판결은 이 판결의 견해에 배치되';
    const { citations } = extractLinks({ ...base, case_number: '2020그42', full_text: text });
    expect(citations).toEqual([expect.objectContaining({ key: '2013다48852', court: '대법원', date: null, mentions: 2 })]);
  });

  it('takes 참조판례 with bare case numbers, and never the decision itself', () => {
    const { citations } = extractLinks({
      ...base,
      case_number: '2016다276177',
      cited_cases: '[1] 대법원 2008. 4. 24. 선고 2006다30440 판결, 2010다1234 / [2] 대법원 2019. 5. 30. 선고 2016다276177 판결',
      full_text: '이 사건(2016다276177)에 관하여 본다.',
    });
    expect(citations.map((c) => [c.key, c.inReference, c.court])).toEqual([
      ['2006다30440', true, '대법원'],
      ['2010다1234', true, null],
    ]);
  });

  it('collects statutes from 참조조문 and the text under one key per law, article and sub-article', () => {
    const { statutes } = extractLinks({
      ...base,
      statutes: '특정범죄가중처벌등에관한법률 제5조의3 제1항',
      summary: '특정범죄 가중처벌 등에 관한 법률 제5조의3 제1항의 도주란',
      full_text: '구 특정범죄 가중처벌 등에 관한 법률 제5조의3 제1항 제1호, 제5조 위반죄. 부칙 제2조',
    });
    expect(statutes.map((s) => [s.lawKey, s.article, s.articleSub, s.inReference, s.mentions, s.former])).toEqual([
      ['특정범죄가중처벌등에관한법률', 5, 3, true, 2, false],
      ['특정범죄가중처벌등에관한법률', 5, 0, false, 1, true],
    ]);
  });
});

describe('lawKey', () => {
  it('gives every spelling and common short name of a law one key', () => {
    const key = lawKey('특정범죄 가중처벌 등에 관한 법률');
    for (const name of ['특정범죄가중처벌등에관한법률', '특정범죄가중처벌등에 관한 법률', '특가법', '“특정범죄 가중처벌 등에 관한 법률'])
      expect(lawKey(name), name).toBe(key);
    expect(lawKey('특가법 시행령')).toBe(`${key}시행령`);
    expect(lawKey('아동ㆍ청소년의 성보호에 관한 법률')).toBe(lawKey('아청법'));
    expect(lawKey('민법')).not.toBe(lawKey('민사소송법'));
    expect(lawKey('민소법')).toBe(lawKey('민사소송법'));
  });
});

describe('parseArticle', () => {
  it('reads articles as people write them in a URL', () => {
    expect(parseArticle('750')).toEqual({ article: 750, sub: 0 });
    expect(parseArticle('제750조')).toEqual({ article: 750, sub: 0 });
    expect(parseArticle('제47조의2')).toEqual({ article: 47, sub: 2 });
    expect(parseArticle('47의2')).toEqual({ article: 47, sub: 2 });
    expect(parseArticle('5-3')).toEqual({ article: 5, sub: 3 });
    expect(parseArticle('０')).toBeNull();
    for (const bad of ['', '일곱', '750조항', '1-2-3', '123456']) expect(parseArticle(bad), bad).toBeNull();
  });
});
