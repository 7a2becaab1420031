import os from 'node:os';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { QueueObserver, StatusCounts, TaskType } from '../queue/index.js';

/** Seconds buckets for HTTP requests and searches: most answer in milliseconds, similar-case searches and analyses take longer. */
const FAST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds buckets for queue waits and task runs (up to the optimized profile's 120 s timeout). */
const TASK_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export interface MetricsSources {
  /** Tasks by type and status (pending and processing; finished ones are counted as they finish). */
  queueCounts?: () => Promise<StatusCounts>;
  /** The loaded search index: documents, when it was built and how long that took. */
  searchIndex?: () => { documents: number; buildMs: number; loadedInMs: number };
}

/**
 * The Prometheus metrics of one process (prom-client), served at /metrics.
 * The operations guide's names exactly (`app_requests_total`,
 * `app_request_duration_seconds`, `app_memory_usage_bytes`,
 * `app_cpu_usage_percent`), plus queue and search metrics under `alaw_`,
 * plus prom-client's default process and Node.js metrics. The `endpoint`
 * label is the route pattern (`/api/precedents/:id`), never the raw URL.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'endpoint' | 'status'>;
  readonly requestDuration: Histogram<'method' | 'endpoint'>;
  readonly searchDuration: Histogram<'mode'>;
  private readonly finished: Counter<'type' | 'status'>;
  private readonly wait: Histogram<'type'>;
  private readonly run: Histogram<'type'>;
  private readonly rejected: Counter<'type'>;
  private readonly timeouts: Counter<'type' | 'stage'>;
  private readonly recovered: Counter<'kind'>;
  private cpuMark = { usage: process.cpuUsage(), at: process.hrtime.bigint() };
  private readonly requestChildren = new Map<string, { count: { inc(): void }; duration: { observe(v: number): void } }>();

  constructor(sources: MetricsSources = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // Three default gauges end in `_total`, which Prometheus reserves for counters (promtool check metrics
    // refuses them). The same numbers are there per type: nodejs_active_handles{type}, …_requests, …_resources.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    this.requests = new Counter({
      name: 'app_requests_total',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'endpoint', 'status'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'app_request_duration_seconds',
      help: 'HTTP request duration in seconds, by method and route pattern',
      labelNames: ['method', 'endpoint'],
      buckets: FAST_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'app_memory_usage_bytes',
      help: 'Resident memory of the process (RSS), bytes',
      registers,
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
    const cpuPercent = (): number => this.cpuPercent();
    new Gauge({
      name: 'app_cpu_usage_percent',
      help: 'CPU used by the process since the previous scrape, percent of one core (as psutil cpu_percent)',
      registers,
      collect() {
        this.set(cpuPercent());
      },
    });
    new Gauge({ name: 'app_cpu_cores', help: 'CPU cores available to the process', registers }).set(os.availableParallelism());

    this.finished = new Counter({
      name: 'alaw_queue_tasks_finished_total',
      help: 'Tasks this instance ran to an end, by type and final status',
      labelNames: ['type', 'status'],
      registers,
    });
    this.wait = new Histogram({
      name: 'alaw_queue_wait_seconds',
      help: 'Time tasks waited in the queue before they started, seconds',
      labelNames: ['type'],
      buckets: TASK_BUCKETS,
      registers,
    });
    this.run = new Histogram({ name: 'alaw_queue_run_seconds', help: 'Time tasks ran, seconds', labelNames: ['type'], buckets: TASK_BUCKETS, registers });
    this.rejected = new Counter({
      name: 'alaw_queue_rejected_total',
      help: 'Tasks refused because the queue of their type was full (HTTP 429)',
      labelNames: ['type'],
      registers,
    });
    this.timeouts = new Counter({
      name: 'alaw_queue_timeouts_total',
      help: 'Tasks that waited (stage=wait) or ran (stage=run) past their timeout',
      labelNames: ['type', 'stage'],
      registers,
    });
    this.recovered = new Counter({
      name: 'alaw_queue_recovered_total',
      help: 'Tasks of dead instances recovered here: requeued, failed, timed_out',
      labelNames: ['kind'],
      registers,
    });
    if (sources.queueCounts) {
      const read = sources.queueCounts;
      new Gauge({
        name: 'alaw_queue_tasks',
        help: 'Tasks waiting (pending) and running (processing) in the shared queue, by type',
        labelNames: ['type', 'status'],
        registers,
        async collect() {
          // An unreachable queue database must not fail the whole scrape (that is when metrics matter most).
          const counts = await read().catch(() => null);
          if (!counts) return;
          for (const type of Object.keys(counts) as TaskType[]) {
            this.set({ type, status: 'pending' }, counts[type].pending);
            this.set({ type, status: 'processing' }, counts[type].processing);
          }
        },
      });
    }

    this.searchDuration = new Histogram({
      name: 'alaw_search_duration_seconds',
      help: 'Search engine time per search, by mode (all, similar, case_number)',
      labelNames: ['mode'],
      buckets: FAST_BUCKETS,
      registers,
    });
    if (sources.searchIndex) {
      const index = sources.searchIndex;
      new Gauge({
        name: 'alaw_search_documents',
        help: 'Decisions in the loaded search index',
        registers,
        collect() {
          this.set(index().documents);
        },
      });
      new Gauge({
        name: 'alaw_search_index_build_seconds',
        help: 'How long the loaded search index took to build, seconds',
        registers,
        collect() {
          this.set(index().buildMs / 1000);
        },
      });
      new Gauge({
        name: 'alaw_search_index_load_seconds',
        help: 'How long loading the search index took at start-up, seconds',
        registers,
        collect() {
          this.set(index().loadedInMs / 1000);
        },
      });
    }
  }

  /**
   * One HTTP response. The labelled children are cached per method/route/status: prom-client would
   * otherwise hash the label object on every call.
   */
  recordRequest(method: string, endpoint: string, status: number, seconds: number): void {
    const key = `${method} ${endpoint} ${status}`;
    let c = this.requestChildren.get(key);
    if (!c) {
      c = { count: this.requests.labels({ method, endpoint, status: String(status) }), duration: this.requestDuration.labels({ method, endpoint }) };
      this.requestChildren.set(key, c);
    }
    c.count.inc();
    c.duration.observe(seconds);
  }

  /** Process CPU since the previous call, percent of one core. */
  cpuPercent(): number {
    const now = process.hrtime.bigint();
    const usage = process.cpuUsage();
    const elapsedUs = Number(now - this.cpuMark.at) / 1000;
    const usedUs = usage.user - this.cpuMark.usage.user + (usage.system - this.cpuMark.usage.system);
    this.cpuMark = { usage, at: now };
    return elapsedUs > 0 ? Math.round((usedUs / elapsedUs) * 1000) / 10 : 0;
  }

  /** What the task queue reports, as metrics. */
  queueObserver(): QueueObserver {
    return {
      finished: (type, status, waitMs, runMs) => {
        this.finished.inc({ type, status });
        this.wait.observe({ type }, waitMs / 1000);
        this.run.observe({ type }, runMs / 1000);
      },
      rejected: (type) => this.rejected.inc({ type }),
      timedOut: (type, stage) => this.timeouts.inc({ type, stage }),
      reclaimed: (r) => {
        if (r.requeued) this.recovered.inc({ kind: 'requeued' }, r.requeued);
        if (r.failed) this.recovered.inc({ kind: 'failed' }, r.failed);
        if (r.timedOut) this.recovered.inc({ kind: 'timed_out' }, r.timedOut);
      },
    };
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
