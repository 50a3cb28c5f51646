import { afterEach, describe, expect, it } from 'vitest';
import { resetTaskBugs, taskBugs } from '../tasks/bugs.js';
import type { JsonValue } from '../tasks/index.js';
import { checkExactlyOnce, type ExactlyOnceReport } from './exactly-once.js';
import { twoTaskJob } from './exactly-once.test-kit.js';

const oracle = (task: { readonly input: JsonValue }): JsonValue => (task.input as number) ** 2;

function violationsOf(report: ExactlyOnceReport): string[] {
  return report.violations.map((v) => `${v.property}: ${v.message}`);
}

afterEach(resetTaskBugs);

describe('exactly-once checker: clean histories', () => {
  it('accepts a job run to the end, with a checkpoint, a retried complete and a resumed attempt', () => {
    const h = twoTaskJob();
    h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w1', nowMs: 1 });
    h.run({ kind: 'checkpoint', taskId: 'j/a', attempt: 1, state: { done: 1 }, step: { name: 'half', result: 2 } });
    h.run({ kind: 'workerDown', workerId: 'w1', nowMs: 2 });
    const resumed = h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w2', nowMs: 3 });
    expect(resumed.kind === 'assign' && resumed.checkpoint?.attempt).toBe(1);
    h.observe({ kind: 'started', atMs: 3, worker: 'w2', taskId: 'j/a', attempt: 2, checkpoint: resumed.kind === 'assign' ? resumed.checkpoint! : { steps: {}, attempt: 0 } });
    h.run({ kind: 'complete', taskId: 'j/a', attempt: 2, output: 4 });
    h.run({ kind: 'complete', taskId: 'j/a', attempt: 2, output: 4 });
    h.observe({ kind: 'response', atMs: 4, worker: 'w2', taskId: 'j/a', attempt: 2, outcome: 'committed' });
    h.run({ kind: 'assign', taskId: 'j/b', workerId: 'w2', nowMs: 5 });
    h.run({ kind: 'complete', taskId: 'j/b', attempt: 1, output: 9 });
    const report = checkExactlyOnce(h.history, { oracle });
    expect(violationsOf(report)).toEqual([]);
    expect(report).toMatchObject({ ok: true, tasks: 2, committed: 2, duplicates: 0, retriedAcks: 1, attempts: 3, resumedFromCheckpoint: 1 });
  });

  it('counts a zombie result refused with STALE_ATTEMPT, and passes', () => {
    const h = twoTaskJob();
    h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w1', nowMs: 1 });
    h.run({ kind: 'workerDown', workerId: 'w1', nowMs: 2 });
    h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w2', nowMs: 3 });
    expect(h.run({ kind: 'complete', taskId: 'j/a', attempt: 1, output: 4 })).toMatchObject({ code: 'STALE_ATTEMPT' });
    h.observe({ kind: 'response', atMs: 4, worker: 'w1', taskId: 'j/a', attempt: 1, outcome: 'stale', code: 'STALE_ATTEMPT' });
    h.run({ kind: 'checkpoint', taskId: 'j/a', attempt: 1, state: 1 });
    h.run({ kind: 'complete', taskId: 'j/a', attempt: 2, output: 4 });
    h.run({ kind: 'assign', taskId: 'j/b', workerId: 'w2', nowMs: 5 });
    h.run({ kind: 'complete', taskId: 'j/b', attempt: 1, output: 9 });
    const report = checkExactlyOnce(h.history, { oracle });
    expect(violationsOf(report)).toEqual([]);
    expect(report).toMatchObject({ ok: true, committed: 2, staleRejected: 1, staleCheckpointsRejected: 1, zombieResultsRefused: 1 });
  });

  it('accepts a task dead-lettered after its last attempt, with its dependent failed', () => {
    const h = twoTaskJob({ maxAttempts: 2 });
    for (const attempt of [1, 2]) {
      h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w1', nowMs: 1000 * attempt });
      h.run({ kind: 'fail', taskId: 'j/a', attempt, error: { message: 'boom', retryable: true } });
    }
    const report = checkExactlyOnce(h.history);
    expect(violationsOf(report)).toEqual([]);
    expect(report).toMatchObject({ ok: true, committed: 0, deadLettered: 1, failed: 1 });
  });

  it('accepts a cancelled job, and lets unfinished tasks pass when not required to finish', () => {
    const h = twoTaskJob();
    h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w1', nowMs: 1 });
    const open = checkExactlyOnce(h.history, { requireFinished: false });
    expect(open).toMatchObject({ ok: true, unfinished: 2 });
    h.run({ kind: 'cancelJob', jobId: 'j' });
    expect(checkExactlyOnce(h.history)).toMatchObject({ ok: true, cancelled: 2 });
  });
});

describe('exactly-once checker: bad histories, one per property', () => {
  it('(a) a task that never finished', () => {
    const h = twoTaskJob();
    h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w1', nowMs: 1 });
    const report = checkExactlyOnce(h.history);
    expect(report.ok).toBe(false);
    expect(violationsOf(report)).toContain('exactly-once: task j/a never finished: running after 1 attempt(s) (live lease: attempt 1 on w1)');
  });

  it('(a) two committed results for one task', () => {
    const h = twoTaskJob();
    h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w1', nowMs: 1 });
    h.run({ kind: 'complete', taskId: 'j/a', attempt: 1, output: 4 });
    h.forge({ kind: 'assign', taskId: 'j/a', workerId: 'w2', nowMs: 2 }, { kind: 'assign', taskId: 'j/a' as never, jobId: 'j' as never, lease: { workerId: 'w2' as never, attempt: 2, startedMs: 2 }, handler: 'sq', input: 2 });
    h.forge({ kind: 'complete', taskId: 'j/a', attempt: 2, output: 4 }, { kind: 'complete', taskId: 'j/a' as never, attempt: 2, duplicate: false, jobState: 'running' });
    const report = checkExactlyOnce(h.history, { requireFinished: false });
    expect(report).toMatchObject({ ok: false, duplicates: 1 });
    expect(report.violations).toContainEqual(expect.objectContaining({
      property: 'exactly-once', taskId: 'j/a', attempt: 2, message: 'task j/a: a second result committed at entry 7 (attempt 2; attempt 1\'s was committed at entry 5)',
    }));
  });

  it('(a) dead-lettered with attempts left', () => {
    const h = twoTaskJob({ maxAttempts: 3 });
    h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w1', nowMs: 1 });
    h.forge({ kind: 'fail', taskId: 'j/a', attempt: 1, error: { message: 'x', retryable: true } }, { kind: 'fail', taskId: 'j/a' as never, attempt: 1, duplicate: false, status: 'deadLettered', jobState: 'failed' });
    expect(violationsOf(checkExactlyOnce(h.history))).toContain('exactly-once: task j/a dead-lettered after attempt 1 of 3 with a retryable error');
  });

  it('(a) an acknowledged result the log does not hold', () => {
    const h = twoTaskJob();
    h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w1', nowMs: 1 });
    h.observe({ kind: 'response', atMs: 2, worker: 'w1', taskId: 'j/a', attempt: 1, outcome: 'committed' });
    expect(violationsOf(checkExactlyOnce(h.history, { requireFinished: false })))
      .toEqual(['exactly-once: task j/a: w1 was told attempt 1\'s result was committed, but the log committed none']);
  });

  it('(b) a stale result committed (the real machine with taskBugs.acceptStaleResults on)', () => {
    taskBugs.acceptStaleResults = true;
    const h = twoTaskJob();
    h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w1', nowMs: 1 });
    h.run({ kind: 'workerDown', workerId: 'w1', nowMs: 2 });
    h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w2', nowMs: 3 });
    expect(h.run({ kind: 'complete', taskId: 'j/a', attempt: 1, output: 4 })).toMatchObject({ kind: 'complete', duplicate: false });
    const report = checkExactlyOnce(h.history, { requireFinished: false });
    expect(report.ok).toBe(false);
    expect(report.violations[0]).toEqual({
      property: 'fencing', taskId: 'j/a', attempt: 1, index: 7,
      message: 'task j/a: result of attempt 1 committed at entry 7 with a stale token (live lease: attempt 2 on w2)',
    });
  });

  it('(b) a live token refused as stale, and an attempt ended that was not live', () => {
    const h = twoTaskJob();
    h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w1', nowMs: 1 });
    h.forge({ kind: 'complete', taskId: 'j/a', attempt: 1, output: 4 }, { kind: 'error', code: 'STALE_ATTEMPT', message: 'forged' });
    h.forge({ kind: 'workerDown', workerId: 'w2', nowMs: 2 }, { kind: 'workerDown', workerId: 'w2' as never, ended: [{ taskId: 'j/a' as never, attempt: 1, workerId: 'w2' as never, reason: 'workerDown', outcome: 'retry' }] });
    const messages = violationsOf(checkExactlyOnce(h.history, { requireFinished: false }));
    expect(messages).toContain('fencing: task j/a: complete of attempt 1 refused as stale at entry 5, but that attempt holds the live lease');
    expect(messages).toContain('fencing: task j/a: entry 6 ended attempt 1 on w2 (workerDown), but the live lease is attempt 1 on w1');
  });

  it('(c) a checkpoint accepted from an old attempt, and an attempt started from an older checkpoint', () => {
    const h = twoTaskJob();
    h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w1', nowMs: 1 });
    h.run({ kind: 'checkpoint', taskId: 'j/a', attempt: 1, state: 1 });
    h.run({ kind: 'workerDown', workerId: 'w1', nowMs: 2 });
    h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w2', nowMs: 3 });
    h.run({ kind: 'checkpoint', taskId: 'j/a', attempt: 2, state: 2 });
    h.forge({ kind: 'checkpoint', taskId: 'j/a', attempt: 1, state: 1 }, { kind: 'checkpoint', taskId: 'j/a' as never, attempt: 1, sizeBytes: 1 });
    h.run({ kind: 'workerDown', workerId: 'w2', nowMs: 4 });
    h.run({ kind: 'registerWorker', workerId: 'w3', capacity: 1, handlers: ['sq'], nowMs: 5 });
    // The machine hands attempt 3 attempt 2's checkpoint; the forged entry above made the model's the older one.
    h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w3', nowMs: 6 });
    const messages = violationsOf(checkExactlyOnce(h.history, { requireFinished: false }));
    expect(messages).toContain('checkpoints: task j/a: checkpoint of attempt 1 accepted at entry 9 while the live lease is attempt 2 on w2');
    expect(messages).toContain('checkpoints: task j/a: checkpoint of attempt 1 accepted after one of attempt 2 (went backwards)');
    expect(messages).toContain('checkpoints: task j/a: attempt 3 starts from attempt 2\'s checkpoint, but the last accepted is attempt 1\'s (entry 9)');
  });

  it('(c) a worker that resumed from a checkpoint other than the one its assign carried', () => {
    const h = twoTaskJob();
    h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w1', nowMs: 1 });
    h.observe({ kind: 'started', atMs: 1, worker: 'w1', taskId: 'j/a', attempt: 1, checkpoint: { state: 'old', steps: {}, attempt: 1 } });
    h.observe({ kind: 'started', atMs: 1, worker: 'w2', taskId: 'j/a', attempt: 2 });
    const messages = violationsOf(checkExactlyOnce(h.history, { requireFinished: false }));
    expect(messages).toEqual([
      'checkpoints: task j/a: attempt 1 started from a checkpoint other than the one its assign (entry 4) carried',
      'worker: task j/a: w2 started attempt 2, which the log never assigned',
    ]);
  });

  it('(d) a committed output that differs from the oracle', () => {
    const h = twoTaskJob();
    h.run({ kind: 'assign', taskId: 'j/a', workerId: 'w1', nowMs: 1 });
    h.run({ kind: 'complete', taskId: 'j/a', attempt: 1, output: 5 });
    h.run({ kind: 'assign', taskId: 'j/b', workerId: 'w1', nowMs: 2 });
    h.run({ kind: 'complete', taskId: 'j/b', attempt: 1, output: 9 });
    const report = checkExactlyOnce(h.history, { oracle });
    expect(violationsOf(report)).toEqual(['oracle: task j/a: committed output 5 (attempt 1), expected 4']);
    expect(checkExactlyOnce(h.history).ok).toBe(true);
  });

  it('lifecycle: a task that ran before its dependency succeeded', () => {
    const h = twoTaskJob();
    h.forge({ kind: 'assign', taskId: 'j/b', workerId: 'w1', nowMs: 1 }, { kind: 'assign', taskId: 'j/b' as never, jobId: 'j' as never, lease: { workerId: 'w1' as never, attempt: 1, startedMs: 1 }, handler: 'sq', input: 3 });
    expect(violationsOf(checkExactlyOnce(h.history, { requireFinished: false }))).toEqual(['lifecycle: task j/b: attempt 1 started while its dependency j/a is pending']);
  });
});
