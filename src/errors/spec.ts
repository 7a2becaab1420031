/**
 * The types behind the error catalog (catalog.ts): what one entry declares and
 * the one error class every entry creates. Nothing here knows any particular
 * error; the catalog is the only place that does.
 */

/** Extra machine-readable facts an error carries (`error.details` in the HTTP body). */
export type ErrorDetails = Record<string, unknown>;

/** Where a code can reach a person, for the generated documentation. */
export type Surface =
  /** An HTTP response body (`{ error: { code, message }, request_id }`). */
  | 'api'
  /** `alaw` on stderr (`오류: … [CODE]`) with its exit code. */
  | 'cli'
  /** A task's `error_code` (GET /api/queue/tasks/{id}, an analysis, `alaw queue status`). */
  | 'task'
  /** A rejected line of an import (`alaw import`, the seed import at start-up). */
  | 'import'
  /** The service refuses to start (stderr, exit 1). */
  | 'startup'
  /** The analysis report's model write-up (`narrative.error.code`). */
  | 'narrative'
  /** Answered by the nginx edge itself (deploy/nginx), in the service's body shape: no code of ours makes it. */
  | 'edge';

/** Exit codes of `alaw`: 1 failure, 2 invalid arguments or settings (or a confirmation is needed), 3 partial import. */
export const EXIT = { ok: 0, failure: 1, usage: 2, partial: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What the catalog writes for one entry. `P` is the type of the values its message names (void: none). */
export interface EntryDefinition<P> {
  /** HTTP status when the error is answered over HTTP (for CLI-only errors, the status it would have). */
  status: number;
  /** One line for the documentation: when this happens (Korean). */
  description: string;
  /** The Korean message, saying what to do; a function of typed values when it names them. */
  message: [P] extends [void] ? string : (params: P) => string;
  surfaces: readonly Surface[];
  /** `alaw`'s exit code; default 2 for 4xx (the caller must change something), 1 otherwise. */
  exit?: ExitCode;
  /** Headers that always go with this error (e.g. `WWW-Authenticate`). */
  headers?: Readonly<Record<string, string>>;
}

/** The arguments of {@link ErrorSpec.error}: the message's values first when it names any. */
export type ErrorArgs<P> = [P] extends [void] ? [details?: ErrorDetails] : [params: P, details?: ErrorDetails];

/** One catalog entry: a stable code with its status, message and documentation. */
export class ErrorSpec<P = void, C extends string = string> {
  readonly status: number;
  readonly description: string;
  readonly surfaces: readonly Surface[];
  readonly exit: ExitCode;
  readonly headers: Readonly<Record<string, string>> | undefined;
  private readonly text: string | ((params: P) => string);

  constructor(
    readonly code: C,
    def: EntryDefinition<P>,
  ) {
    this.status = def.status;
    this.description = def.description;
    this.surfaces = def.surfaces;
    this.exit = def.exit ?? (def.status >= 400 && def.status < 500 ? EXIT.usage : EXIT.failure);
    this.headers = def.headers;
    this.text = def.message;
  }

  /** The Korean message for these values. */
  message(...args: [P] extends [void] ? [] : [params: P]): string {
    return typeof this.text === 'string' ? this.text : this.text(args[0] as P);
  }

  /** A throwable error of this entry. */
  error(...args: ErrorArgs<P>): AlawError {
    const takesParams = typeof this.text === 'function';
    const params = (takesParams ? args[0] : undefined) as P;
    const details = (takesParams ? args[1] : args[0]) as ErrorDetails | undefined;
    const message = typeof this.text === 'string' ? this.text : this.text(params);
    return new AlawError(this, message, details);
  }

  /** Whether an error (or an error-shaped record) carries this entry's code. */
  is(err: unknown): boolean {
    return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === this.code;
  }
}

/**
 * The one error type that crosses module boundaries. It is made only from a
 * catalog entry (`E.SEARCH_QUERY_EMPTY.error()`), so its code, status and
 * message come from one place. Tests assert codes, never message text.
 */
export class AlawError extends Error {
  readonly code: string;
  readonly status: number;
  /** Response headers that go with the error (the entry's own and e.g. `Retry-After` of a 429). */
  headers?: Record<string, string>;

  constructor(
    readonly spec: ErrorSpec<never>,
    message: string,
    readonly details?: ErrorDetails,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AlawError';
    this.code = spec.code;
    this.status = spec.status;
    if (spec.headers) this.headers = { ...spec.headers };
  }

  /** `alaw`'s exit code for this error. */
  get exitCode(): ExitCode {
    return this.spec.exit;
  }

  withHeaders(headers: Record<string, string>): this {
    this.headers = { ...this.headers, ...headers };
    return this;
  }

  /** The same error with a cause attached (for logs; the message is unchanged). */
  because(cause: unknown): this {
    (this as { cause?: unknown }).cause = cause;
    return this;
  }
}

/** True for errors carrying a catalog code and status. */
export function isAlawError(err: unknown): err is AlawError {
  return err instanceof AlawError;
}
