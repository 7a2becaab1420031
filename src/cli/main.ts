#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { runAlertTest } from './commands/alert.js';
import { runAnalyze } from './commands/analyze.js';
import { runWatchdog, type WatchdogOptions } from './commands/watchdog.js';
import { runBackup, runBackupList, runBackupVerify, runRestore } from './commands/backup.js';
import { runCapacity, type CapacityOptions } from './commands/capacity.js';
import { runImport } from './commands/import.js';
import { runKeysCreate, runKeysList, runKeysRevoke } from './commands/keys.js';
import { runLogsReport } from './commands/logs.js';
import { runQueueClear, runQueueStatus } from './commands/queue.js';
import { runIndex } from './commands/indexCmd.js';
import { runSearch } from './commands/search.js';
import { runServe } from './commands/serve.js';
import { E, isAlawError, type AlawError } from '../errors/index.js';
import { globalOverrides } from './context.js';
import { restrictNewFiles } from '../config/index.js';

/**
 * `alaw`: the command-line face of the same services the HTTP API uses.
 * Exit codes: 0 success, 1 failure, 2 invalid arguments or settings,
 * 3 import finished but some lines were rejected.
 */
const program = new Command('alaw')
  .description('ALaw AI-Backend 명령줄 도구: 판례 가져오기, 색인, 검색, 사건 분석, 작업 큐')
  .option('--config <file>', '설정 파일(JSON)')
  .option('--db <path>', '애플리케이션 데이터베이스 경로 (기본 data/alaw.db)')
  .option('--index-dir <dir>', '검색 색인 디렉터리 (기본 data/index)')
  .option('-v, --verbose', '진행 로그를 자세히 표시')
  .showHelpAfterError('(도움말: alaw --help)')
  .configureOutput({ outputError: (text, write) => write(errorLine(usageError(text))) })
  .exitOverride();

type UsageProblem = Parameters<typeof E.CLI_USAGE.message>[0];

/** Commander's usage errors (the parser only speaks English) as the catalog's CLI_USAGE, in Korean. */
function usageError(text: string): AlawError {
  // Commander's own suggestions and choices, translated wherever they appear.
  const t = text
    .trim()
    .replace(/\(Did you mean (?:one of )?([^?]+)\?\)/u, '(혹시 $1?)')
    .replace(/Allowed choices are ([^.\n]+)\./u, '허용되는 값: $1.');
  const hint = (rest: string): string => (rest.trim() ? ` ${rest.trim()}` : '');
  const rules: [RegExp, (m: string[]) => UsageProblem][] = [
    [/^error: missing required argument '([^']+)'/u, (m) => ({ problem: 'missing_argument', argument: m[1]! })],
    [
      /^error: option '(?:-[^-], )?([^' ]+)[^']*' argument '(.*)' is invalid\.\s*([\s\S]*)$/u,
      (m) => ({ problem: 'invalid_value', name: m[1]!, value: m[2]!, why: m[3]!.trim() }),
    ],
    [
      /^error: command-argument value '(.*)' is invalid for argument '([^']+)'\.\s*([\s\S]*)$/u,
      (m) => ({ problem: 'invalid_value', name: m[2]!, value: m[1]!, why: m[3]!.trim() }),
    ],
    [/^error: option '(?:-[^-], )?([^' ]+)[^']*' argument missing/u, (m) => ({ problem: 'missing_value', option: m[1]! })],
    [/^error: unknown command '([^']+)'([\s\S]*)$/u, (m) => ({ problem: 'unknown_command', command: m[1]!, hint: hint(m[2]!) })],
    [/^error: unknown option '([^']+)'([\s\S]*)$/u, (m) => ({ problem: 'unknown_option', option: m[1]!, hint: hint(m[2]!) })],
    [/^error: too many arguments(?: for '([^']+)')?/u, (m) => ({ problem: 'too_many_arguments', command: m[1] ?? '' })],
    [/^error: required option '([^']+)' not specified/u, (m) => ({ problem: 'missing_option', option: m[1]! })],
    [
      /^error: option '(?:-[^-], )?([^' ]+)[^']*' cannot be used with option '(?:-[^-], )?([^' ]+)[^']*'/u,
      (m) => ({ problem: 'conflicting_options', option: m[1]!, other: m[2]! }),
    ],
  ];
  for (const [re, problem] of rules) {
    const m = re.exec(t);
    if (m) return E.CLI_USAGE.error(problem([...m]));
  }
  return E.CLI_USAGE.error({ problem: 'other', text: t.replace(/^error: /u, '') });
}

/** How `alaw` reports an error: one line on stderr with the catalog code. */
const errorLine = (err: AlawError): string => `오류: ${err.message} [${err.code}]\n`;

const positiveInt =
  (name: string) =>
  (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(E.CLI_NUMBER_INVALID.message({ option: name, rule: 'positive_integer' }));
    return Number(v);
  };

program
  .command('import')
  .description('판례 파일(JSONL, .gz 가능; 본 서비스 형식 또는 법제처 형식)을 가져옵니다. 같은 파일을 다시 가져와도 중복되지 않습니다.')
  .argument('<file>', 'JSONL 파일 경로, 표준 입력은 -')
  .option('--no-index', '가져온 뒤 검색 색인을 다시 만들지 않음')
  .option('--json', '결과를 JSON으로 출력')
  .option('--batch-size <n>', '트랜잭션당 건수', positiveInt('--batch-size'), 500)
  .action(async (file: string, opts: { index: boolean; json?: boolean; batchSize: number }) => {
    process.exitCode = await runImport(file, { ...opts, ...globalOverrides(program) });
  });

program
  .command('index')
  .description('검색 색인(data/index/search.idx)을 확인하고, 없거나 낡았거나 손상되었으면 다시 만듭니다.')
  .option('--force', '최신이어도 다시 만듦')
  .option('--json', '결과를 JSON으로 출력')
  .action(async (opts: { force?: boolean; json?: boolean }) => {
    process.exitCode = await runIndex({ ...opts, ...globalOverrides(program) });
  });

program
  .command('search')
  .description('판례를 검색해 터미널에 보여 줍니다 (--json 이면 API와 같은 JSON).')
  .argument('<query...>', '검색어, 사건번호, 또는 사건 설명 (- 이면 표준 입력)')
  .option('--json', 'JSON으로 출력')
  .option('--page <n>', '페이지', positiveInt('--page'))
  .option('--size <n>', '페이지당 건수', positiveInt('--size'))
  .addOption(new Option('--sort <order>', '정렬').choices(['relevance', 'date', 'date_asc']))
  .addOption(new Option('--mode <mode>', '검색 방식').choices(['auto', 'all', 'similar']))
  .option('--court <name>', '법원명 (일부 가능, 쉼표로 여러 개)')
  .option('--court-level <level>', '법원 종류 (대법원, 고등법원, 지방법원 …)')
  .option('--case-type <type>', '사건 종류 (민사, 형사, 행정, 가사, 특허, 기타)')
  .option('--from <date>', '선고일 시작 (YYYY, YYYY-MM, YYYY-MM-DD)')
  .option('--to <date>', '선고일 끝')
  .option('--explain <id>', '이 판례의 점수를 낱말·필드별로 설명')
  .option('--no-snippets', '발췌 없이')
  .action(async (words: string[], opts: Record<string, unknown>) => {
    process.exitCode = await runSearch(words, opts, globalOverrides(program));
  });

program
  .command('analyze')
  .description('사건 설명(파일 또는 표준 입력)을 분석해 유사 판례 기반 보고서(Markdown)를 출력합니다 (POST /api/analysis 와 같은 분석).')
  .argument('<file>', '사건 설명 파일, 표준 입력은 -')
  .option('--json', '보고서 대신 분석 결과 JSON')
  .option('--case-type <type>', '유사 판례를 이 사건 종류로 한정 (민사, 형사, 행정, 가사, 특허)')
  .option('--limit <n>', '읽을 유사 판례 수 (기본 10, 최대 30)', positiveInt('--limit'))
  .option('--no-narrative', '언어 모델이 설정되어 있어도 종합 의견을 쓰지 않음')
  .action(async (file: string, opts: { json?: boolean; caseType?: string; limit?: number; narrative?: boolean }) => {
    process.exitCode = await runAnalyze(file, opts, globalOverrides(program));
  });

const queue = program.command('queue').description('작업 큐(data/queue.db 또는 DATABASE_URL)를 직접 봅니다. 서버가 꺼져 있어도 됩니다.');
queue
  .command('status')
  .description('종류·상태별 작업 수, 가장 오래 기다린 작업, 살아 있는 인스턴스, 처리 중인 작업')
  .option('--json', 'JSON으로 출력')
  .option('--limit <n>', '보여 줄 처리 중 작업 수', positiveInt('--limit'), 20)
  .option('--queue-db <path>', '큐 SQLite 파일 (기본 data/queue.db)')
  .action(async (opts: { json?: boolean; limit: number; queueDb?: string }) => {
    process.exitCode = await runQueueStatus({ ...opts, ...globalOverrides(program) });
  });
queue
  .command('clear')
  .description(
    '대기(pending) 중인 작업을 취소합니다 (POST /api/queue/clear 와 같음). 실행 중인 작업은 건드리지 않습니다. 비울 종류(--type)나 --all 중 하나가 꼭 필요합니다.',
  )
  .option('--type <type>', '이 종류만: search, analysis(case_analysis), all(전부, --all과 같음)')
  .addOption(new Option('--all', '대기 중인 작업 전부 (검색과 사건 분석)').conflicts('type'))
  .option('--yes', '확인 없이 실행')
  .option('--json', 'JSON으로 출력')
  .option('--queue-db <path>', '큐 SQLite 파일 (기본 data/queue.db)')
  .action(async (opts: { type?: string; all?: boolean; yes?: boolean; json?: boolean; queueDb?: string }) => {
    process.exitCode = await runQueueClear({ ...opts, ...globalOverrides(program) });
  });

const keys = program.command('keys').description('API 키를 만들고, 보고, 폐기합니다 (작업 큐 데이터베이스에 해시로 저장, 모든 인스턴스가 공유).');
keys
  .command('create')
  .description('새 API 키를 만들어 한 번만 보여 줍니다.')
  .option('--name <name>', '키 이름 (누구의, 어디에 쓰는 키인지)')
  .option('--role <role>', 'user(기본) 또는 admin (대기열 비우기 등 관리 작업, 모든 분석 열람)')
  .option('--json', 'JSON으로 출력')
  .option('--queue-db <path>', '큐 SQLite 파일 (기본 data/queue.db)')
  .action(async (opts: { name?: string; role?: string; json?: boolean; queueDb?: string }) => {
    process.exitCode = await runKeysCreate({ ...opts, ...globalOverrides(program) });
  });
keys
  .command('list')
  .description('API 키 목록 (키 자체는 보여 주지 않습니다)')
  .option('--all', '폐기된 키도')
  .option('--json', 'JSON으로 출력')
  .option('--queue-db <path>', '큐 SQLite 파일 (기본 data/queue.db)')
  .action(async (opts: { all?: boolean; json?: boolean; queueDb?: string }) => {
    process.exitCode = await runKeysList({ ...opts, ...globalOverrides(program) });
  });
keys
  .command('revoke')
  .description('API 키를 폐기합니다.')
  .argument('<id>', '키 id (alaw keys list)')
  .option('--json', 'JSON으로 출력')
  .option('--queue-db <path>', '큐 SQLite 파일 (기본 data/queue.db)')
  .action(async (id: string, opts: { json?: boolean; queueDb?: string }) => {
    process.exitCode = await runKeysRevoke(id, { ...opts, ...globalOverrides(program) });
  });

const logs = program.command('logs').description('로그 파일(logs/)을 분석합니다.');
logs
  .command('report')
  .description(
    '지난 N시간의 오류 유형 상위 10개(번호·id·시각을 정규화), 오류 수, 시간대별 요청 수, 경로별 응답 시간 백분위, 가장 느린 경로 (회전·압축된 archive/ 포함)',
  )
  .option('--hours <n>', '기간(시간)', '24')
  .option('--dir <dir>', '로그 디렉터리 (기본 logs, ALAW_LOG_DIR)')
  .option('--json', 'JSON으로 출력')
  .action(async (opts: { hours: string; dir?: string; json?: boolean }) => {
    process.exitCode = await runLogsReport({ ...opts, ...globalOverrides(program) });
  });

program
  .command('watchdog')
  .description(
    '헬스체크가 실패하면 재시작 명령, 그래도 안 되면 재배포 명령을 실행하고, 그래도 안 되면 알림을 보냅니다 (가이드의 auto_recovery.sh). 단계마다 복구 로그에 남깁니다.',
  )
  .option('--once', '한 번만 확인하고 끝냄 (cron용: 정상·복구 0, 수동 개입 필요 1)')
  .option('--url <url>', '감시할 서비스 (기본 http://127.0.0.1:8997)')
  .option('--interval <s>', '확인 간격, 초 (기본 300)')
  .option('--restart-cmd <cmd>', '1차: 재시작 명령 (예: "systemctl restart alaw-ai-backend")')
  .option('--restart-wait <s>', '재시작 후 정상이 되기를 기다릴 최대 시간, 초 (기본 30)')
  .option('--redeploy-cmd <cmd>', '2차: 재배포 명령 (예: "cd /srv/alaw && docker compose up -d --build")')
  .option('--redeploy-wait <s>', '재배포 후 기다릴 최대 시간, 초 (기본 60)')
  .option('--log-file <file>', '복구 로그 (기본 logs/recovery.log)')
  .action(async (opts: Omit<WatchdogOptions, keyof import('./context.js').GlobalOptions>) => {
    process.exitCode = await runWatchdog({ ...opts, ...globalOverrides(program) });
  });

const alert = program.command('alert').description('알림 (Mattermost/Slack 웹훅, 이메일)');
alert
  .command('test')
  .description('설정된 모든 알림 채널로 시험 알림을 보냅니다.')
  .option('--json', 'JSON으로 출력')
  .action(async (opts: { json?: boolean }) => {
    process.exitCode = await runAlertTest({ ...opts, ...globalOverrides(program) });
  });

const backup = program
  .command('backup')
  .description('데이터베이스(SQLite 온라인 백업, PostgreSQL pg_dump)를 backups/에 백업하고 체크섬과 행 수를 manifest에 남깁니다. 30일 지난 백업은 지웁니다.')
  .option('--dir <dir>', '백업 디렉터리 (기본 backups, ALAW_BACKUP_DIR)')
  .option('--with-index', '검색 색인도 (다시 만들 수 있지만 서버 이전을 빠르게)')
  .option('--with-config', '설정 파일(--config, ALAW_CONFIG_FILE)도')
  .option('--keep-days <n>', '이보다 오래된 백업을 지움 (0: 지우지 않음, 기본 30)')
  .option('--json', 'JSON으로 출력')
  .action(async (opts: { dir?: string; withIndex?: boolean; withConfig?: boolean; keepDays?: string; json?: boolean }) => {
    process.exitCode = await runBackup({ ...opts, ...globalOverrides(program) });
  });
backup
  .command('verify')
  .description('백업의 체크섬을 확인하고, 임시 데이터베이스에 복원해 행 수를 비교합니다.')
  .argument('<backup>', 'manifest 파일 경로 또는 시각 이름 (예: 20261129_021500)')
  .option('--dir <dir>', '백업 디렉터리 (기본 backups, ALAW_BACKUP_DIR)')
  .option('--json', 'JSON으로 출력')
  .action(async (ref: string, opts: { dir?: string; json?: boolean }, cmd: Command) => {
    process.exitCode = await runBackupVerify(ref, { ...withBackupOptions(opts, cmd), ...globalOverrides(program) });
  });
backup
  .command('list')
  .description('백업 디렉터리의 백업을 최신순으로 보여 줍니다 (시각, 파일 수, 크기, 검증 여부).')
  .option('--dir <dir>', '백업 디렉터리 (기본 backups, ALAW_BACKUP_DIR)')
  .option('--json', 'JSON으로 출력')
  .action(async (opts: { dir?: string; json?: boolean }, cmd: Command) => {
    process.exitCode = await runBackupList({ ...withBackupOptions(opts, cmd), ...globalOverrides(program) });
  });

/**
 * A backup subcommand's options with `--dir` and `--json` also taken from `alaw backup` itself: Commander gives
 * an option that both define to the parent (`alaw backup verify X --dir d` sets the parent's `--dir`).
 */
function withBackupOptions<T extends { dir?: string; json?: boolean }>(opts: T, cmd: Command): T {
  const parent: { dir?: string; json?: boolean } = cmd.parent === backup ? backup.opts<{ dir?: string; json?: boolean }>() : {};
  return { ...opts, dir: opts.dir ?? parent.dir, json: opts.json ?? parent.json };
}

/** `alaw restore` and `alaw backup restore`: one command under two names. */
function restoreCommand(parent: Command): void {
  parent
    .command('restore')
    .description(
      '백업으로 데이터베이스를 되돌립니다. 먼저 지금 상태를 백업하고, 복원 후 행 수를 확인합니다. 이 데이터를 쓰는 서버가 실행 중이면 거절합니다 (--stop-server면 멈추고 복원).',
    )
    .argument('<backup>', 'manifest 파일 경로 또는 시각 이름')
    .option('--dir <dir>', '백업 디렉터리 (기본 backups, ALAW_BACKUP_DIR)')
    .option('--yes', '확인 없이 실행 (없으면 무엇을 바꿀지만 알리고 종료 코드 2)')
    .option('--stop-server', '이 데이터를 쓰는 서버를 먼저 멈춤 (SIGTERM, 끝날 때까지 기다림; 못 멈추면 복원하지 않음)')
    .option('--stop-timeout <s>', '(--stop-server) 서버가 끝나기를 기다릴 최대 시간, 초 (기본 queue.shutdownGraceSeconds + 15)')
    .option('--json', 'JSON으로 출력')
    .action(async (ref: string, opts: { dir?: string; yes?: boolean; stopServer?: boolean; stopTimeout?: string; json?: boolean }, cmd: Command) => {
      process.exitCode = await runRestore(ref, { ...withBackupOptions(opts, cmd), ...globalOverrides(program) });
    });
}
restoreCommand(backup);
restoreCommand(program);

program
  .command('capacity')
  .description('동시 사용자 수별 CPU·메모리 추정: 운영 가이드의 공식, --measured 면 이 컴퓨터에서 잰 검색·분석 비용으로')
  .option('--users <list>', '동시 사용자 수 (쉼표로 여러 개)', '10,50,100,200')
  .option('--measured', '판례 데이터로 검색과 분석을 실제로 돌려 잰 값으로 추정')
  .option('--search-every <s>', '(--measured) 사용자 한 명이 검색하는 간격, 초', '10')
  .option('--analysis-every <s>', '(--measured) 사용자 한 명이 사건 분석하는 간격, 초', '300')
  .option('--samples <n>', '(--measured) 잴 판례 수', '200')
  .option('--cpu-per-user <cores>', '가이드 공식의 사용자당 CPU')
  .option('--memory-per-user <mb>', '가이드 공식의 사용자당 메모리 MB')
  .option('--base-cpu <cores>', '가이드 공식의 기본 CPU')
  .option('--base-memory <mb>', '가이드 공식의 기본 메모리 MB')
  .option('--json', 'JSON으로 출력')
  .action(async (opts: Omit<CapacityOptions, keyof import('./context.js').GlobalOptions>) => {
    process.exitCode = await runCapacity({ ...opts, ...globalOverrides(program) });
  });

program
  .command('serve')
  .description('API 서버를 실행합니다 (npm start 와 같음).')
  .action(async () => {
    await runServe(globalOverrides(program));
  });

restrictNewFiles();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Already reported through outputError (or help/version was shown).
    process.exitCode = err.exitCode === 0 ? 0 : E.CLI_USAGE.exit;
  } else if (isAlawError(err)) {
    process.stderr.write(errorLine(err));
    process.exitCode = err.exitCode;
  } else {
    // Not one of ours: a bug or an environment problem nobody anticipated. The stack is for the report.
    process.stderr.write(`오류: ${(err as Error).stack ?? String(err)} [${E.INTERNAL.code}]\n`);
    process.exitCode = E.INTERNAL.exit;
  }
}
