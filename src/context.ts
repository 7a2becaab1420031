import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What a log line written anywhere while serving a request (or running a task
 * a request created) should carry: the request id, and the task id when there
 * is one. The HTTP layer and the task queue set it; the server's logger adds it
 * to every line (a pino mixin), so lines from the queue, the store or the
 * analysis need no logger passed down with the id.
 */
export interface LogContext {
  request_id?: string;
  task_id?: string;
}

export const logContext = new AsyncLocalStorage<LogContext>();
