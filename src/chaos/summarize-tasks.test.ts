/**
 * The tasks workload's checker on hand-made records: a clean run passes, and every kind of
 * planted fault (a duplicate commit, a wrong output, a zombie's result, a lost task) is caught
 * and fails the run; dead letters only warn; worker recovery is measured from the events.
 */
import { describe, expect, it } from 'vitest';
import type { ResultView, WorkerId } from '../tasks/index.js';
import { summarize, warningsOf } from './summarize.js';
import { outputProblem, summarizeTasks, taskMarks, type TasksFinal } from './summarize-tasks.js';
import type { ChaosJobRecord, ChaosTaskSpec, TaskEventRecord } from './task-records.js';
import type { FaultRecord } from './types.js';

const ms = 1e6;
const w = (id: string): WorkerId => id as WorkerId;
const s = 1e9;

const specs: ChaosTaskSpec[] = [
  { id: 's0', handler: 'square', input: { n: 3 } },
  { id: 's1', handler: 'square', input: { n: 4 } },
  { id: 'c2', handler: 'count', input: { steps: 6, stepMs: 100 } },
];

const goodResults: ResultView[] = [
  { taskId: 's0', output: { n: 3, square: 9, attempt: 1, worker: 'w1' }, attempts: 1, worker: w('w1') },
  // Its first attempt was on w1 (killed): the second, on w2, committed.
  { taskId: 's1', output: { n: 4, square: 16, attempt: 2, worker: 'w2' }, attempts: 2, worker: w('w2') },
  { taskId: 'c2', output: { at: 6, resumedFrom: [3], attempt: 2, worker: 'w2' }, attempts: 2, worker: w('w2') },
];

const ev = (atMs: number, taskId: string, event: TaskEventRecord['event'], attempt: number, extra: Partial<TaskEventRecord> = {}): TaskEventRecord =>
  ({ atNs: atMs * ms, taskId, event, attempt, ...extra });

const goodEvents: TaskEventRecord[] = [
  ev(100, 's0', 'assigned', 1, { worker: 'w1' }), ev(150, 's0', 'succeeded', 1),
  ev(100, 's1', 'assigned', 1, { worker: 'w1' }), ev(100, 'c2', 'assigned', 1, { worker: 'w1' }),
  // w1 is killed at 1 s; its two leases end at 1.3 s and run again at 1.4 and 1.6 s.
  ev(1300, 's1', 'retry', 1, { worker: 'w1', reason: 'workerDown' }), ev(1300, 'c2', 'retry', 1, { worker: 'w1', reason: 'workerDown' }),
  ev(1400, 's1', 'assigned', 2, { worker: 'w2' }), ev(1450, 's1', 'succeeded', 2),
  ev(1600, 'c2', 'assigned', 2, { worker: 'w2' }), ev(2000, 'c2', 'succeeded', 2),
  // The same commit seen again through another node after a reconnect: not a duplicate.
  ev(2100, 'c2', 'succeeded', 2),
];

function job(overrides: Partial<ChaosJobRecord> = {}): ChaosJobRecord {
  return {
    jobId: 'j-1', tasks: specs, submitNs: 50 * ms, ackNs: 60 * ms, submit: 'ok', endNs: 2_100 * ms, state: 'succeeded',
    results: goodResults, unfinished: [], events: goodEvents, ...overrides,
  };
}

const workerKill: FaultRecord = { id: 1, kind: 'worker-kill', targets: ['w1'], detail: 'kill -9 worker w1', startNs: 1 * s, endNs: 2 * s, recoveryFromNs: 1 * s };

function final(jobs: ChaosJobRecord[]): TasksFinal {
  return { jobs, metrics: { nodesAnswered: 3, zombieResultsRejected: 2, zombieCheckpointsRejected: 1 }, workers: { initial: 3, started: 4, capacity: 4 } };
}

describe('summarizeTasks: a clean run', () => {
  const verdict = summarizeTasks(final([job(), job({ jobId: 'j-2', submit: 'fail', results: null, events: [] })]), [workerKill]);

  it('passes and counts', () => {
    expect(verdict.violations).toEqual([]);
    expect(verdict.safe).toBe(true);
    expect(verdict.summary).toMatchObject({
      jobs: { submitted: 2, accepted: 1, finished: 1, unknown: 0 }, tasks: 3, committed: 3, duplicates: 0, wrongOutputs: 0, staleResults: 0, lost: 0,
      deadLettered: 0, resumedFromCheckpoint: 1, stepsSaved: 3, extraAttempts: 2, endedByWorkerDown: 2, endedByFalseSuspicion: 0, zombieResultsRejected: 2, zombieCheckpointsRejected: 1,
    });
    expect(verdict.ops).toEqual({ total: 2, ok: 1, failed: 1, indeterminate: 0 });
  });

  it('measures worker recovery from the fault to each held task being assigned again', () => {
    expect(verdict.workerFaults.get(1)).toEqual({ recoveryMs: 600, heldTasks: 2 });
    expect(verdict.summary.workerRecovery.perTask).toEqual({ count: 2, medianMs: 500, p99Ms: 598, maxMs: 600 });
    expect(verdict.summary.workerRecovery.perFault).toEqual({ count: 1, medianMs: 600, p99Ms: 600, maxMs: 600 });
  });

  it('counts attempts ended by workerDown of a worker no fault had hit as false suspicions', () => {
    const pause: FaultRecord = { ...workerKill, id: 2, kind: 'worker-pause', targets: ['w2'], startNs: 3 * s, endNs: 4 * s, recoveryFromNs: 3 * s };
    const events = [...goodEvents, ev(3500, 's0', 'retry', 3, { worker: 'w2', reason: 'workerDown' }), ev(9500, 's0', 'retry', 4, { worker: 'w2', reason: 'workerDown' }),
      ev(9800, 's0', 'retry', 5, { worker: 'w3', reason: 'workerDown' })];
    const v = summarizeTasks(final([job({ events })]), [workerKill, pause]);
    // w2 at 3.5 s: paused; at 9.5 s: more than 5 s after the pause ended; w3: never hit.
    expect([v.summary.endedByWorkerDown, v.summary.endedByFalseSuspicion]).toEqual([5, 2]);
  });

  it('gives commits as writes (first succeeded event seen) and plot marks', () => {
    expect(verdict.commits.map((c) => c.return / ms)).toEqual([150, 1450, 2000]);
    expect(taskMarks([job()]).map((m) => [m.key, m.status, m.return === null ? null : m.return / ms])).toEqual([
      ['j-1/s0', 'ok', 150], ['j-1/s1', 'ok', 1450], ['j-1/c2', 'ok', 2000],
    ]);
  });
});

describe('summarizeTasks: planted faults are caught', () => {
  const verdictOf = (j: ChaosJobRecord): ReturnType<typeof summarizeTasks> => summarizeTasks(final([j]), []);

  it('a result listed twice is a duplicate', () => {
    const v = verdictOf(job({ results: [...goodResults, goodResults[0]!] }));
    expect(v.summary.duplicates).toBe(1);
    expect(v.summary.committed).toBe(2);
    expect(v.violations).toEqual(['tasks: 1 committed more than once: j-1/s0 (listed 2 times in the results)']);
    expect(v.safe).toBe(false);
  });

  it('commits of two attempts of one task are a duplicate, even with one result listed', () => {
    const v = verdictOf(job({ events: [...goodEvents, ev(1500, 's1', 'succeeded', 1)] }));
    expect(v.summary.duplicates).toBe(1);
    expect(v.violations[0]).toMatch(/j-1\/s1 \(commits of attempts 1, 2 seen\)/);
  });

  it('a wrong output, and a result for a task the job does not have', () => {
    const results = goodResults.map((r) => (r.taskId === 's1' ? { ...r, output: { n: 4, square: 15, attempt: 2, worker: 'w2' } } : r));
    const v = verdictOf(job({ results: [...results, { taskId: 'x9', output: null, attempts: 1, worker: w('w1') }] }));
    expect(v.summary.wrongOutputs).toBe(2);
    expect(v.violations[0]).toMatch(/^tasks: 2 with a wrong output: j-1\/s1 \(square of 4 gave \{"n":4,"square":15\}.*j-1\/x9 \(a result for a task the job does not have\)$/);
  });

  it('a zombie\'s result (an older attempt\'s output) and a result from another worker are stale', () => {
    const results = goodResults.map((r) => {
      if (r.taskId === 's1') return { ...r, output: { n: 4, square: 16, attempt: 1, worker: 'w1' } };
      if (r.taskId === 'c2') return { ...r, output: { at: 6, resumedFrom: [3], attempt: 2, worker: 'w3' } };
      return r;
    });
    const v = verdictOf(job({ results }));
    expect(v.summary.staleResults).toBe(2);
    expect(v.violations[0]).toMatch(/produced by attempt 1, the task's last attempt is 2.*produced on w3, the result names w2/);
  });

  it('a task without a result that is still running, or whose job cannot be read, is lost; a dead letter only warns', () => {
    const lost = verdictOf(job({ results: goodResults.slice(0, 2), unfinished: [{ id: 'c2', status: 'running', attempt: 3 }], state: 'running' }));
    expect(lost.summary.lost).toBe(1);
    expect(lost.violations).toEqual(['tasks: 1 lost (no result and not dead-lettered after the final heal): j-1/c2 (running after 3 attempt(s))']);
    const unread = verdictOf(job({ results: null }));
    expect(unread.summary.lost).toBe(3);
    const dead = verdictOf(job({ results: goodResults.slice(0, 2), unfinished: [{ id: 'c2', status: 'deadLettered', attempt: 20 }], state: 'failed' }));
    expect(dead.violations).toEqual([]);
    expect(dead.summary.deadLettered).toBe(1);
  });

  it('checks count outputs: at = steps, resumptions growing within 1..steps', () => {
    const count = specs[2]!;
    expect(outputProblem(count, { at: 6, resumedFrom: [], attempt: 1 })).toBeUndefined();
    expect(outputProblem(count, { at: 6, resumedFrom: [2, 6], attempt: 3 })).toBeUndefined();
    expect(outputProblem(count, { at: 5, resumedFrom: [], attempt: 1 })).toMatch(/ended at 5/);
    expect(outputProblem(count, { at: 6, resumedFrom: [4, 2], attempt: 3 })).toMatch(/must grow/);
    expect(outputProblem(count, { at: 6, resumedFrom: [0], attempt: 2 })).toMatch(/must grow/);
    expect(outputProblem(specs[0]!, 'nine')).toMatch(/not an object/);
  });
});

describe('summarize: the tasks workload', () => {
  const input = (jobs: ChaosJobRecord[], faults: FaultRecord[] = [workerKill], finalHealNs = 1.9 * s) => ({
    seed: 1, nodes: 3, workload: 'tasks' as const, nemeses: ['worker-kill' as const], durationNs: 3 * s, finalHealNs, history: [], faults, tasksFinal: final(jobs),
  });

  it('uses task commits for recovery, availability and liveness, and the held tasks for worker faults', () => {
    const summary = summarize(input([job()]));
    expect(summary.violations).toEqual([]);
    expect(summary.linearizable).toBe(true);
    expect(summary.faults).toEqual([{ id: 1, kind: 'worker-kill', detail: 'kill -9 worker w1', recoveryMs: 600, recovered: true, heldTasks: 2 }]);
    expect(summary.recoveryByKind['worker-kill']).toEqual({ count: 1, recovered: 1, rate: 1, medianMs: 600, p99Ms: 600, maxMs: 600 });
    // Commits at 0.15, 1.45 and 2.0 s: windows 0, 1 and 2 of 3.
    expect(summary.availability).toBe(1);
    // The commit seen at 2.0 s is the first after the heal at 1.9 s (its job was submitted before).
    expect(summary.liveness).toEqual({ ok: true, healAtMs: 1900, firstWriteAfterHealMs: 100 });
    expect(summary.tasks?.committed).toBe(3);
    expect(warningsOf(summary)).toEqual([]);
  });

  it('falls back to the first commit for a worker fault that held no task', () => {
    const idle: FaultRecord = { ...workerKill, id: 2, targets: ['w9'], detail: 'kill -9 worker w9', startNs: 1.42 * s, recoveryFromNs: 1.42 * s };
    const summary = summarize(input([job()], [idle]));
    expect(summary.faults[0]).toEqual({ id: 2, kind: 'worker-kill', detail: 'kill -9 worker w9', recoveryMs: 30, recovered: true, heldTasks: 0 });
  });

  it('fails the run on a planted duplicate and on no commit after the heal, and warns about dead letters', () => {
    const late = summarize(input([job({ results: goodResults.slice(0, 2), unfinished: [{ id: 'c2', status: 'deadLettered', attempt: 20 }] })]));
    expect(late.violations).toEqual(['liveness: no task commit within 10000 ms of the final heal at 1900 ms (none came)']);
    const summary = summarize(input([job({ results: [...goodResults, goodResults[1]!] })]));
    expect(summary.violations).toHaveLength(1);
    expect(summary.linearizable).toBe(false);
    expect(summary.tasks?.duplicates).toBe(1);
    const dead = summarize(input([job({ results: goodResults.slice(0, 2), unfinished: [{ id: 'c2', status: 'deadLettered', attempt: 20 }] })], [workerKill], 1.4 * s));
    expect(dead.violations).toEqual([]);
    expect(warningsOf(dead)).toEqual(['1 task(s) dead-lettered: faults used up their attempts (the handlers never fail by themselves)']);
  });
});
