import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyDisposition, dispositionText, findDisposition } from './index.js';

// 주문 as they appear in the bundled corpus (test/fixtures/precedents-sample.jsonl), crawler damage included.
describe('classifyDisposition', () => {
  it('reads appeals to the Supreme Court and appellate courts', () => {
    expect(classifyDisposition('상고를 기각한다.')).toEqual(['상고기각']);
    expect(classifyDisposition('상고를 모두 기각한다.')).toEqual(['상고기각']);
    expect(classifyDisposition('본건상고를 기각한다.')).toEqual(['상고기각']);
    // `기각한다.` lost by the crawler before the costs or the custody credit.
    expect(classifyDisposition('상고를 상고비용은 원고가 부담한다.')).toEqual(['상고기각']);
    expect(classifyDisposition('상고를 상고 후의 구금일수 중 95일을 본형에 산입한다.')).toEqual(['상고기각']);
    expect(classifyDisposition('원심판결을 파기하고 사건을 서울고등법원에 환송한다.')).toEqual(['파기환송']);
    expect(classifyDisposition('원판결을 파기한다. 사건을 광주고등법원에 환송한다.')).toEqual(['파기환송']);
    expect(classifyDisposition('원심판결을 파기하고 제1심판결을 사건을 서울고등법원에 이송한다.')).toEqual(['파기이송']);
    expect(classifyDisposition('원심판결을 파기한다.')).toEqual(['파기']);
    expect(classifyDisposition('원판결을 파훼함.')).toEqual(['파기']);
    expect(classifyDisposition('피고인의 항소를 기각한다.')).toEqual(['항소기각']);
    expect(classifyDisposition('피고인들의 항소를 모두 기각한다.')).toEqual(['항소기각']);
    expect(classifyDisposition('재항고를 기각한다.')).toEqual(['항고기각']);
    expect(classifyDisposition('제1심판결을 취소한다.')).toEqual(['원판결취소']);
    expect(classifyDisposition('양육비 청구에 관한 제1심판결을 아래와 같이 변경한다.')).toEqual(['원판결변경']);
  });

  it('reads civil and criminal outcomes', () => {
    expect(classifyDisposition('원고의 청구를 기각한다.')).toEqual(['청구기각']);
    expect(classifyDisposition('원고들의 청구를 모두 기각한다.')).toEqual(['청구기각']);
    expect(classifyDisposition('피고는 원고에게 10,000,000원을 지급하라. 원고의 나머지 청구를 기각한다.')).toEqual(['일부인용']);
    expect(classifyDisposition('피고는 원고에게 10,000,000원을 지급하라.')).toEqual(['청구인용']);
    expect(classifyDisposition('이 사건 소를 각하한다.')).toEqual(['소각하']);
    expect(classifyDisposition('특허심판원이 99당1031호 사건에 대하여 한 심결을 취소한다.')).toEqual(['청구인용']);
    expect(classifyDisposition('피고인은 무죄.')).toEqual(['무죄']);
    expect(classifyDisposition('피고인을 징역 1년에 처한다.')).toEqual(['유죄']);
    expect(classifyDisposition('본건 공소를 기각한다.')).toEqual(['공소기각']);
    expect(classifyDisposition('원심판결을 파기한다. 피고인은 무죄.')).toEqual(['파기', '무죄']);
  });

  it('says nothing rather than guess', () => {
    expect(classifyDisposition('주 쌍방')).toEqual([]);
    expect(classifyDisposition('이 사건을 수원지방법원 합의부로 이송한다.')).toEqual([]);
  });
});

describe('findDisposition', () => {
  it('takes the 주문 section of a full text', () => {
    const text = '【주문】\n상고를 기각한다.\n상고비용은 원고가 부담한다.\n\n【이유】\n원심이 …';
    expect(dispositionText(text)).toBe('상고를 기각한다. 상고비용은 원고가 부담한다.');
    expect(findDisposition(text)?.outcomes).toEqual(['상고기각']);
    expect(findDisposition('【이유】 주문이 없는 글')).toBeNull();
  });

  it('classifies nearly every decision of the 300-decision sample', () => {
    const rows = fs
      .readFileSync('test/fixtures/precedents-sample.jsonl', 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { full_text: string });
    const found = rows.map((r) => findDisposition(r.full_text));
    const withText = found.filter((f) => f !== null);
    const classified = withText.filter((f) => f.outcomes.length > 0);
    expect(withText.length).toBeGreaterThanOrEqual(295);
    // The rest are cut off by the crawler (`…가처분결정은 이를`) or have no outcome word (`주 쌍방`).
    expect(classified.length / withText.length).toBeGreaterThanOrEqual(0.97);
  });
});
