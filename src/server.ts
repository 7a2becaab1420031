import { analysisHandler, openServices } from './app/index.js';
import { ConfigError, loadConfig, restrictNewFiles, tokenList, type LoadConfigOptions } from './config/index.js';
import { E } from './errors/index.js';
import { buildApp, StopGate } from './http/index.js';
import { Alerter, AlertMonitor, createServerLogging, holdDataLock, type Logger } from './ops/index.js';
import { TASK_TYPES } from './queue/index.js';
import { sleep } from './clock.js';
import type { ServerServices } from './app/index.js';
import type { TaskHandler, TaskType } from './queue/index.js';

/** After the listener closes, responses already being written get this long before the remaining connections are closed. */
const CLOSE_LINGER_MS = 250;
/** Open analysis event streams get this long to send their last event (`stopping`) once the queue has stopped. */
const STREAM_END_MS = 500;

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
  const services = await openServices(config, logger, { seed: true, queue: true, searchWorkers: true, logging });
  // The analysis worker (tests may bring their own).
  for (const [type, handler] of Object.entries({ analysis: analysisHandler(services), ...options.handlers })) services.queue.handle(type as TaskType, handler);
  const t1 = performance.now();
  const gate = new StopGate();
  const app = await buildApp(services, { gate });
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
  /**
   * The stop (issue 14, "an honest stop"), all within the queue's grace period plus a short linger:
   * 1. the gate closes and the queue drains: new requests get 503 ALAW_ERR_SERVER_STOPPING with Retry-After
   *    (logged in access.log like any answer), health answers 503 `is_running: false`, admitted work goes on;
   * 2. the listener stays open while running tasks use their grace, and at least `server.stopHoldSeconds`
   *    (capped at the grace) so a load balancer's health check sees the instance leave;
   * 3. open analysis event streams get their last event (`stopping`: where the analysis goes on);
   * 4. the listener closes, and after a short linger the connections left (idle keep-alive, slow clients:
   *    Node stops enforcing the headers timeout once the server closes) are closed, not waited for.
   */
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    const clock = services.clock;
    const t0 = clock.now();
    const graceMs = config.queue.shutdownGraceSeconds * 1000;
    const holdMs = Math.min(config.server.stopHoldSeconds * 1000, graceMs);
    logger.info(
      { signal, grace_s: config.queue.shutdownGraceSeconds, hold_s: holdMs / 1000 },
      `종료 신호를 받았습니다: 새 요청에는 503(${E.SERVER_STOPPING.code})으로 답하고, 처리 중인 작업을 마친 뒤 서버를 닫습니다`,
    );
    stopWatching();
    monitor.stop();
    gate.close();
    services.queue.beginDrain();
    const stopped = async (): Promise<void> => {
      // The queue's stop: running tasks get the grace period, then are aborted and handed back (or cancelled).
      const [drained] = await Promise.all([services.queue.stop(), sleep(clock, holdMs)]);
      const streams = await gate.endStreams(clock, STREAM_END_MS);
      logger.info(
        { refused: gate.refused, finished: drained.finished, released: drained.released, streams, elapsed_ms: clock.now() - t0 },
        `작업 큐가 멈췄습니다: 종료 중 새 요청 ${gate.refused}건에 503으로 답했고, 이벤트 스트림 ${streams}개에 stopping 이벤트를 보냈습니다. 리스너를 닫습니다`,
      );
      const closed = app.close();
      await sleep(clock, CLOSE_LINGER_MS);
      app.server.closeAllConnections();
      await closed;
      await services.close();
      logger.info({ elapsed_ms: clock.now() - t0 }, '서버를 닫았습니다');
      logger.flush();
      logging.files?.close();
    };
    stopped()
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
      documents: services.search.documents,
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
