/**
 * The one error type that crosses module boundaries. Every error a user or
 * operator can cause has a stable code (`ALAW_ERR_<AREA>_<NAME>`), an HTTP
 * status and a Korean message that says what to do. Tests assert codes, never
 * message text.
 */
export class AlawError extends Error {
  /** Response headers that go with the error (e.g. `Retry-After` of a 429). */
  headers?: Record<string, string>;

  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AlawError';
  }

  withHeaders(headers: Record<string, string>): this {
    this.headers = { ...this.headers, ...headers };
    return this;
  }
}

/** True for errors carrying a stable code and status. */
export function isAlawError(err: unknown): err is AlawError {
  return err instanceof AlawError;
}
