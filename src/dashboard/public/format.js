/** Formatting of times, durations, numbers, and the words for each timeline event. */

/** @typedef {import('./types.js').TimelineEvent} TimelineEvent */

/**
 * Wall-clock time of day with milliseconds, 24 h.
 * @param {number} ms
 */
export function clock(ms) {
  const d = new Date(ms);
  const two = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/**
 * @param {number | null} ms
 * @returns {string}
 */
export function duration(ms) {
  if (ms === null) return '?';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1_000);
  return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
}

/**
 * @param {number} n
 * @param {number} [digits]
 */
export function num(n, digits = 0) {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * @param {number} n  a rate per second
 */
export function rate(n) {
  return num(n, n > 0 && n < 10 ? 1 : 0);
}

/** Ids longer than this are cut in titles (the full id is in the jobs panel). */
const idShownMax = 14;

/**
 * @param {string} id
 */
export function shortId(id) {
  return id.length <= idShownMax ? id : `${id.slice(0, idShownMax - 1)}…`;
}

/**
 * How the page tells an event: tone (fault, recovery, info), a title, and the duration worth showing.
 * @param {TimelineEvent} e
 * @returns {{ tone: 'fault' | 'recovery' | 'info', title: string, detail: string, durationMs: number | null, durationLabel: string }}
 */
export function describe(e) {
  switch (e.kind) {
    case 'leaderLost':
      return { tone: 'fault', title: `Leader ${e.leaderId} lost`, detail: `term ${e.term}`, durationMs: null, durationLabel: '' };
    case 'leaderElected':
      return {
        tone: e.failoverMs === null ? 'info' : 'recovery',
        title: `${e.leaderId} elected leader`,
        detail: e.previousLeaderId === null ? `term ${e.term}`
          : e.failoverMs === null ? `term ${e.term}, took over from ${e.previousLeaderId}` : `term ${e.term}, after ${e.previousLeaderId} was lost`,
        durationMs: e.failoverMs, durationLabel: 'failover',
      };
    case 'memberUnhealthy':
      return { tone: 'fault', title: `Member ${e.memberId} unreachable`, detail: 'no heartbeat or status', durationMs: null, durationLabel: '' };
    case 'memberHealthy':
      return { tone: 'recovery', title: `Member ${e.memberId} healthy again`, detail: 'answering again', durationMs: e.downMs, durationLabel: 'down' };
    case 'workerDown':
      return {
        tone: 'fault', title: `Worker ${shortId(e.workerId)} down`,
        detail: e.runningTasks === 1 ? '1 task to reschedule' : `${e.runningTasks} tasks to reschedule`, durationMs: null, durationLabel: '',
      };
    case 'workerUp':
      return e.rejoined
        ? { tone: 'recovery', title: `Worker ${shortId(e.workerId)} back`, detail: 'registered again', durationMs: e.downMs, durationLabel: 'down' }
        : { tone: 'info', title: `Worker ${shortId(e.workerId)} joined`, detail: 'registered', durationMs: null, durationLabel: '' };
    case 'jobSubmitted':
      return { tone: 'info', title: `Job ${shortId(e.jobId)} submitted`, detail: `${num(e.total)} tasks`, durationMs: null, durationLabel: '' };
    case 'jobFinished':
      return {
        tone: e.state === 'succeeded' ? 'recovery' : e.state === 'failed' ? 'fault' : 'info',
        title: `Job ${shortId(e.jobId)} ${e.state}`,
        detail: `${num(e.counts.succeeded)} succeeded, ${num(e.counts.failed + e.counts.deadLettered)} failed`,
        durationMs: e.durationMs, durationLabel: 'took',
      };
    default:
      return unknownEvent(e);
  }
}

/**
 * A newer server may send kinds this page does not know: show them plainly.
 * @param {never} e
 * @returns {ReturnType<typeof describe>}
 */
function unknownEvent(e) {
  const kind = /** @type {{ kind?: unknown }} */ (e).kind;
  return { tone: 'info', title: String(kind), detail: '', durationMs: null, durationLabel: '' };
}
