/**
 * How a case ended, read from its 주문 (the operative part of the judgment):
 * 상고기각, 파기환송, 항소기각, 청구기각/일부인용/청구인용, 유죄/무죄, 공소기각 ….
 * Pure and table-driven; one 주문 may carry several outcomes (part quashed, the
 * rest of the appeal dismissed).
 */

export const OUTCOMES = [
  '상고기각',
  '상고각하',
  '파기환송',
  '파기이송',
  '파기',
  '항소기각',
  '항소각하',
  '항고기각',
  '원판결취소',
  '원판결변경',
  '청구인용',
  '일부인용',
  '청구기각',
  '소각하',
  '유죄',
  '무죄',
  '공소기각',
  '면소',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Rules in the order outcomes are listed; `unless` drops the outcome when another one was found. */
const RULES: { outcome: Outcome; pattern: RegExp; unless?: Outcome[] }[] = [
  // The crawler sometimes lost `기각한다.`: `상고를 상고비용은 원고가 부담한다.`, `상고를 상고 후의 구금일수 중 …`
  // are dismissals followed by the costs or the custody credit.
  { outcome: '상고기각', pattern: /상고(?:를|는)?\s*(?:모두\s*|각\s*|이를\s*)?(?:기각|상고)/u },
  { outcome: '상고각하', pattern: /상고(?:를|는)?\s*(?:모두\s*|각\s*)?각하/u },
  { outcome: '파기환송', pattern: /(?:파(?:기|훼)|취소)(?:하고|한다\.?\s*(?:이 )?(?:사건|본건)을)[^]*?환송/u },
  { outcome: '파기이송', pattern: /파(?:기|훼)(?:하고|한다\.?\s*(?:이 )?(?:사건|본건)을)[^]*?이송/u },
  // Quashed, and the 주문 goes on to decide the case itself (an appellate court) — or the text stops there.
  {
    outcome: '파기',
    pattern: /(?:원심|원|제1심)\s*(?:판결|결정|심판결)(?:들)?[^.]{0,40}?(?:을|를|은|는)?\s*(?:모두\s*)?파(?:기|훼)/u,
    unless: ['파기환송', '파기이송'],
  },
  { outcome: '항소기각', pattern: /항소(?:를|는)?\s*(?:모두\s*|각\s*|이를\s*)?기각/u },
  { outcome: '항소각하', pattern: /항소(?:를|는)?\s*(?:모두\s*|각\s*)?각하/u },
  { outcome: '항고기각', pattern: /항고(?:를|는)?\s*(?:모두\s*|각\s*)?기각/u },
  { outcome: '원판결취소', pattern: /(?:원심|원|제1심)\s*(?:판결|결정|명령|심판결)[^.]{0,60}?취소(?:한다|하고)/u, unless: ['파기환송'] },
  { outcome: '원판결변경', pattern: /(?:판결|심판|결정)[^.]{0,40}?(?:다음과|아래와) 같이 변경한다/u },
  { outcome: '일부인용', pattern: /나머지\s*(?:청구|소)/u },
  {
    outcome: '청구기각',
    pattern:
      /(?:원고|청구인|신청인|원고들|청구인들|신청인들)(?:의)?\s*(?:이 사건\s*)?(?:주된\s*|예비적\s*)?(?:청구|형사보상청구)(?:를|는|들을)?\s*(?:모두\s*)?기각/u,
    unless: ['일부인용'],
  },
  { outcome: '청구기각', pattern: /이 사건\s*(?:형사보상)?청구를\s*(?:모두\s*)?기각/u, unless: ['일부인용'] },
  { outcome: '소각하', pattern: /(?:소|청구|신청)(?:를|을|는)?\s*(?:모두\s*)?각하/u },
  // `심결을 취소한다` (특허법원): the claim against the Patent Tribunal's decision succeeds.
  {
    outcome: '청구인용',
    pattern: /(?:지급하라|지급한다|이행하라|인도하라|명도하라|철거하라|게재하라|확인한다|제명한다|이혼한다|인지한다|지정한다|불허한다|심결을 취소한다)/u,
    unless: ['일부인용'],
  },
  { outcome: '무죄', pattern: /무\s*죄/u },
  { outcome: '유죄', pattern: /(?:징역|금고|벌금|구류|과료|사형|무기)[^.]{0,40}?처한다|형의 선고를 유예/u },
  { outcome: '공소기각', pattern: /공소(?:를|는)?[^.]{0,8}?기각/u },
  { outcome: '면소', pattern: /면\s*소/u },
];

/** The 주문 of a decision's full text: between `【주문】` (or a `주문` heading) and `【이유】`. */
export function dispositionText(fullText: string): string | null {
  const m = /【\s*주\s*문\s*】([\s\S]*?)(?:【|$)/u.exec(fullText) ?? /(?:^|\n)\s*주\s*문\s*\n([\s\S]*?)(?:\n\s*이\s*유\s*\n|$)/u.exec(fullText);
  if (!m) return null;
  const text = m[1]!.replace(/\s+/gu, ' ').trim();
  return text || null;
}

/** The outcomes a 주문 states, in the order of {@link OUTCOMES}. */
export function classifyDisposition(disposition: string): Outcome[] {
  const text = disposition.replace(/\s+/gu, ' ');
  const matched = RULES.filter((rule) => rule.pattern.test(text));
  const present = new Set(matched.map((r) => r.outcome));
  const kept = new Set(matched.filter((r) => !r.unless?.some((o) => present.has(o))).map((r) => r.outcome));
  return OUTCOMES.filter((o) => kept.has(o));
}

/** The 주문 and its outcomes, from a decision's full text. */
export function findDisposition(fullText: string): { text: string; outcomes: Outcome[] } | null {
  const text = dispositionText(fullText);
  return text === null ? null : { text, outcomes: classifyDisposition(text) };
}
