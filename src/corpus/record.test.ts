import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LAWGO_FIXTURE, SAMPLE } from '../../test/helpers.js';
import { derivedId, parseDecisionDate, parseRecordLine } from './index.js';

describe('parseRecordLine — our schema', () => {
  it('accepts every record of the bundled sample unchanged', () => {
    for (const line of fs.readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean)) {
      const r = parseRecordLine(line, 'sample');
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.record.id).toBe(JSON.parse(line).id);
    }
  });

  it.each([
    ['{bad json', 'ALAW_ERR_IMPORT_JSON'],
    ['[1,2]', 'ALAW_ERR_IMPORT_NOT_OBJECT'],
    ['{"title":"x"}', 'ALAW_ERR_IMPORT_UNKNOWN_FORMAT'],
    ['{"case_number":"","court":"대법원","full_text":"x"}', 'ALAW_ERR_IMPORT_FIELD'],
    ['{"case_number":"94나3943","court":"대법원","full_text":"x","decision_date":"1995-02-30"}', 'ALAW_ERR_IMPORT_FIELD'],
    ['{"case_number":"94나3943","court":"대법원","full_text":"x","decision_date":"어제"}', 'ALAW_ERR_IMPORT_FIELD'],
    ['{"case_number":"94나3943","court":"대법원"}', 'ALAW_ERR_IMPORT_FIELD'],
    ['{"case_number":"94나3943","court":"대법원","full_text":"x","case_type":"우주"}', 'ALAW_ERR_IMPORT_FIELD'],
    ['{"case_number":"94나3943","court":"대법원","full_text":12}', 'ALAW_ERR_IMPORT_FIELD'],
    ['{"case_number":"94나3943","court":"대법원","full_text":"x","id":"has space"}', 'ALAW_ERR_IMPORT_FIELD'],
  ])('rejects %s with %s', (line, code) => {
    const r = parseRecordLine(line, 't');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problem.code).toBe(code);
      expect(r.problem.message.length).toBeGreaterThan(5);
    }
  });

  it('infers the case type from the case number and derives a stable id', () => {
    const line = '{"case_number":"2010도1234","court":"서울고법","full_text":"본문"}';
    const a = parseRecordLine(line, 't');
    const b = parseRecordLine(line, 't');
    expect(a.ok && a.record.case_type).toBe('형사');
    expect(a.ok && a.record.court).toBe('서울고등법원');
    expect(a.ok && a.record.id).toMatch(/^kr-[0-9a-f]{16}$/);
    expect(a.ok && b.ok && a.record.id === b.record.id).toBe(true);
  });

  it('rejects what is not a case number, and keeps merged or prefixed ones', () => {
    const line = (cn: string) => parseRecordLine(JSON.stringify({ case_number: cn, court: '대법원', case_type: '민사', full_text: '본문' }), 't');
    for (const cn of ['abc', '선고', '30.자', '판결', '2016']) {
      const r = line(cn);
      expect(r.ok, cn).toBe(false);
      if (!r.ok) expect(r.problem.message).toContain('case_number(사건번호): 사건번호 형식이 아닙니다');
    }
    for (const cn of ['2016다276177', '(제주)2014나1166', '2009다7886378870', '88다카1900219019(반소)', '4294민상15551556']) expect(line(cn).ok, cn).toBe(true);
    const wide = line('９４나３９４３');
    expect(wide.ok && wide.record.case_number).toBe('94나3943');
    // The derived id is that of the number as written (as before normalization), so a record
    // stored earlier is updated by a re-import, not duplicated.
    const before = parseRecordLine(JSON.stringify({ case_number: '９４나３９４３', court: '대법원', case_type: '민사', full_text: '본문' }), 't');
    expect(wide.ok && before.ok && wide.record.id).toBe(before.ok ? derivedId('대법원', '９４나３９４３', null) : '');
  });
});

describe('parseRecordLine — law.go.kr keys', () => {
  const lines = fs.readFileSync(LAWGO_FIXTURE, 'utf8').split('\n').filter(Boolean);

  it('maps Korean keys, strips HTML and normalizes dates and types', () => {
    const records = lines.map((l) => parseRecordLine(l, 'lawgo'));
    expect(records.every((r) => r.ok)).toBe(true);
    const [first, second, third] = records.map((r) => (r.ok ? r.record : undefined));
    expect(first).toMatchObject({
      id: 'lawgo-212345',
      case_number: '2016다276177',
      court: '대법원',
      decision_date: '2019-05-30',
      case_type: '민사',
      source: 'law.go.kr',
    });
    expect(first!.holdings).toContain('\n[2]');
    expect(first!.holdings).not.toContain('<br');
    expect(first!.full_text).toContain('<대법원 2008. 4. 24. 선고 2006다30440 판결 참조>');
    expect(first!.statutes).toBe('[1] 민법 제750조, 제766조 제1항 / [2] 민법 제390조, 제393조');
    expect(second!.decision_date).toBe('2011-03-10');
    expect(third!.case_type).toBe('행정'); // 세무 → 행정
    expect(third!.decision_date).toBe('2019-01-15');
  });
});

describe('parseDecisionDate', () => {
  it.each([
    ['2019-05-30', '2019-05-30'],
    ['20190530', '2019-05-30'],
    ['2019.05.30', '2019-05-30'],
    ['2019. 5. 30.', '2019-05-30'],
    [null, null],
    ['', null],
  ])('%s → %s', (input, out) => expect(parseDecisionDate(input)).toBe(out));

  it.each(['2019-13-01', '2019-02-29', '19-05-30', 'tomorrow', '1800-01-01'])('rejects %s', (input) => expect(parseDecisionDate(input)).toBeUndefined());
});
