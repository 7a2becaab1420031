import type { FastifyInstance, FastifyRequest } from 'fastify';
import { setMaxListeners } from 'node:events';
import { E } from '../errors/index.js';
import { sleep, type Clock } from '../clock.js';

/** Seconds a client is told to wait before it tries again (header `Retry-After`, the event stream's `retry`). */
export const STOPPING_RETRY_S = 5;

/** Route option: the route keeps answering while the server stops (health, metrics, the queue status). */
export interface StoppingRouteConfig {
  whileStopping?: boolean;
}

/**
 * The server's stop, as the HTTP layer sees it (issue 14, "an honest stop"). On SIGTERM the composition root
 * (src/server.ts) closes the gate: from then on every new request is answered at once with 503
 * `SERVER_STOPPING`, `Retry-After` and `Connection: close` — through the normal error path, so each one has
 * its access-log line and catalog code — except the routes marked `whileStopping` (health answers 503
 * `unhealthy`, `is_running: false`, so load balancers take the instance out; /metrics stays readable).
 * Requests admitted before keep running. Once the queue has stopped, {@link endStreams} asks every open
 * analysis event stream to send its last event (`stopping`) and close, then the listener is closed.
 */
export class StopGate {
  private closed = false;
  private readonly ending = new AbortController();
  private readonly streams = new Set<Promise<void>>();
  /** New requests answered 503 since the gate closed. */
  refused = 0;

  constructor() {
    // Every open event stream waits on this signal (one listener each): no "possible leak" warning past ten.
    setMaxListeners(0, this.ending.signal);
  }

  /** Whether the server is stopping (the gate is closed). */
  get stopping(): boolean {
    return this.closed;
  }

  /** Aborts when open event streams must send their last event and close. */
  get streamsEnding(): AbortSignal {
    return this.ending.signal;
  }

  /** Closes the gate: new requests get 503 from now on. */
  close(): void {
    this.closed = true;
  }

  /** An open event stream: `done` when it has closed; {@link endStreams} waits for it. */
  openStream(): () => void {
    let done = (): void => undefined;
    const closed = new Promise<void>((resolve) => (done = resolve));
    this.streams.add(closed);
    void closed.then(() => this.streams.delete(closed));
    return done;
  }

  /** Event streams open now. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Tells every open event stream to send its last event and close; waits up to `waitMs` for them. Returns how many there were. */
  async endStreams(clock: Clock, waitMs: number): Promise<number> {
    const open = [...this.streams];
    this.ending.abort();
    if (open.length > 0) await Promise.race([Promise.all(open), sleep(clock, waitMs)]);
    return open.length;
  }

  /** The first `onRequest` hook after the security headers and the log context: answers 503 while stopping. */
  register(app: FastifyInstance): void {
    app.addHook('onRequest', (request, _reply, done) => {
      if (!this.closed || answersWhileStopping(request)) return done();
      this.refused += 1;
      done(stoppingError());
    });
    // Responses of requests admitted before the stop close their connection: keep-alive clients reconnect elsewhere.
    app.addHook('onSend', (_request, reply, _payload, done) => {
      if (this.closed) void reply.header('connection', 'close');
      done();
    });
  }
}

/** Whether a route keeps answering while the server stops. */
function answersWhileStopping(request: FastifyRequest): boolean {
  return (request.routeOptions.config as StoppingRouteConfig | undefined)?.whileStopping === true;
}

/** The answer to a new request while the server stops. */
export function stoppingError() {
  return E.SERVER_STOPPING.error().withHeaders({ 'Retry-After': String(STOPPING_RETRY_S), Connection: 'close' });
}

/** What a stopping server tells an open event stream about its analysis. */
export type StreamOutcome = 'running_elsewhere' | 'released' | 'queued';

/**
 * The data of the last event (`stopping`) of an analysis event stream whose server stops before the analysis
 * ended: where the analysis is now and where to follow it. `ranHere`: this instance was running it (so the
 * queue's stop handed it back, without using up an attempt).
 */
export function stoppingEvent(
  task: { id: string; status: string; owner: string | null },
  self: string,
  ranHere: boolean,
): { id: string; status: string; outcome: StreamOutcome; message: string; events_url: string; status_url: string; retry_after_s: number } {
  const outcome: StreamOutcome =
    task.status === 'processing' && task.owner !== null && task.owner !== self ? 'running_elsewhere' : ranHere || task.owner === self ? 'released' : 'queued';
  const eventsUrl = `/api/analysis/${task.id}/events`;
  const statusUrl = `/api/analysis/${task.id}`;
  const follow = `${STOPPING_RETRY_S}초 뒤 ${eventsUrl} 에 다시 연결하거나 GET ${statusUrl} 로 진행 상황과 결과를 확인하세요.`;
  const message =
    outcome === 'running_elsewhere'
      ? `이 서버가 종료(재배포) 중이라 연결을 닫습니다. 분석은 다른 인스턴스에서 계속 실행 중입니다. ${follow}`
      : outcome === 'released'
        ? `이 서버가 종료(재배포) 중이라 실행하던 분석을 마치지 못하고 대기열로 돌려놓았습니다(시도 횟수는 쓰지 않음). 다른 인스턴스나 다시 시작한 서버가 처음부터 다시 실행합니다. ${follow}`
        : `이 서버가 종료(재배포) 중이라 연결을 닫습니다. 분석은 대기열에 그대로 있어 다른 인스턴스나 다시 시작한 서버가 실행합니다. ${follow}`;
  return { id: task.id, status: task.status, outcome, message, events_url: eventsUrl, status_url: statusUrl, retry_after_s: STOPPING_RETRY_S };
}
