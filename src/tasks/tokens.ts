/** The fencing check shared by checkpoint, complete and fail. */
import type { TaskRecord } from './state.js';

/**
 * `current`: the task runs under a lease with this token; only such a command may change it.
 * `stale`: an older token, or this token after its lease ended (revoked, expired, cancelled):
 * a zombie. `unknown`: a token never handed out (a bug in the caller).
 */
export type TokenVerdict = 'current' | 'stale' | 'unknown';

export function checkToken(task: TaskRecord, attempt: number): TokenVerdict {
  if (attempt > task.attempt) return 'unknown';
  if (task.status === 'running' && task.lease?.attempt === attempt) return 'current';
  return 'stale';
}
