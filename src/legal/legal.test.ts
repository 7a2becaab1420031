import { describe, expect, it } from 'vitest';
import { caseCategoryOf, caseNumberKeys, courtLevelOf, findCaseNumbers, findCitations, normalizeCourtName, parseCaseNumber } from './index.js';

describe('parseCaseNumber', () => {
  it.each([
    ['2016다276177', '2016다276177', '민사'],
    ['94나3943', '94나3943', '민사'],
    ['2016 다 276177', '2016다276177', '민사'],
    ['(제주)2014나1166', '2014나1166', '민사'],
    ['4288형상212', '4288형상212', '형사'],
    ['89다카21569', '89다카21569', '민사'],
    ['2019두58896', '2019두58896', '행정'],
    ['2012르1641', '2012르1641', '가사'],
    ['99허8868', '99허8868', '특허'],
    ['91헌가6', '91헌가6', '헌법'],
  ])('%s', (input, normalized, category) => {
    const parsed = parseCaseNumber(input);
    expect(parsed?.[0]?.normalized).toBe(normalized);
    expect(parsed?.[0]?.category).toBe(category);
  });

  it('returns joined numbers', () => {
    expect(parseCaseNumber('2009다78863, 78870')?.map((n) => n.normalized)).toEqual(['2009다78863', '2009다78870']);
  });

  it("tells a list of case numbers from joined serials: the next number's year is not a serial", () => {
    const numbers = (t: string) => findCaseNumbers(t, { loose: true }).map((m) => m.numbers.map((n) => n.normalized));
    expect(numbers('92다41054, 93다42016')).toEqual([['92다41054'], ['93다42016']]);
    expect(numbers('92 다 41054,93 다 42016')).toEqual([['92다41054'], ['93다42016']]);
    expect(numbers('2000다1, 2, 3 사건')).toEqual([['2000다1', '2000다2', '2000다3']]);
    expect(numbers('2009다78863, 78870 다툼')).toEqual([['2009다78863', '2009다78870']]);
    expect(parseCaseNumber('92다41054, 93다42016')).toBeNull(); // two numbers, not one
    const c = findCitations('대법원 1994. 4. 12. 선고 92다41054, 93다42016 판결');
    expect(c.map((x) => x.numbers.map((n) => n.normalized))).toEqual([['92다41054', '93다42016']]);
  });

  it.each(['민법 제750조', '20년 이상', '94', '다276177', '2016다', 'abc'])('rejects %s', (input) => {
    expect(parseCaseNumber(input)).toBeNull();
  });
});

describe('findCaseNumbers', () => {
  it('finds case numbers in real decision text and nothing in look-alikes', () => {
    // from the corpus: "원심이 들고 있는 대법원 선고 2015다36167 판결은 부동산의 취득시효완성"
    const text = '원심이 들고 있는 대법원 선고 2015다36167 판결은 20년 이상 점유하고 50마리를 사육하며 1억2000만 원을';
    expect(findCaseNumbers(text).flatMap((m) => m.numbers.map((n) => n.normalized))).toEqual(['2015다36167']);
  });

  it('needs loose mode for spaced numbers', () => {
    expect(findCaseNumbers('2016 다 276177')).toHaveLength(0);
    expect(findCaseNumbers('2016 다 276177', { loose: true })[0]?.numbers[0]?.normalized).toBe('2016다276177');
  });
});

describe('caseNumberKeys (merged numbers of the corpus crawler)', () => {
  it.each([
    ['2009다7886378870', ['2009다78863', '2009다78870']],
    ['2009도60612009전도13', ['2009도6061', '2009전도13']],
    ['82나4564(본소)4565(반소)', ['82나4564', '82나4565']],
    ['88다카1900219019(반소)', ['88다카19002', '88다카19019']],
    ['85나886(본소)85나887(반소)', ['85나886', '85나887']],
    ['(제주)2014나1166', ['2014나1166']],
    ['94나3943', ['94나3943']],
  ])('%s', (raw, expected) => {
    const keys = caseNumberKeys(raw);
    for (const k of expected) expect(keys).toContain(k);
  });
});

describe('findCitations', () => {
  it('parses the citation forms of the guide', () => {
    const text = '대법원 2019. 5. 30. 선고 2016다276177 판결, 대법원 2010. 4. 22. 선고 2008다38288 전원합의체 판결, 대법원 2011. 1. 31. 자 2009마1677 결정';
    const c = findCitations(text);
    expect(c.map((x) => [x.court, x.date, x.numbers[0]!.normalized, x.kind, x.enBanc])).toEqual([
      ['대법원', '2019-05-30', '2016다276177', '판결', false],
      ['대법원', '2010-04-22', '2008다38288', '판결', true],
      ['대법원', '2011-01-31', '2009마1677', '결정', false],
    ]);
  });

  it('accepts the date-less citations of the corpus and 당원', () => {
    // real: "재항고인이 재항고이유에서 들고 있는 대법원 선고 2001마2652 결정은", "당원 1982.10.선고 80다2667 판결"
    const c = findCitations('대법원 선고 2001마2652 결정은 … 당원 1982.10.선고 80다2667 판결등');
    expect(c.map((x) => [x.court, x.date, x.numbers[0]!.normalized])).toEqual([
      ['대법원', null, '2001마2652'],
      [null, null, '80다2667'],
    ]);
  });

  it('rejects impossible dates', () => {
    expect(findCitations('대법원 2019. 2. 30. 선고 2016다276177 판결')[0]?.date).toBeNull();
  });

  it('normalizes abbreviated courts', () => {
    expect(findCitations('서울고법 1995. 1. 17. 선고 94나3943 판결')[0]?.court).toBe('서울고등법원');
  });
});

describe('courts', () => {
  it.each([
    ['대법원', '대법원'],
    ['서울고등법원', '고등법원'],
    ['서울민사지방법원', '지방법원'],
    ['수원지방법원 안산지원', '지방법원'],
    ['특허법원', '특허법원'],
    ['서울가정법원', '가정법원'],
    ['서울행정법원', '행정법원'],
    ['서울회생법원', '회생법원'],
  ])('%s is %s', (court, level) => expect(courtLevelOf(court)).toBe(level));

  it('expands abbreviations and separates branches', () => {
    expect(normalizeCourtName('서울고법')).toBe('서울고등법원');
    expect(normalizeCourtName('수원지법평택지원')).toBe('수원지방법원 평택지원');
  });

  it('knows case categories', () => {
    expect(caseCategoryOf('고합')).toBe('형사');
    expect(caseCategoryOf('구합')).toBe('행정');
    expect(caseCategoryOf('없음')).toBeUndefined();
  });
});
