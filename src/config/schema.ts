import { Type, type Static } from 'typebox';

const Field = (weight: number, b: number) =>
  Type.Object(
    {
      /** Relative weight of a term occurrence in this field (BM25F w_f). */
      weight: Type.Number({ minimum: 0, maximum: 100, default: weight }),
      /** Length normalization of this field, 0 (none) … 1 (full) (BM25F b_f). */
      b: Type.Number({ minimum: 0, maximum: 1, default: b }),
    },
    { additionalProperties: false, default: {} },
  );

const Limits = (maxConcurrent: number, maxQueueSize: number, timeout: number) =>
  Type.Object(
    {
      /** Tasks of this type running at once — across all instances sharing the queue. */
      max_concurrent: Type.Integer({ minimum: 1, maximum: 1000, default: maxConcurrent }),
      /** Pending tasks of this type beyond which new ones get 429. */
      max_queue_size: Type.Integer({ minimum: 0, maximum: 100000, default: maxQueueSize }),
      /** Seconds a task may wait for its turn (synchronous tasks) and, separately, run. */
      timeout: Type.Number({ minimum: 0.1, maximum: 86400, default: timeout }),
    },
    { additionalProperties: false, default: {} },
  );

/** The operations guide's two task types; `case_analysis` is accepted as another name for `analysis` (see load.ts). */
const LimitSet = (search: [number, number, number], analysis: [number, number, number]) =>
  Type.Object({ search: Limits(...search), analysis: Limits(...analysis) }, { additionalProperties: false, default: {} });

/**
 * The one configuration schema. Defaults are embedded, so an empty
 * environment runs the service over the bundled corpus. Units in comments.
 */
export const ConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        /** Interface to listen on. Loopback by default; set 0.0.0.0 behind a proxy or in a container. */
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        /** TCP port (the operations guide's 8997). */
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8997 }),
        /** Largest accepted request body, bytes. */
        bodyLimit: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1024 * 1024 }),
        /**
         * This instance's id (the guide's INSTANCE_ID): letters, digits and `._:-`, at most 64. Empty: the id
         * kept in `instance-id` beside the queue database, created (hostname + random suffix) at the first start.
         */
        instanceId: Type.String({ default: '', maxLength: 64, pattern: '^[A-Za-z0-9._:-]*$' }),
        /**
         * Proxies whose X-Forwarded-For / X-Forwarded-Proto the service believes, comma-separated addresses
         * or CIDR ranges (`127.0.0.1`, `172.28.0.0/16`) or `loopback`, `uniquelocal`; empty: none, the TCP
         * peer is the client. Env ALAW_TRUST_PROXY.
         */
        trustProxy: Type.String({ default: '' }),
        /** A client must send all request headers within this many seconds (slow-header clients are cut off). */
        headersTimeoutSeconds: Type.Number({ minimum: 1, maximum: 15, default: 10 }),
        /** … and the whole request (headers and body) within this many seconds. Responses (SSE included) are not limited by it. */
        requestTimeoutSeconds: Type.Number({ minimum: 1, maximum: 600, default: 30 }),
        /** An idle keep-alive connection is closed after this many seconds (above nginx's upstream keepalive_timeout 60 s). */
        keepAliveTimeoutSeconds: Type.Number({ minimum: 1, maximum: 600, default: 65 }),
        /**
         * While the event loop lags more than this (ms, @fastify/under-pressure), new searches and analyses are
         * refused with 503 ALAW_ERR_SERVER_OVERLOADED and Retry-After; health, metrics and the rest still answer. 0: never.
         */
        maxEventLoopDelayMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 1000 }),
        /**
         * After SIGTERM the listener stays open at least this long, seconds (capped at queue.shutdownGraceSeconds),
         * answering new requests 503 ALAW_ERR_SERVER_STOPPING and health 503, so a load balancer's health check sees
         * the instance leave before connections are refused; longer while running tasks use their grace.
         */
        stopHoldSeconds: Type.Number({ minimum: 0, maximum: 600, default: 5 }),
        /** Open connections at most; further ones are refused by the kernel's accept path. */
        maxConnections: Type.Integer({ minimum: 16, maximum: 1_000_000, default: 2048 }),
        /** In-app rate limit per API key (or client address without a key): defence in depth behind or without nginx. */
        rateLimit: Type.Object(
          {
            enabled: Type.Boolean({ default: true }),
            /** Requests per window and key/address. */
            max: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 300 }),
            windowSeconds: Type.Number({ minimum: 1, maximum: 3600, default: 10 }),
            /** Requests from this machine (loopback, not forwarded) are not limited: the operator, the watchdog, benchmarks. */
            exemptLoopback: Type.Boolean({ default: true }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    paths: Type.Object(
      {
        /** Application database (SQLite): the precedents and their case-number keys. */
        database: Type.String({ minLength: 1, default: 'data/alaw.db' }),
        /** Directory of the derived search index (rebuilt when missing, corrupt or stale). */
        indexDir: Type.String({ minLength: 1, default: 'data/index' }),
        /** Corpus imported into an empty database at start-up; empty string disables seeding. */
        seedCorpus: Type.String({ default: 'data/precedents-dev.jsonl.gz' }),
        /** The task queue's SQLite file (the guide's data/queue.db), used unless queue.databaseUrl is set. */
        queueDatabase: Type.String({ minLength: 1, default: 'data/queue.db' }),
      },
      { additionalProperties: false, default: {} },
    ),
    search: Type.Object(
      {
        /** BM25 term-frequency saturation k1 (index-time: changing it rebuilds the index). */
        k1: Type.Number({ minimum: 0.01, maximum: 10, default: 1.2 }),
        fields: Type.Object(
          {
            case_name: Field(1.5, 0.3),
            holdings: Field(1.0, 0.5),
            summary: Field(1.2, 0.5),
            full_text: Field(1.0, 1.0),
          },
          { additionalProperties: false, default: {} },
        ),
        /** Query-term-frequency saturation (BM25 k3) for long queries. */
        k3: Type.Number({ minimum: 0, maximum: 1000, default: 1.5 }),
        /** Weight of an exact word-form match relative to one bigram. */
        wordFormWeight: Type.Number({ minimum: 0, maximum: 10, default: 0.5 }),
        /** In auto mode, queries with at least this many content words (or this many characters) use similar-case mode. */
        similarMinWords: Type.Integer({ minimum: 1, maximum: 1000, default: 6 }),
        similarMinChars: Type.Integer({ minimum: 1, maximum: 100000, default: 60 }),
        /** Similar-case mode scores only the most informative query terms (by idf × qtf). */
        similarMaxTerms: Type.Integer({ minimum: 1, maximum: 4096, default: 48 }),
        /** Longest accepted query, characters. */
        maxQueryChars: Type.Integer({ minimum: 10, maximum: 100000, default: 5000 }),
        defaultPageSize: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
        maxPageSize: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        /** Deepest reachable result (page × size), like Elasticsearch's max_result_window. */
        maxResultWindow: Type.Integer({ minimum: 1, maximum: 100000, default: 1000 }),
        /**
         * Memory budget of an index build, MB: the builder writes out a segment whenever its buffers reach
         * it, so a build's peak does not grow with the corpus (0: automatic, 1/16 of the machine's memory,
         * 64 … 2048 MB).
         */
        buildMemoryMB: Type.Integer({ minimum: 0, maximum: 65536, default: 0 }),
        /**
         * Search worker threads of the server ('auto': one per core; 0: search on the main thread). The
         * index is shared between them, not copied; the queue's limits still decide how many run at once.
         */
        workers: Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 0, maximum: 64 })], { default: 'auto' }),
        /** How often the server checks for an index rebuilt by `alaw import`/`alaw index`, seconds (0: never). */
        reloadCheckSeconds: Type.Integer({ minimum: 0, maximum: 86400, default: 10 }),
        /** Snippet length, characters. */
        snippetChars: Type.Integer({ minimum: 20, maximum: 2000, default: 180 }),
      },
      { additionalProperties: false, default: {} },
    ),
    queue: Type.Object(
      {
        /** postgres://… to share the queue between instances (the guide's DATABASE_URL); empty: SQLite paths.queueDatabase. */
        databaseUrl: Type.String({ default: '' }),
        /** auto: the optimized limits while memory and CPU are low (the guide's optimize_queue_settings); or a fixed profile. */
        profile: Type.Union([Type.Literal('auto'), Type.Literal('conservative'), Type.Literal('optimized')], { default: 'auto' }),
        /** The guide's defaults (conservative profile). */
        limits: LimitSet([2, 10, 30], [1, 5, 60]),
        /** The guide's OPTIMIZED_LIMITS. */
        optimizedLimits: LimitSet([3, 20, 60], [2, 15, 120]),
        /** The optimized profile applies while memory use is below this percentage… */
        optimizeBelowMemoryPercent: Type.Number({ minimum: 1, maximum: 100, default: 60 }),
        /** …and CPU use below this percentage. */
        optimizeBelowCpuPercent: Type.Number({ minimum: 1, maximum: 100, default: 50 }),
        /** Back to conservative only above threshold + this margin (percentage points). */
        hysteresisPercent: Type.Number({ minimum: 0, maximum: 50, default: 5 }),
        /** Consecutive resource samples that must agree before the profile switches. */
        samplesToSwitch: Type.Integer({ minimum: 1, maximum: 100, default: 3 }),
        /** Resource sampling interval, seconds. */
        sampleSeconds: Type.Number({ minimum: 0.1, maximum: 3600, default: 5 }),
        /** A running task's lease, renewed by heartbeat every third of it; a dead worker's tasks are reclaimed after it. Seconds. */
        leaseSeconds: Type.Number({ minimum: 0.5, maximum: 30, default: 30 }),
        /** How often an instance tells the others it is alive, seconds. */
        heartbeatSeconds: Type.Number({ minimum: 0.1, maximum: 60, default: 1 }),
        /**
         * An instance silent for longer than this is declared dead: its tasks go back to the queue (or fail, when
         * bound to it) at once instead of at lease expiry. At least three heartbeats. Seconds.
         */
        instanceDeadSeconds: Type.Number({ minimum: 0.5, maximum: 600, default: 5 }),
        /** Attempts of an asynchronous task (reclaimed after a crash or retryable failure) before it fails. */
        maxAttempts: Type.Integer({ minimum: 1, maximum: 100, default: 3 }),
        /** How often an instance looks for work queued by other instances, milliseconds. */
        pollMs: Type.Integer({ minimum: 10, maximum: 60000, default: 200 }),
        /** On SIGTERM, running tasks get this long to finish before they are handed back, seconds. */
        shutdownGraceSeconds: Type.Number({ minimum: 0, maximum: 3600, default: 20 }),
        /** Finished tasks are kept this long, hours. */
        retentionHours: Type.Object(
          {
            search: Type.Number({ minimum: 0, maximum: 87600, default: 24 }),
            analysis: Type.Number({ minimum: 0, maximum: 87600, default: 168 }),
          },
          { additionalProperties: false, default: {} },
        ),
        /** How often old tasks are pruned, minutes. */
        pruneIntervalMinutes: Type.Number({ minimum: 0.01, maximum: 1440, default: 10 }),
      },
      { additionalProperties: false, default: {} },
    ),
    auth: Type.Object(
      {
        /** Admin keys from the environment (comma-separated, each ≥ 16 characters), besides `alaw keys create --role admin`. Env ALAW_ADMIN_TOKEN. */
        adminTokens: Type.String({ default: '' }),
        /** User keys from the environment (comma-separated). Env ALAW_USER_TOKENS. */
        userTokens: Type.String({ default: '' }),
        /** How long a key lookup (and whether any key exists) is cached, seconds: a revoked key stops working within this time. */
        keyCacheSeconds: Type.Number({ minimum: 0, maximum: 300, default: 5 }),
      },
      { additionalProperties: false, default: {} },
    ),
    alerts: Type.Object(
      {
        /** Mattermost/Slack-compatible incoming webhook URL (or webhookUrlFile: a file holding it). */
        webhookUrl: Type.String({ default: '' }),
        webhookUrlFile: Type.String({ default: '' }),
        webhookChannel: Type.String({ default: 'alerts' }),
        webhookUsername: Type.String({ default: 'monitoring-bot' }),
        /** SMTP relay for e-mail alerts; empty host: no e-mail. */
        smtpHost: Type.String({ default: '' }),
        smtpPort: Type.Integer({ minimum: 1, maximum: 65_535, default: 587 }),
        /** true: TLS from the start (port 465); false: STARTTLS when the server offers it (port 587). */
        smtpSecure: Type.Boolean({ default: false }),
        /**
         * Without smtpSecure, STARTTLS is required: no credentials or alert text over a cleartext connection.
         * true allows a relay without TLS (a postfix on this machine or its private network). Env ALAW_ALERTS_SMTP_ALLOW_INSECURE.
         */
        smtpAllowInsecure: Type.Boolean({ default: false }),
        smtpUser: Type.String({ default: '' }),
        smtpPassword: Type.String({ default: '' }),
        smtpPasswordFile: Type.String({ default: '' }),
        from: Type.String({ default: 'alerts@alaw.ai' }),
        /** Recipients, comma-separated. */
        to: Type.String({ default: '' }),
        /** How often the server checks its own state, seconds. */
        checkSeconds: Type.Number({ minimum: 0.01, maximum: 3600, default: 15 }),
        /** A queue full (or turning requests away) this long is an alert, seconds. */
        queueSaturatedSeconds: Type.Number({ minimum: 0, maximum: 86_400, default: 60 }),
        /** Memory above this percent … */
        memoryPercent: Type.Number({ minimum: 1, maximum: 100, default: 90 }),
        /** … for this long is an alert, seconds. */
        memorySeconds: Type.Number({ minimum: 0, maximum: 86_400, default: 120 }),
        /** Share of 5xx responses above this percent … */
        errorRatePercent: Type.Number({ minimum: 0.01, maximum: 100, default: 5 }),
        /** … over this window … */
        errorRateWindowSeconds: Type.Number({ minimum: 1, maximum: 86_400, default: 300 }),
        /** … with at least this many requests in it, is an alert. */
        errorRateMinRequests: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20 }),
        /** One client address failing authentication (401/403) more than this many times … */
        authFailureCount: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20 }),
        /** … within this window is an alert, seconds. */
        authFailureWindowSeconds: Type.Number({ minimum: 1, maximum: 86_400, default: 300 }),
        /** While a condition lasts, repeat its alert at most this often, minutes. */
        repeatMinutes: Type.Number({ minimum: 0.001, maximum: 10_080, default: 30 }),
      },
      { additionalProperties: false, default: {} },
    ),
    watchdog: Type.Object(
      {
        /** The service to watch (the guide's SERVICE_URL). */
        url: Type.String({ minLength: 1, default: 'http://127.0.0.1:8997' }),
        /** Seconds between checks when running continuously (the guide's cron: every 5 minutes). */
        intervalSeconds: Type.Number({ minimum: 1, maximum: 86_400, default: 300 }),
        /** A health check that takes longer than this fails, seconds. */
        timeoutSeconds: Type.Number({ minimum: 0.1, maximum: 300, default: 10 }),
        /** First step (the guide: `docker restart alaw-ai-backend`). Run with sh -c. */
        restartCommand: Type.String({ default: '' }),
        /** Up to this long for the service to be healthy after the restart, seconds (the guide: sleep 30). */
        restartWaitSeconds: Type.Number({ minimum: 1, maximum: 3600, default: 30 }),
        /** Second step (the guide: `docker-compose down && docker-compose up -d --build`). */
        redeployCommand: Type.String({ default: '' }),
        redeployWaitSeconds: Type.Number({ minimum: 1, maximum: 3600, default: 60 }),
        /** A restart or redeploy command still running after this long is killed, seconds. */
        commandTimeoutSeconds: Type.Number({ minimum: 1, maximum: 7200, default: 600 }),
        /** Every step is appended here (the guide: /var/log/alaw-ai-recovery.log). */
        logFile: Type.String({ minLength: 1, default: 'logs/recovery.log' }),
        /**
         * Where watchdogs of one URL on this machine share a lock (one checks and recovers at a
         * time: cron runs, the service) and when they last alerted (one alert per outage).
         */
        stateDir: Type.String({ minLength: 1, default: 'data' }),
      },
      { additionalProperties: false, default: {} },
    ),
    backup: Type.Object(
      {
        /** Where `alaw backup` writes (the guide: /backups/postgres). */
        dir: Type.String({ minLength: 1, default: 'backups' }),
        /** Backups older than this many days are deleted by the next backup (the guide: 30); 0 keeps all. */
        keepDays: Type.Integer({ minimum: 0, maximum: 36_500, default: 30 }),
      },
      { additionalProperties: false, default: {} },
    ),
    metrics: Type.Object(
      {
        /** Serve GET /metrics (Prometheus) and count requests. */
        enabled: Type.Boolean({ default: true }),
        /** Who may read /metrics: `local` (this machine without a key, others with any API key), `key` (any key), `public` (anyone: a private network only). */
        access: Type.Union([Type.Literal('local'), Type.Literal('key'), Type.Literal('public')], { default: 'local' }),
      },
      { additionalProperties: false, default: {} },
    ),
    llm: Type.Object(
      {
        /** OpenAI-compatible endpoint (vLLM, Ollama, commercial providers), e.g. http://127.0.0.1:11434/v1. Empty: no model, extractive report only. */
        baseUrl: Type.String({ default: '' }),
        /** Model name as the endpoint knows it. Required with baseUrl. */
        model: Type.String({ default: '' }),
        /** Bearer key for the endpoint; or apiKeyFile (a file holding the key, e.g. a mounted secret). */
        apiKey: Type.String({ default: '' }),
        apiKeyFile: Type.String({ default: '' }),
        /** The whole write-up must finish within this many seconds (and before the analysis task's own timeout). */
        timeoutSeconds: Type.Number({ minimum: 1, maximum: 600, default: 40 }),
        /** Give up when the endpoint sends nothing for this long (before the first token or between tokens). */
        idleTimeoutSeconds: Type.Number({ minimum: 1, maximum: 300, default: 15 }),
        /** Retries of a request that failed before any text arrived (connection errors, 408/429/5xx), with backoff. */
        maxRetries: Type.Integer({ minimum: 0, maximum: 5, default: 2 }),
        temperature: Type.Number({ minimum: 0, maximum: 2, default: 0.2 }),
        maxTokens: Type.Integer({ minimum: 64, maximum: 32_000, default: 1500 }),
        /** Stream tokens (server-sent events from the endpoint); off for endpoints that cannot. */
        stream: Type.Boolean({ default: true }),
        /** Characters of each decision given to the model (판시사항, 판결요지, then the reasons). */
        sourceChars: Type.Integer({ minimum: 200, maximum: 20_000, default: 1500 }),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Union(
          [
            Type.Literal('fatal'),
            Type.Literal('error'),
            Type.Literal('warn'),
            Type.Literal('info'),
            Type.Literal('debug'),
            Type.Literal('trace'),
            Type.Literal('silent'),
          ],
          { default: 'info' },
        ),
        /** Directory of app.log, access.log, error.log, performance.log and archive/. */
        dir: Type.String({ minLength: 1, default: 'logs' }),
        /** Write the log files (the server; CLI commands log to stderr only). */
        files: Type.Boolean({ default: true }),
        /** Also write the application log to standard output (docker logs, journald). */
        stdout: Type.Boolean({ default: true }),
        /** Rotation size of each file, megabytes (the guide: app 50, error 10). */
        maxMegabytes: Type.Object(
          {
            app: Type.Number({ minimum: 0.001, maximum: 10_000, default: 50 }),
            access: Type.Number({ minimum: 0.001, maximum: 10_000, default: 50 }),
            error: Type.Number({ minimum: 0.001, maximum: 10_000, default: 10 }),
            performance: Type.Number({ minimum: 0.001, maximum: 10_000, default: 10 }),
          },
          { additionalProperties: false, default: {} },
        ),
        /** Rotated files kept in archive/, compressed (the guide: app 5, error 10). */
        keep: Type.Object(
          {
            app: Type.Integer({ minimum: 1, maximum: 1000, default: 5 }),
            access: Type.Integer({ minimum: 1, maximum: 1000, default: 5 }),
            error: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
            performance: Type.Integer({ minimum: 1, maximum: 1000, default: 5 }),
          },
          { additionalProperties: false, default: {} },
        ),
        /** Requests slower than this go to performance.log, milliseconds. */
        slowRequestMs: Type.Integer({ minimum: 0, maximum: 600_000, default: 1000 }),
        /** Tasks whose wait plus run exceed this go to performance.log, milliseconds. */
        slowTaskMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 5000 }),
        /** Write access.log (one line per request). */
        access: Type.Boolean({ default: true }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

export type Config = Static<typeof ConfigSchema>;
export type SearchConfig = Config['search'];
export type FieldName = keyof SearchConfig['fields'];
