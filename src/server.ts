import { analysisHandler, openServices } from './app/index.js';
import { ConfigError, loadConfig, restrictNewFiles, tokenList, type LoadConfigOptions } from './config/index.js';
import { buildApp } from './http/index.js';
import { Alerter, AlertMonitor, createServerLogging, holdDataLock, type Logger } from './ops/index.js';
import { TASK_TYPES } from './queue/index.js';
import { sleep } from './clock.js';
import type { ServerServices } from './app/index.js';
import type { TaskHandler, TaskType } from './queue/index.js';

/** After the queue stops, responses already being written get this long before the remaining connections are closed. */
const CLOSE_LINGER_MS = 250;

export interface ServeOptions extends LoadConfigOptions {
  /** Workers of asynchronous task types (the analysis issue registers `analysis`). */
  handlers?: Partial<Record<TaskType, TaskHandler>>;
}

/**
 * Composition root of the service: configuration, database (seeded with the
 * bundled corpus on first start), search index (rebuilt when missing, corrupt
 * or stale), HTTP server on port 8997.
 */
export async function serve(options: ServeOptions = {}): Promise<void> {
  restrictNewFiles();
  let config;
  try {
    config = loadConfig(options);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logging = createServerLogging(config.log);
  const logger = logging.logger;
  // logrotate's `postrotate kill -HUP`: reopen the log files by name (the guide's /etc/logrotate.d/alaw-ai).
  // Registered first thing: SIGHUP's default action would end the process, even during the first start's import.
  process.on('SIGHUP', () => {
    logging.files?.reopen();
    logger.info({ signal: 'SIGHUP', dir: config.log.dir }, 'SIGHUP: 로그 파일을 다시 열었습니다');
  });
  const t0 = performance.now();
  const services = await openServices(config, logger, { seed: true, queue: true, logging });
  // The analysis worker (tests may bring their own).
  for (const [type, handler] of Object.entries({ analysis: analysisHandler(services), ...options.handlers })) services.queue.handle(type as TaskType, handler);
  const t1 = performance.now();
  const app = await buildApp(services);
  const t2 = performance.now();

  // Alerts about this server's own state (webhook, e-mail); silent when no channel is configured.
  const alerter = new Alerter(config.alerts, services.instanceId, logger);
  const seenRejected = Object.fromEntries(TASK_TYPES.map((t) => [t, services.queue.rejectedTotal(t)]));
  const monitor = new AlertMonitor(
    alerter,
    config.alerts,
    async () => {
      const h = await services.queue.health();
      const saturated = TASK_TYPES.filter((t) => {
        const turnedAway = services.queue.rejectedTotal(t) > seenRejected[t]!;
        seenRejected[t] = services.queue.rejectedTotal(t);
        const max = services.queue.limits(t).max_queue_size;
        return turnedAway || (max > 0 && h.queue_stats[t].pending >= max);
      });
      return {
        health: h.status,
        reasons: h.status === 'unhealthy' ? (((await services.queue.status()) as { reasons?: string[] }).reasons ?? []) : [],
        saturated,
        memoryPercent: h.resource_usage.memory_percent,
        requests: services.traffic.requests,
        errors5xx: services.traffic.errors5xx,
        authFailures: services.traffic.authFailures.drain(),
      };
    },
    logger,
    services.clock,
  );

  let closing = false;
  let stopWatching = (): void => undefined;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal, grace_s: config.queue.shutdownGraceSeconds }, '종료 신호를 받아 새 요청을 받지 않고, 처리 중인 작업을 마친 뒤 서버를 닫습니다');
    stopWatching();
    monitor.stop();
    // Health turns 503 at once so a load balancer stops sending; admitted work gets the grace period.
    // The queue's stop runs alongside the HTTP close: after the grace it cancels waiting searches and
    // aborts running ones, which is what lets their HTTP requests (and so app.close()) finish in time.
    services.queue.beginDrain();
    // Once the queue has stopped (its tasks finished, or handed back after the grace), whatever connection is
    // still open serves no task: an idle keep-alive, an event stream, or a client that trickles its request
    // (Node stops enforcing the headers timeout once the server closes). They are closed, not waited for.
    const queueStopped = services.queue.stop().then(() => sleep(services.clock, CLOSE_LINGER_MS).then(() => app.server.closeAllConnections()));
    Promise.all([app.close(), queueStopped])
      .then(() => services.close())
      .then(() => {
        logger.flush();
        logging.files?.close();
      })
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, '종료 중 오류');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    await app.listen({ host: config.server.host, port: config.server.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'EADDRINUSE'
        ? `포트 ${config.server.port}을(를) 이미 다른 프로세스가 쓰고 있습니다. 그 프로세스를 멈추거나 ALAW_PORT로 다른 포트를 지정하세요.`
        : code === 'EACCES'
          ? `포트 ${config.server.port}에 바인드할 권한이 없습니다.`
          : (err as Error).message;
    logger.fatal({ err, port: config.server.port }, reason);
    await services.close();
    logger.flush();
    logging.files?.close();
    process.exit(1);
  }
  await logAccessMode(services, logger);
  monitor.start();
  if (alerter.configured.length) logger.info({ alerts: alerter.configured }, `알림 채널: ${alerter.configured.join(', ')}`);
  // Build the case-number and id lookup tables now, not on the first request that needs them.
  setImmediate(() => services.search.engine.warm());
  stopWatching = services.search.watch(config.search.reloadCheckSeconds);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  holdDataLock(config, services.instanceId, port, logger); // read by `alaw restore` (src/ops/dataLock.ts)
  logger.info(
    {
      host: config.server.host,
      port,
      instance_id: services.instanceId,
      documents: services.search.engine.index.header.docCount,
      uptime_ms: Math.round(process.uptime() * 1000),
      // Where start-up time went: node and module loading, database + index, HTTP app.
      startup_ms: {
        boot: Math.round(process.uptime() * 1000 - (performance.now() - t0)),
        data: Math.round(t1 - t0),
        http: Math.round(t2 - t1),
        listen: Math.round(performance.now() - t2),
      },
    },
    `ALaw AI-Backend가 http://${config.server.host}:${port} 에서 요청을 받습니다 (API 문서: /docs)`,
  );
}

/** Says at start-up whether /api needs a key, or is open to this machine only because no key exists. */
async function logAccessMode(services: ServerServices, logger: Logger): Promise<void> {
  const auth = services.config.auth;
  const env = tokenList(auth.adminTokens).length + tokenList(auth.userTokens).length;
  const stored = await services.keys.countActive().catch(() => 0);
  if (env + stored === 0) {
    logger.warn(
      { auth: 'open-loopback' },
      'API 키가 없어 인증 없이 열려 있습니다: 같은 컴퓨터(127.0.0.1)에서 온 요청만 받고 다른 곳의 요청은 403으로 거절합니다. 키를 만들려면 `npx alaw keys create --name 이름`',
    );
  } else {
    logger.info({ auth: 'keys', api_keys: { stored, env } }, `API 키 ${env + stored}개가 있어 /api 요청에는 키가 필요합니다 (헬스체크·/docs 제외)`);
  }
}
