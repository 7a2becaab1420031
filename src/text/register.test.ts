import { describe, expect, it } from 'vitest';
import { readSample } from '../../test/helpers.js';
import { loadConfig } from '../config/index.js';
import { searchParamsOf } from '../app/index.js';
import { buildIndex, planQuery } from '../search/index.js';
import { toIndexable } from '../search/testing.js';
import { toPlainStyle } from './register.js';

describe('toPlainStyle', () => {
  it.each([
    ['점유하여 왔습니다.', '점유하여 왔다.'],
    ['이것이 쟁점입니다.', '이것이 쟁점이다.'],
    ['철거를 요구하고 있습니다. 그러나', '철거를 요구하고 있다. 그러나'],
    ['주장하려 합니다', '주장하려 하다'],
    ['인정됩니까?', '인정되다?'],
    ['타주점유가 아닙니다, 그리고', '타주점유가 아니다, 그리고'],
    ['계약을 해지했어요.', '계약을 해지했어.'],
  ])('%s → %s', (polite, plain) => {
    expect(toPlainStyle(polite)).toBe(plain);
  });

  it('leaves plain text, words inside a sentence and non-polite 니다 alone', () => {
    for (const text of ['원고의 청구를 기각한다.', '있습니다만 다투지 않는다', '어머니다운 태도', '피고는 2억 원을 지급하라.']) {
      expect(toPlainStyle(text)).toBe(text);
    }
  });

  it("keeps polite endings out of a similar-case query's selected terms", () => {
    const index = buildIndex(readSample().map(toIndexable), searchParamsOf(loadConfig({ env: {} })).bm25, 'test');
    const { settings } = searchParamsOf(loadConfig({ env: {} }));
    const description =
      '의뢰인은 1985년부터 이웃 토지와의 경계에 설치된 담장 안쪽 부분을 자기 소유의 토지로 알고 점유하여 왔습니다. 최근 이웃 토지 소유자가 측량을 해 보니 ' +
      '담장 안쪽이 이웃 토지에 속한다며 담장 철거와 토지 인도를 요구하고 있습니다. 의뢰인은 20년 이상 소유의 의사로 평온, 공연하게 점유하였으므로 ' +
      '점유취득시효가 완성되었다고 주장하려 합니다. 상대방은 의뢰인의 점유가 타주점유라고 다투고 있습니다. 취득시효 완성이 쟁점입니다.';
    const fragments = /습니|입니|합니|있습|왔습/u;
    const asWritten = planQuery(index, description, 'similar', settings, { plainStyle: false }).terms.map((t) => t.term);
    const rewritten = planQuery(index, description, 'similar', settings).terms.map((t) => t.term);
    expect(asWritten.some((t) => fragments.test(t))).toBe(true);
    expect(rewritten.filter((t) => fragments.test(t))).toEqual([]);
  });
});
