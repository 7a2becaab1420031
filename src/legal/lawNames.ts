/**
 * Law names as decisions and lawyers write them. One law is spelled many
 * ways in the corpus (`특정범죄 가중처벌 등에 관한 법률`, `특정범죄가중처벌등에관한법률`,
 * `특정범죄가중처벌등에 관한 법률`) and called by short names (`특가법`). A law
 * key is the name without spaces, with one middle dot, and with common short
 * names replaced by the full name, so every spelling finds the same decisions.
 */

/** Short names in common use → full names. Only unambiguous, widely used ones. */
const SHORT_NAMES: Record<string, string> = {
  특가법: '특정범죄 가중처벌 등에 관한 법률',
  특경법: '특정경제범죄 가중처벌 등에 관한 법률',
  특경가법: '특정경제범죄 가중처벌 등에 관한 법률',
  폭처법: '폭력행위 등 처벌에 관한 법률',
  폭력행위처벌법: '폭력행위 등 처벌에 관한 법률',
  성폭력처벌법: '성폭력범죄의 처벌 등에 관한 특례법',
  성폭법: '성폭력범죄의 처벌 등에 관한 특례법',
  청소년성보호법: '아동·청소년의 성보호에 관한 법률',
  아청법: '아동·청소년의 성보호에 관한 법률',
  교특법: '교통사고처리 특례법',
  교통사고처리법: '교통사고처리 특례법',
  정보통신망법: '정보통신망 이용촉진 및 정보보호 등에 관한 법률',
  집시법: '집회 및 시위에 관한 법률',
  국보법: '국가보안법',
  가등기담보법: '가등기담보 등에 관한 법률',
  부동산실명법: '부동산 실권리자명의 등기에 관한 법률',
  주임법: '주택임대차보호법',
  상임법: '상가건물 임대차보호법',
  상가임대차법: '상가건물 임대차보호법',
  민소법: '민사소송법',
  형소법: '형사소송법',
  행소법: '행정소송법',
  민집법: '민사집행법',
  국배법: '국가배상법',
  근기법: '근로기준법',
  산재법: '산업재해보상보험법',
  산재보험법: '산업재해보상보험법',
  도교법: '도로교통법',
  마약류관리법: '마약류 관리에 관한 법률',
  채무자회생법: '채무자 회생 및 파산에 관한 법률',
  도산법: '채무자 회생 및 파산에 관한 법률',
  공익사업법: '공익사업을 위한 토지 등의 취득 및 보상에 관한 법률',
  토지보상법: '공익사업을 위한 토지 등의 취득 및 보상에 관한 법률',
  개인정보법: '개인정보 보호법',
  자본시장법: '자본시장과 금융투자업에 관한 법률',
  공정거래법: '독점규제 및 공정거래에 관한 법률',
  하도급법: '하도급거래 공정화에 관한 법률',
  전자금융법: '전자금융거래법',
  가정폭력처벌법: '가정폭력범죄의 처벌 등에 관한 특례법',
  아동학대처벌법: '아동학대범죄의 처벌 등에 관한 특례법',
  성매매처벌법: '성매매알선 등 행위의 처벌에 관한 법률',
};

const compact = (s: string): string =>
  s
    .normalize('NFKC') // (turns the Hangul middle dot ㆍ into ᆞ)
    .replace(/[ㆍᆞ・･]/gu, '·')
    .replace(/[\s'"‘’“”「」『』]/gu, '');

const SHORT_KEYS = new Map(Object.entries(SHORT_NAMES).map(([short, full]) => [compact(short), compact(full)]));

/** The key every spelling of a law shares (`특가법 시행령` → `특정범죄가중처벌등에관한법률시행령`). */
export function lawKey(name: string): string {
  const c = compact(name);
  const decree = /(시행령|시행규칙)$/u.exec(c);
  const base = decree ? c.slice(0, -decree[0].length) : c;
  return (SHORT_KEYS.get(base) ?? base) + (decree?.[0] ?? '');
}

/** The full name of a short name (`특가법` → `특정범죄 가중처벌 등에 관한 법률`), or the name itself. */
export function fullLawName(name: string): string {
  return SHORT_NAMES[compact(name)] ?? name;
}
