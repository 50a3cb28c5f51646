import { describe, expect, it } from 'vitest';
import { utf8 } from '../core/bytes.js';
import { isKeelError } from '../core/errors.js';
import { backoffDelayMs } from './backoff.js';
import type { TaskId } from './ids.js';
import { Harness, errorCode } from './tasks.test-kit.js';
import { TaskStateMachine } from './task-state-machine.js';

function cluster(options = {}): Harness {
  const h = new Harness(options);
  h.ok('registerWorker', { kind: 'registerWorker', workerId: 'w1', capacity: 2, handlers: ['square', 'sum'], nowMs: 0 });
  h.ok('registerWorker', { kind: 'registerWorker', workerId: 'w2', capacity: 1, handlers: ['square'], nowMs: 0 });
  return h;
}

describe('submitJob', () => {
  it('assigns ids from the entry index and positions when absent', () => {
    const h = cluster();
    const r = h.ok('submitJob', { kind: 'submitJob', tasks: [{ handler: 'square', input: 1 }, { id: 'x', handler: 'square', input: 2, dependsOn: ['t0'] }] });
    expect(r.jobId).toBe('job-3');
    expect(r.taskIds).toEqual(['job-3/t0', 'job-3/x']);
    const job = h.query({ kind: 'job', jobId: 'job-3' });
    expect(job.kind === 'job' && job.job.counts).toEqual({ pending: 2, running: 0, succeeded: 0, failed: 0, deadLettered: 0, cancelled: 0 });
  });

  it('rejects unknown dependencies, cycles, self-dependencies, duplicate ids and a taken job id', () => {
    const h = cluster();
    const t = (id: string, dependsOn: string[]) => ({ id, handler: 'square', input: null, dependsOn });
    expect(errorCode(h.run({ kind: 'submitJob', tasks: [t('a', ['zz'])] }))).toBe('DEPENDENCY_UNKNOWN');
    const cycle = h.run({ kind: 'submitJob', tasks: [t('a', ['c']), t('b', ['a']), t('c', ['b'])] });
    expect(cycle).toMatchObject({ code: 'DEPENDENCY_CYCLE', message: 'dependency cycle: a -> c -> b -> a' });
    expect(errorCode(h.run({ kind: 'submitJob', tasks: [t('a', ['a'])] }))).toBe('DEPENDENCY_CYCLE');
    expect(errorCode(h.run({ kind: 'submitJob', tasks: [t('a', []), t('a', [])] }))).toBe('DUPLICATE_TASK_ID');
    expect(errorCode(h.run({ kind: 'submitJob', jobId: 'job-7', tasks: [t('a', [])] }))).toBe('INVALID_ARGUMENT');
    h.ok('submitJob', { kind: 'submitJob', jobId: 'mine', tasks: [t('a', [])] });
    expect(errorCode(h.run({ kind: 'submitJob', jobId: 'mine', tasks: [t('a', [])] }))).toBe('JOB_EXISTS');
    expect(errorCode(h.run({ kind: 'submitJob', tasks: [] }))).toBe('INVALID_ARGUMENT');
    expect(errorCode(h.run({ kind: 'submitJob', tasks: [{ handler: 'bad handler', input: 1 }] }))).toBe('INVALID_ARGUMENT');
  });

  it('refuses oversized inputs and too many tasks with clear errors', () => {
    const h = cluster({ inputBytesMax: 16, tasksPerJobMax: 2, tasksMax: 3 });
    expect(h.run({ kind: 'submitJob', tasks: [{ handler: 'square', input: 'x'.repeat(20) }] }))
      .toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: 'tasks[0].input is 22 bytes, inputBytesMax is 16' });
    const task = { handler: 'square', input: 1 };
    expect(errorCode(h.run({ kind: 'submitJob', tasks: [task, task, task] }))).toBe('TASK_LIMIT');
    h.ok('submitJob', { kind: 'submitJob', tasks: [task, task] });
    expect(errorCode(h.run({ kind: 'submitJob', tasks: [task, task] }))).toBe('TASK_LIMIT');
  });

  it('evicts the oldest finished job to make room, never a running one', () => {
    const h = cluster({ jobsMax: 2 });
    const a = h.ok('submitJob', { kind: 'submitJob', tasks: [{ handler: 'square', input: 1 }] });
    h.ok('submitJob', { kind: 'submitJob', tasks: [{ handler: 'square', input: 2 }] });
    expect(errorCode(h.run({ kind: 'submitJob', tasks: [{ handler: 'square', input: 3 }] }))).toBe('JOB_LIMIT');
    const lease = h.ok('assign', { kind: 'assign', taskId: a.taskIds[0] ?? '', workerId: 'w1', nowMs: 1 });
    h.ok('complete', { kind: 'complete', taskId: lease.taskId, attempt: 1, output: 1 });
    const c = h.ok('submitJob', { kind: 'submitJob', tasks: [{ handler: 'square', input: 3 }] });
    expect(c.evictedJobs).toEqual([a.jobId]);
    expect(errorCode(h.query({ kind: 'job', jobId: a.jobId }))).toBe('JOB_NOT_FOUND');
  });
});

describe('leases and fencing', () => {
  it('assign hands out a lease with token = attempt, the input and the checkpoint', () => {
    const h = cluster();
    const { taskIds } = h.ok('submitJob', { kind: 'submitJob', tasks: [{ handler: 'square', input: { n: 3 } }], timeouts: { startToCloseMs: 1000, heartbeatMs: 100 } });
    const a = h.ok('assign', { kind: 'assign', taskId: taskIds[0] ?? '', workerId: 'w1', nowMs: 10 });
    expect(a).toEqual({
      kind: 'assign', taskId: taskIds[0], jobId: 'job-3', handler: 'square', input: { n: 3 },
      lease: { workerId: 'w1', attempt: 1, startedMs: 10, deadlineMs: 1010, heartbeatDeadlineMs: 110 },
    });
  });

  it('refuses assigns to unknown, down, full or unfit workers and of unrunnable tasks', () => {
    const h = cluster();
    const { taskIds } = h.ok('submitJob', {
      kind: 'submitJob', tasks: [{ id: 'a', handler: 'square', input: 1 }, { id: 'b', handler: 'sum', input: 1, dependsOn: ['a'] }, { id: 'c', handler: 'square', input: 1 }],
    });
    const [a = '', b = '', c = ''] = taskIds;
    expect(errorCode(h.run({ kind: 'assign', taskId: 'nope/x', workerId: 'w1', nowMs: 1 }))).toBe('TASK_NOT_FOUND');
    expect(errorCode(h.run({ kind: 'assign', taskId: a, workerId: 'w9', nowMs: 1 }))).toBe('WORKER_NOT_FOUND');
    expect(errorCode(h.run({ kind: 'assign', taskId: b, workerId: 'w1', nowMs: 1 }))).toBe('TASK_NOT_RUNNABLE');
    h.ok('assign', { kind: 'assign', taskId: a, workerId: 'w2', nowMs: 1 });
    expect(errorCode(h.run({ kind: 'assign', taskId: a, workerId: 'w1', nowMs: 1 }))).toBe('TASK_NOT_RUNNABLE');
    expect(errorCode(h.run({ kind: 'assign', taskId: c, workerId: 'w2', nowMs: 1 }))).toBe('WORKER_AT_CAPACITY');
    h.ok('workerDown', { kind: 'workerDown', workerId: 'w2', nowMs: 2 });
    expect(errorCode(h.run({ kind: 'assign', taskId: c, workerId: 'w2', nowMs: 3 }))).toBe('WORKER_DOWN');
    h.ok('complete', { kind: 'complete', taskId: h.ok('assign', { kind: 'assign', taskId: a, workerId: 'w1', nowMs: 3 }).taskId, attempt: 2, output: 1 });
    h.ok('registerWorker', { kind: 'registerWorker', workerId: 'w2', capacity: 1, handlers: ['square'], nowMs: 4 });
    expect(errorCode(h.run({ kind: 'assign', taskId: b, workerId: 'w2', nowMs: 4 }))).toBe('HANDLER_UNSUPPORTED');
  });

  it('commits only the current token: a zombie result after workerDown is rejected and counted', () => {
    const h = cluster();
    const t = h.ok('submitJob', { kind: 'submitJob', tasks: [{ handler: 'square', input: 2 }] }).taskIds[0] ?? '';
    h.ok('assign', { kind: 'assign', taskId: t, workerId: 'w2', nowMs: 5 });
    const down = h.ok('workerDown', { kind: 'workerDown', workerId: 'w2', nowMs: 6 });
    expect(down.ended).toEqual([{ taskId: t, attempt: 1, workerId: 'w2', reason: 'workerDown', outcome: 'retry', notBeforeMs: 6 }]);
    h.ok('assign', { kind: 'assign', taskId: t, workerId: 'w1', nowMs: 6 });
    expect(errorCode(h.run({ kind: 'complete', taskId: t, attempt: 1, output: 'zombie' }))).toBe('STALE_ATTEMPT');
    expect(errorCode(h.run({ kind: 'fail', taskId: t, attempt: 1, error: { message: 'x', retryable: true } }))).toBe('STALE_ATTEMPT');
    expect(errorCode(h.run({ kind: 'checkpoint', taskId: t, attempt: 1, state: 1 }))).toBe('STALE_ATTEMPT');
    expect(errorCode(h.run({ kind: 'complete', taskId: t, attempt: 3, output: 'x' }))).toBe('ATTEMPT_UNKNOWN');
    expect(h.ok('complete', { kind: 'complete', taskId: t, attempt: 2, output: 4 })).toMatchObject({ duplicate: false, jobState: 'succeeded' });
    // A retried complete of the committed attempt is acknowledged, not counted.
    expect(h.ok('complete', { kind: 'complete', taskId: t, attempt: 2, output: 4 })).toMatchObject({ duplicate: true });
    expect(errorCode(h.run({ kind: 'complete', taskId: t, attempt: 1, output: 'late' }))).toBe('STALE_ATTEMPT');
    expect(h.machine.view.zombieResults).toBe(3);
    expect(h.machine.view.zombieCheckpoints).toBe(1);
    const results = h.query({ kind: 'results', jobId: 'job-3' });
    expect(results).toEqual({ kind: 'results', jobId: 'job-3', results: [{ taskId: 't0', output: 4, attempts: 2, worker: 'w1' }], more: false });
  });
});

describe('retries, dead letters, checkpoints', () => {
  it('retries a retryable failure after a deterministic backoff, up to maxAttempts, then dead-letters keeping error and checkpoint', () => {
    const h = cluster();
    const t = h.ok('submitJob', { kind: 'submitJob', tasks: [{ handler: 'square', input: 2 }], maxAttempts: 2, backoff: { initialMs: 100, maxMs: 1000 } }).taskIds[0] ?? '';
    h.ok('assign', { kind: 'assign', taskId: t, workerId: 'w1', nowMs: 0 });
    h.ok('checkpoint', { kind: 'checkpoint', taskId: t, attempt: 1, state: { offset: 10 }, step: { name: 'fetch', result: 'page' } });
    const fail1 = h.ok('fail', { kind: 'fail', taskId: t, attempt: 1, error: { message: 'flaky', retryable: true }, nowMs: 50 });
    const delay = backoffDelayMs({ initialMs: 100, maxMs: 1000 }, t as TaskId, 1);
    expect(delay).toBeGreaterThanOrEqual(50);
    expect(delay).toBeLessThan(100);
    expect(fail1).toMatchObject({ status: 'pending', notBeforeMs: 50 + delay, duplicate: false });
    expect(errorCode(h.run({ kind: 'assign', taskId: t, workerId: 'w1', nowMs: 50 + delay - 1 }))).toBe('TASK_NOT_RUNNABLE');
    const second = h.ok('assign', { kind: 'assign', taskId: t, workerId: 'w1', nowMs: 50 + delay });
    expect(second.checkpoint).toEqual({ state: { offset: 10 }, steps: { fetch: 'page' }, attempt: 1 });
    h.ok('checkpoint', { kind: 'checkpoint', taskId: t, attempt: 2, step: { name: 'parse', result: 7 } });
    expect(h.ok('checkpoint', { kind: 'checkpoint', taskId: t, attempt: 2, step: { name: 'fetch', result: 'other' } }).stepKept).toBe('existing');
    const fail2 = h.ok('fail', { kind: 'fail', taskId: t, attempt: 2, error: { message: 'flaky again', stack: 'at x', retryable: true }, nowMs: 500 });
    expect(fail2).toMatchObject({ status: 'deadLettered', jobState: 'failed' });
    const detail = h.query({ kind: 'task', taskId: t });
    expect(detail.kind === 'task' && detail.task).toMatchObject({
      status: 'deadLettered', attempt: 2,
      lastError: { message: 'flaky again', stack: 'at x', retryable: true, attempt: 2, reason: 'failed' },
      checkpoint: { state: { offset: 10 }, steps: { fetch: 'page', parse: 7 }, attempt: 2 },
    });
    // A retried fail command is recognised.
    expect(h.ok('fail', { kind: 'fail', taskId: t, attempt: 2, error: { message: 'flaky again', retryable: true } }).duplicate).toBe(true);
  });

  it('dead-letters a non-retryable error at once and fails the tasks that depend on it', () => {
    const h = cluster();
    const ids = h.ok('submitJob', {
      kind: 'submitJob', tasks: [
        { id: 'a', handler: 'square', input: 1 }, { id: 'b', handler: 'square', input: 1, dependsOn: ['a'] },
        { id: 'c', handler: 'sum', input: 1, dependsOn: ['b'] }, { id: 'd', handler: 'square', input: 1 },
      ],
    }).taskIds;
    h.ok('assign', { kind: 'assign', taskId: ids[0] ?? '', workerId: 'w1', nowMs: 1 });
    h.ok('fail', { kind: 'fail', taskId: ids[0] ?? '', attempt: 1, error: { message: 'bad input', retryable: false } });
    expect(ids.map((id) => h.status(id))).toEqual(['deadLettered', 'failed', 'failed', 'pending']);
    const job = h.query({ kind: 'job', jobId: 'job-3' });
    expect(job.kind === 'job' && job.job.state).toBe('running');
    h.ok('assign', { kind: 'assign', taskId: ids[3] ?? '', workerId: 'w1', nowMs: 2 });
    expect(h.ok('complete', { kind: 'complete', taskId: ids[3] ?? '', attempt: 1, output: 1 }).jobState).toBe('failed');
  });

  it('runs dependents only after their dependencies succeed', () => {
    const h = cluster();
    const [a = '', b = ''] = h.ok('submitJob', { kind: 'submitJob', tasks: [{ id: 'a', handler: 'square', input: 1 }, { id: 'b', handler: 'sum', input: 1, dependsOn: ['a'] }] }).taskIds;
    expect([...h.machine.view.ready]).toEqual([a]);
    h.ok('assign', { kind: 'assign', taskId: a, workerId: 'w1', nowMs: 1 });
    h.ok('complete', { kind: 'complete', taskId: a, attempt: 1, output: 1 });
    expect([...h.machine.view.ready]).toEqual([b]);
  });

  it('refuses a checkpoint above the limit with sizes in the message', () => {
    const h = cluster({ checkpointBytesMax: 32 });
    const t = h.ok('submitJob', { kind: 'submitJob', tasks: [{ handler: 'square', input: 1 }] }).taskIds[0] ?? '';
    h.ok('assign', { kind: 'assign', taskId: t, workerId: 'w1', nowMs: 1 });
    expect(h.run({ kind: 'checkpoint', taskId: t, attempt: 1, state: 'x'.repeat(40) }))
      .toMatchObject({ code: 'CHECKPOINT_TOO_LARGE', message: `checkpoint of task ${t} is 42 bytes (state plus steps), checkpointBytesMax is 32` });
  });
});

describe('expire, workerDown, cancel', () => {
  it('expires leases past start-to-close and heartbeat deadlines, with backoff', () => {
    const h = cluster();
    const [a = '', b = ''] = h.ok('submitJob', {
      kind: 'submitJob', tasks: [{ handler: 'square', input: 1 }, { handler: 'square', input: 2 }], timeouts: { startToCloseMs: 1000, heartbeatMs: 300 },
    }).taskIds;
    h.ok('assign', { kind: 'assign', taskId: a, workerId: 'w1', nowMs: 0 });
    h.ok('assign', { kind: 'assign', taskId: b, workerId: 'w2', nowMs: 0 });
    expect(h.machine.nextExpiryMs()).toBe(300);
    h.ok('workerHeartbeat', { kind: 'workerHeartbeat', workerId: 'w1', nowMs: 250 });
    const first = h.ok('expire', { kind: 'expire', nowMs: 300 });
    expect(first.ended.map((e) => [e.taskId, e.reason, e.outcome])).toEqual([[b, 'heartbeatTimeout', 'retry']]);
    h.ok('checkpoint', { kind: 'checkpoint', taskId: a, attempt: 1, state: 1, nowMs: 500 });
    expect(h.ok('expire', { kind: 'expire', nowMs: 799 }).ended).toEqual([]);
    expect(h.ok('expire', { kind: 'expire', nowMs: 800 }).ended.map((e) => e.reason)).toEqual(['heartbeatTimeout']);
  });

  it('dead-letters runnable tasks no worker starts within schedule-to-start', () => {
    const h = cluster();
    const t = h.ok('submitJob', { kind: 'submitJob', tasks: [{ handler: 'nobody', input: 1 }], timeouts: { scheduleToStartMs: 100 }, nowMs: 1000 }).taskIds[0] ?? '';
    expect(h.machine.nextExpiryMs()).toBe(1100);
    expect(h.ok('expire', { kind: 'expire', nowMs: 1099 }).unstarted).toEqual([]);
    expect(h.ok('expire', { kind: 'expire', nowMs: 1100 }).unstarted).toEqual([{ taskId: t, attempt: 0 }]);
    expect(h.status(t)).toBe('deadLettered');
  });

  it('cancels a job: pending and running tasks cancelled, leases ended, late results rejected', () => {
    const h = cluster();
    const [a = '', b = ''] = h.ok('submitJob', { kind: 'submitJob', tasks: [{ handler: 'square', input: 1 }, { handler: 'square', input: 2 }] }).taskIds;
    h.ok('assign', { kind: 'assign', taskId: a, workerId: 'w1', nowMs: 0 });
    const cancel = h.ok('cancelJob', { kind: 'cancelJob', jobId: 'job-3' });
    expect(cancel).toMatchObject({ cancelled: 2, ended: [{ taskId: a, attempt: 1, workerId: 'w1', reason: 'cancelled', outcome: 'cancelled' }] });
    expect([h.status(a), h.status(b)]).toEqual(['cancelled', 'cancelled']);
    expect(errorCode(h.run({ kind: 'complete', taskId: a, attempt: 1, output: 1 }))).toBe('STALE_ATTEMPT');
    expect(errorCode(h.run({ kind: 'cancelJob', jobId: 'job-3' }))).toBe('JOB_FINISHED');
    const job = h.query({ kind: 'job', jobId: 'job-3' });
    expect(job.kind === 'job' && job.job.state).toBe('cancelled');
  });

  it('a worker declared down must register again; heartbeats get WORKER_DOWN', () => {
    const h = cluster();
    h.ok('workerDown', { kind: 'workerDown', workerId: 'w1', nowMs: 1 });
    expect(errorCode(h.run({ kind: 'workerHeartbeat', workerId: 'w1', nowMs: 2 }))).toBe('WORKER_DOWN');
    h.ok('registerWorker', { kind: 'registerWorker', workerId: 'w1', capacity: 1, handlers: ['square'], nowMs: 3 });
    h.ok('workerHeartbeat', { kind: 'workerHeartbeat', workerId: 'w1', nowMs: 4 });
  });
});

describe('malformed input never throws', () => {
  const cases: [string, string][] = [
    ['not json', 'nope'],
    ['not an object', '[1]'],
    ['unknown kind', '{"kind":"explode"}'],
    ['unknown field', '{"kind":"expire","nowMs":1,"extra":true}'],
    ['missing field', '{"kind":"assign","taskId":"a/b","nowMs":1}'],
    ['negative time', '{"kind":"expire","nowMs":-1}'],
    ['fractional attempt', '{"kind":"complete","taskId":"a/b","attempt":1.5,"output":1}'],
    ['checkpoint without state or step', '{"kind":"checkpoint","taskId":"a/b","attempt":1}'],
    ['bad policy', '{"kind":"submitJob","tasks":[],"policy":"fastest"}'],
    ['deep payload', `{"kind":"complete","taskId":"a/b","attempt":1,"output":${'['.repeat(100)}${']'.repeat(100)}}`],
  ];
  it.each(cases)('%s is COMMAND_MALFORMED', (_name, text) => {
    const h = cluster();
    expect(errorCode(h.text(text))).toBe('COMMAND_MALFORMED');
  });

  it('invalid UTF-8 and oversized entries give errors', () => {
    const h = cluster();
    expect(errorCode(h.raw(new Uint8Array([0xff, 0xfe])))).toBe('COMMAND_MALFORMED');
    expect(errorCode(h.raw(new Uint8Array(8 * 1024 * 1024 + 1)))).toBe('COMMAND_TOO_LARGE');
  });
});

describe('snapshot and restore', () => {
  it('restores to the same digest and bytes, and refuses corrupt or mismatched snapshots', () => {
    const h = cluster();
    const [a = ''] = h.ok('submitJob', { kind: 'submitJob', tasks: [{ handler: 'square', input: { b: 1, a: [2] } }, { handler: 'sum', input: 0, dependsOn: ['t0'], key: 'k' }] }).taskIds;
    h.ok('assign', { kind: 'assign', taskId: a, workerId: 'w1', nowMs: 3 });
    h.ok('checkpoint', { kind: 'checkpoint', taskId: a, attempt: 1, state: { z: 1, y: 2 }, step: { name: '__proto__', result: 1 } });
    const bytes = h.machine.snapshot();
    const copy = new TaskStateMachine();
    copy.restore(bytes, h.index);
    expect(copy.digest()).toBe(h.machine.digest());
    expect(copy.snapshot()).toEqual(bytes);
    copy.checkInvariants();
    expect(() => copy.restore(bytes, h.index + 1)).toThrow(/appliedIndex/);
    const text = new TextDecoder().decode(bytes);
    const corrupt = utf8(text.replace('"status":"running"', '"status":"succeeded"'));
    let error: unknown;
    try {
      copy.restore(corrupt, h.index);
    } catch (e) {
      error = e;
    }
    expect(isKeelError(error, 'CHECKPOINT_CORRUPT')).toBe(true);
    expect(copy.digest()).toBe(h.machine.digest());
    expect(() => new TaskStateMachine({ workersMax: 1 }).restore(bytes, h.index)).toThrow(/workersMax/);
  });
});
