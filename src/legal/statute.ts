/**
 * Statute references in Korean legal text: `민법 제750조`, `형법 제347조 제1항`,
 * `구 국세기본법 제47조의2 제2항`, `집회 및 시위에 관한 법률 제14조`, `같은 법 시행령 제14조`,
 * and the articles that follow one law name (`민법 제750조, 제766조 제1항`, `형법 제129조 내지 제132조`).
 * Pure and table-driven; an article with no law name to attach to (`계약서 제3조`) is not a statute.
 */

export interface StatuteRef {
  /** The law's name as written, spaces normalized (`집회 및 시위에 관한 법률`, `도로교통법 시행령`). */
  law: string;
  article: number;
  /** `제1008조의2` → 2. */
  articleSub?: number;
  paragraph?: number;
  item?: number;
  /** `구 ○○법`: the law as it stood before an amendment. */
  former: boolean;
  /** `부칙 제3조`: an article of the addenda. */
  addendum: boolean;
  /** `민법 제750조`, `국세기본법 제47조의2`: what two mentions of the same article share. */
  key: string;
  /** Offsets of the article reference (`제750조 제1항`) in the text. */
  start: number;
  end: number;
}

/** Words ending in 법 that are not laws. */
const NOT_LAWS = new Set([
  '방법',
  '위법',
  '불법',
  '적법',
  '입법',
  '편법',
  '문법',
  '수법',
  '합법',
  '탈법',
  '용법',
  '어법',
  '사법',
  '법',
  '법률',
  '기법',
  '해법',
  '비법',
  '필법',
  '타법',
  '본법',
  '이법',
  '그법',
  '당해법',
  '해당법',
]);
/** Words of the surrounding sentence that a cleaned text (punctuation lost) puts right before a multi-word name: `…으로 봄 즉 특정범죄 …`. */
const NOT_NAME_WORDS = new Set([
  '즉',
  '봄',
  '위',
  '또한',
  '그리고',
  '그러나',
  '살피건대',
  '따라서',
  '다만',
  '한편',
  '결국',
  '이상',
  '이하',
  '같이',
  '각',
  '각각',
  '본건',
  '이건',
  '당해',
  '해당',
  '소정',
  '당시',
  '경우',
  '가장',
]);
/** Words inside real names that end like a clause (`자본시장과 금융투자업에 관한 법률`). */
const NAME_WORDS = new Set(['자본시장과', '출입국과']);
const LAW_SUFFIX = /(?:법률|법|령|규칙|규정|조례)$/u;
/** Endings of words that cannot be inside a multi-word law name (particles and verb endings of the surrounding sentence). */
const CLAUSE_END = /(?:은|는|이|가|을|를|으로|로|와|과|에게|에서|께서|도|만|며|고|면|서|다|여|였|하여|하고|라|니|므로|바|할|될|된|수|것|때)$/u;
/**
 * `제750조의2 제1항 제3호`; older decisions drop the 제 (`민사소송법 386조`, `같은 법 95조 92조`, `1항`).
 * A 조 followed by 원/억/천/만 is an amount (`1조 2천억 원`), not an article.
 */
const ARTICLE =
  /(?<![\d가-힣])(?:제\s*)?(\d+)\s*조(?!\s*(?:원|억|천|만|\d+\s*(?:천|억|만|원)))(?:\s*의\s*(\d+))?(?:\s*(?:제\s*)?(\d+)\s*항)?(?:\s*(?:제\s*)?(\d+)\s*호)?/gu;
/** What may stand between two articles of one law: `, ` `및` `내지` `또는` `와/과` `~` (after the first one's 항/호). */
const CONTINUATION = /^(?:[\s,·ㆍ~∼-]|및|내지|또는|와|과|부터|까지|각|본문|단서|전단|후단|(?:제\s*)?\d+\s*(?:항|호))*$/u;
/** `같은 법`, `동법 시행령`, `위 특례법`: a law named before. `위 특례법` is the last 특례법 named, not the last law. */
const REFERENCE = /(?:같은|동|위)\s?(법률|특례법|특별법|법)(\s?시행령|\s?시행규칙)?\s*$/u;
const PARENTHETICAL_TAIL = /\s*\([^()]*\)\s*$/u;

function normalizeSpaces(s: string): string {
  return s.replace(/\s+/gu, ' ').trim();
}

interface LawName {
  law: string;
  former: boolean;
  addendum: boolean;
}

/**
 * The law named right before an article reference, reading backwards: an
 * optional `부칙`, an optional parenthetical (`(2011. 5. 19. 법률 제10676호로 개정되기 전의 것)`),
 * then one word ending in 법/법률/령/규칙, possibly the tail of a multi-word name
 * (`… 및 …에 관한 법률`), possibly preceded by `구`.
 */
function lawBefore(before: string, seen: readonly string[]): LawName | 'none' {
  let text = before;
  let addendum = false;
  const add = /\s*부칙\s*$/u.exec(text);
  if (add) {
    addendum = true;
    text = text.slice(0, add.index);
  }
  while (PARENTHETICAL_TAIL.test(text)) text = text.replace(PARENTHETICAL_TAIL, '');
  const ref = REFERENCE.exec(text);
  if (ref) {
    const kind = ref[1]!;
    const named =
      kind === '특례법' || kind === '특별법' ? [...seen].reverse().find((l) => l.replace(/\s(?:시행령|시행규칙)$/u, '').endsWith(kind)) : seen[seen.length - 1];
    if (!named) return 'none';
    const suffix = ref[2] ? ref[2].trim() : '';
    const base = named.replace(/\s(?:시행령|시행규칙)$/u, '');
    return { law: suffix ? `${base} ${suffix}` : named, former: false, addendum };
  }
  // Quotation marks and opening brackets before a name (`‘도로교통법`, `있다(민법 제598조)`) are not part of it.
  const words = text
    .replace(/[‘’“”"'「」『』《》〈〉<>([（]/gu, ' ')
    .trimEnd()
    .split(/\s+/u);
  // `가사소송법은 제2조 제1항에서 …`: the law as the topic of the sentence.
  let last = (words.pop() ?? '').replace(/^(.+(?:법률|법|령|규칙))은$|^(.+(?:법률|법|령|규칙))는$/u, '$1$2');
  // `도로교통법 시행령`: the decree of the law before it.
  let decree = '';
  if (/^(?:시행령|시행규칙)$/u.test(last) && words.length > 0) {
    decree = ` ${last}`;
    last = words.pop() ?? '';
  }
  if (!LAW_SUFFIX.test(last)) return 'none';
  const name: string[] = [last];
  if (/^(?:특례법|특별법)$/u.test(last) && words[words.length - 1] !== '관한') {
    // `교통사고처리 특례법`: one noun before it.
    const w = words[words.length - 1];
    if (!w || CLAUSE_END.test(w) || !/^[가-힣·ㆍ]+$/u.test(w) || w === '구') return 'none';
    name.unshift(words.pop()!);
  } else if (/^(?:법률|법|특례법|특별법)$/u.test(last)) {
    // Only the tail of a multi-word name may be a bare 법률: `…에 관한 법률`.
    if (words[words.length - 1] !== '관한') return 'none';
    name.unshift(words.pop()!);
    const target = words.pop();
    if (!target || !/에$/u.test(target)) return 'none';
    name.unshift(target);
    while (words.length > 0 && name.length < 10) {
      const w = words[words.length - 1]!;
      if (!NAME_WORDS.has(w) && (w === '구' || NOT_NAME_WORDS.has(w) || (CLAUSE_END.test(w) && w !== '관한') || /한$/u.test(w) || /[\d.)\]]$/u.test(w))) break;
      // Verb forms of the sentence before the name: `…결정되어야`, `…함으로써`, `…것인데`, `…구하나`, `…적용법조에`.
      if (/(?:어|아|야|써|데|즉|나|쳐|에)$/u.test(w) || /(?:조항|규정|조문)인$/u.test(w)) break;
      if (!/^[가-힣·ㆍ]+$/u.test(w)) break;
      name.unshift(words.pop()!);
    }
    // A name does not start with a conjunction: what came before it was cut off.
    while (name.length > 3 && (name[0] === '및' || name[0] === '등')) name.shift();
  } else if (NOT_LAWS.has(last)) {
    return 'none';
  }
  const former = words[words.length - 1] === '구';
  return { law: normalizeSpaces(name.join(' ') + decree), former, addendum };
}

/** Every statute article referred to in `text`, in order. */
export function findStatutes(text: string): StatuteRef[] {
  const out: StatuteRef[] = [];
  let previous: StatuteRef | null = null;
  /** Laws named so far, most recent last (each once). */
  const seen: string[] = [];
  for (const m of text.matchAll(ARTICLE)) {
    const start = m.index;
    const end = start + m[0].length;
    const gap = previous ? text.slice(previous.end, start) : null;
    let law: LawName | 'none';
    if (previous && gap !== null && CONTINUATION.test(gap)) {
      // `민법 제750조, 제766조 제1항`: the same law goes on.
      law = { law: previous.law, former: previous.former, addendum: previous.addendum };
    } else {
      // Look back within the sentence only; parentheticals (`(… 개정되기 전의 것)`, with their dates) first go.
      let before = text.slice(Math.max(0, start - 200), start);
      for (let prev = ''; prev !== before;) {
        prev = before;
        before = before.replace(/\([^()]*\)/gu, ' ');
      }
      before = before.split(/[.。\n\][]|\s(?=[①-⑳])/u).pop() ?? '';
      law = lawBefore(before, seen);
    }
    if (law === 'none') {
      previous = null;
      continue;
    }
    const article = Number(m[1]);
    const articleSub = m[2] ? Number(m[2]) : undefined;
    const ref: StatuteRef = {
      law: law.law,
      article,
      ...(articleSub !== undefined ? { articleSub } : {}),
      ...(m[3] ? { paragraph: Number(m[3]) } : {}),
      ...(m[4] ? { item: Number(m[4]) } : {}),
      former: law.former,
      addendum: law.addendum,
      key: `${law.law} ${law.addendum ? '부칙 ' : ''}제${article}조${articleSub !== undefined ? `의${articleSub}` : ''}`,
      start,
      end,
    };
    out.push(ref);
    previous = ref;
    if (seen[seen.length - 1] !== law.law) {
      const at = seen.indexOf(law.law);
      if (at >= 0) seen.splice(at, 1);
      seen.push(law.law);
    }
  }
  return out;
}
