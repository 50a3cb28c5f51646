/**
 * Property tests of the task state machine and scheduler over random command sequences
 * (submits with DAGs, registrations, worker downs, assigns, scheduler rounds, completes, fails
 * and checkpoints with current, stale and unknown tokens, expiries, cancels, garbage):
 * - at most one committed result per task, and it carries the token of the lease live at commit;
 * - the machine accepts a result, failure or checkpoint exactly when the model's lease is live;
 * - attempts never exceed maxAttempts; every derived count and index recomputes equal;
 * - the scheduler never exceeds a worker's free capacity, never picks a task whose dependencies
 *   are unfinished or whose backoff runs, and every assign it proposes is accepted;
 * - snapshot/restore at a random point gives the same results and digest as applying everything;
 *   two machines fed the same entries agree (replica determinism).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromUtf8 } from '../core/bytes.js';
import { TaskStateMachine } from './task-state-machine.js';
import { opsArb, replayWithRestore, runModel } from './tasks.model.test-kit.js';

export const propertyRuns = 300;

describe('task state machine properties', () => {
  it('fencing, exactly-once results, attempts and scheduler capacity hold against the model', () => {
    fc.assert(fc.property(opsArb, (ops) => {
      runModel(ops);
    }), { numRuns: propertyRuns });
  });

  it('snapshot/restore at any point gives the same results and digest as applying everything', () => {
    fc.assert(fc.property(opsArb, fc.nat(), (ops, at) => {
      const run = runModel(ops);
      const split = run.entries.length === 0 ? 0 : at % (run.entries.length + 1);
      const replay = replayWithRestore(run.entries, split);
      expect(replay.results).toEqual(run.results);
      expect(replay.machine.digest()).toBe(run.machine.digest());
      expect(replay.machine.snapshot()).toEqual(run.machine.snapshot());
    }), { numRuns: 150 });
  });

  it('replicas fed the same entries agree on every result and digest', () => {
    fc.assert(fc.property(opsArb, (ops) => {
      const run = runModel(ops);
      const replica = new TaskStateMachine();
      const results = run.entries.map((command, i) => fromUtf8(replica.apply({ index: i + 1, term: 1, command })));
      expect(results).toEqual(run.results);
      expect(replica.digest()).toBe(run.machine.digest());
    }), { numRuns: 100 });
  });
});
