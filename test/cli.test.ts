import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { LAWGO_FIXTURE, SAMPLE, sampleEnv, tempDir } from './helpers.js';
import { run } from './process.js';

const tmp = tempDir('alaw-cli-');
afterAll(() => tmp.cleanup());
const env = sampleEnv(tmp.dir);
const alaw = (args: string[], input?: string) => run('src/cli/main.ts', args, env, input);

describe('alaw CLI', () => {
  it('import: reports bad lines by number, imports the rest, exits 3, and is idempotent', async () => {
    const file = path.join(tmp.dir, 'mixed.jsonl');
    const lawgo = fs.readFileSync(LAWGO_FIXTURE, 'utf8').trim().split('\n');
    fs.writeFileSync(file, [lawgo[0], '{not json', lawgo[1], JSON.stringify({ 사건번호: '2020고합1', 법원명: '', 판례내용: 'x' })].join('\n'));
    const r = await alaw(['import', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${file}:2: JSON 구문 오류`);
    expect(r.stderr).toContain(`${file}:4: court: 필수 항목이 비어 있습니다.`);
    expect(r.stdout).toMatch(/새로 추가 2건/);
    expect(r.stdout).toMatch(/거부 2줄/);
    expect(r.stdout).toMatch(/검색 색인을 다시 만들었습니다/);

    const again = await alaw(['import', file, '--json']);
    expect(again.code).toBe(3);
    const report = JSON.parse(again.stdout);
    expect(report).toMatchObject({ inserted: 0, unchanged: 2, rejected: 2, index: null });
    expect(report.problems.map((p: { line: number }) => p.line)).toEqual([2, 4]);
  });

  it('import of a file that breaks off: exit 1, what was kept, and how to finish', async () => {
    const gz = zlib.gzipSync(fs.readFileSync(SAMPLE));
    const file = path.join(tmp.dir, 'cut.jsonl.gz');
    fs.writeFileSync(file, gz.subarray(0, Math.floor(gz.length / 2)));
    // A database of its own: the other tests expect the whole sample.
    const r = await run('src/cli/main.ts', ['import', file, '--no-index'], { ...env, ALAW_DB_PATH: path.join(tmp.dir, 'cut.db') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/가져오기 중단: .*번째 줄 뒤에서 파일을 더 읽을 수 없습니다 \(gzip 파일이 중간에 잘렸습니다\)/u);
    expect(r.stderr).toMatch(/변경 없음 \d+건/u);
    expect(r.stderr).toContain('온전한 파일로 다시 가져오세요');
    expect(r.stderr).not.toMatch(/\n\s+at /u);
  });

  it('import: the same decisions from another path or from stdin are unchanged (no rebuild)', async () => {
    const records = fs
      .readFileSync(SAMPLE, 'utf8')
      .trim()
      .split('\n')
      .slice(0, 3)
      .map((l) => {
        const { source: _drop, ...rest } = JSON.parse(l) as Record<string, unknown>;
        return JSON.stringify(rest);
      });
    const own = { ...env, ALAW_DB_PATH: path.join(tmp.dir, 'paths.db'), ALAW_INDEX_DIR: path.join(tmp.dir, 'paths-index') };
    const a = path.join(tmp.dir, 'a.jsonl');
    const b = path.join(tmp.dir, 'copy', 'b.jsonl');
    fs.mkdirSync(path.dirname(b), { recursive: true });
    fs.writeFileSync(a, records.join('\n'));
    fs.writeFileSync(b, records.join('\n'));
    const first = await run('src/cli/main.ts', ['import', a, '--json'], own);
    expect(JSON.parse(first.stdout)).toMatchObject({ inserted: 3 });
    const second = await run('src/cli/main.ts', ['import', b, '--json'], own);
    expect(JSON.parse(second.stdout)).toMatchObject({ inserted: 0, updated: 0, unchanged: 3, index: null });
    const stdin = await run('src/cli/main.ts', ['import', '-', '--json'], own, records.join('\n'));
    expect(JSON.parse(stdin.stdout)).toMatchObject({ updated: 0, unchanged: 3, index: null });
  });

  it('import reads standard input', async () => {
    const r = await alaw(['import', '-', '--no-index'], fs.readFileSync(LAWGO_FIXTURE, 'utf8'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/변경 없음 2건/);
  });

  it('search prints results, or JSON with --json', async () => {
    const text = await alaw(['search', '2016다276177']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('대법원 2019. 5. 30. 선고 2016다276177');
    expect(text.stdout).toContain('[사건번호 일치]');
    const json = await alaw(['search', '--json', '--size', '2', '사기']);
    const body = JSON.parse(json.stdout);
    expect(body.size).toBe(2);
    expect(body.hits[0].case_number).toBe('2010도12345');
    expect(body.hits[0].snippet).toContain('<mark>사기</mark>');
  });

  it('rejects bad arguments with exit code 2 and a Korean message', async () => {
    const page = await alaw(['search', '사기', '--page', '0']);
    expect(page.code).toBe(2);
    expect(page.stderr).toContain('--page는 1 이상의 정수여야 합니다');
    expect(page.stderr).not.toContain('error:');
    // The argument parser's own errors, in Korean too.
    const none = await alaw(['search']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('오류: 필요한 인자가 없습니다: query');
    const unknown = await alaw(['search', '사기', '--colour']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('오류: 알 수 없는 옵션입니다: --colour');
    const typo = await alaw(['serch', '사기']);
    expect(typo.stderr).toContain('오류: 알 수 없는 명령입니다: serch');
    expect(typo.stderr).toContain('(혹시 search?)');
    const date = await alaw(['search', '사기', '--from', '2020-13']);
    expect(date.code).toBe(2);
    expect(date.stderr).toContain('ALAW_ERR_SEARCH_DATE_INVALID');
    const missing = await alaw(['import', path.join(tmp.dir, 'none.jsonl')]);
    expect(missing.code).toBe(2);
    const cfg = await run('src/cli/main.ts', ['index'], { ...env, ALAW_SEARCH_K1: 'lots' });
    expect(cfg.code).toBe(2);
    expect(cfg.stderr).toContain('ALAW_SEARCH_K1');
  });

  it('index reports a current index, and rebuilds with --force', async () => {
    const r = await alaw(['index']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('최신입니다');
    const f = await alaw(['index', '--force', '--json']);
    expect(JSON.parse(f.stdout).rebuilt_because).toBe('강제 재생성 요청');
  });

  it('analyze: prints the Markdown report for a description from stdin, JSON with --json, and rejects bad input', async () => {
    const description = '피고인이 술에 취한 상태로 자동차를 운전하다가 신호를 위반하여 보행자를 치어 상해를 입혔습니다. 처벌이 궁금합니다.';
    const md = await alaw(['analyze', '-', '--case-type', '형사', '--limit', '5'], description);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('# 사건 분석');
    expect(md.stdout).toMatch(/## 유사 판례\n\n1\. /);
    const json = await alaw(['analyze', '-', '--json', '--limit', '3'], description);
    const r = JSON.parse(json.stdout) as { similar: unknown[]; extracted: { parties: Record<string, number> } };
    expect(r.similar.length).toBeGreaterThan(0);
    expect(r.similar.length).toBeLessThanOrEqual(3);
    expect(r.extracted.parties).toMatchObject({ 피고인: 1 });
    const short = await alaw(['analyze', '-'], '짧다');
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('ALAW_ERR_ANALYSIS_DESCRIPTION_LENGTH');
    const blank = await alaw(['analyze', '-'], '\u3000 \u200b\n'.repeat(20));
    expect(blank.code).toBe(2);
    expect(blank.stderr).toContain('ALAW_ERR_ANALYSIS_DESCRIPTION_BLANK');
    const missing = await alaw(['analyze', path.join(tmp.dir, 'nope.txt')]);
    expect(missing.code).toBe(2);
    const badType = await alaw(['analyze', '-', '--case-type', '우주'], description);
    expect(badType.code).toBe(2);
  });
});
