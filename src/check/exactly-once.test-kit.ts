/**
 * Test helpers for the exactly-once checker: a real TaskStateMachine fed commands, each applied
 * command recorded as the checker reads it; `forge` appends a record the machine never produced
 * (hand-made bad histories).
 */
import { fromUtf8 } from '../core/bytes.js';
import { encodeCommand, TaskStateMachine, type TaskCommand, type TaskResult } from '../tasks/index.js';
import type { AppliedTaskRecord, TaskHistory, WorkerObservation } from './task-history.js';

export class HistoryBuilder {
  readonly machine = new TaskStateMachine();
  readonly log: AppliedTaskRecord[] = [];
  readonly observations: WorkerObservation[] = [];
  private index = 0;

  constructor() {
    this.machine.checkEveryApply = true;
  }

  run(command: TaskCommand): TaskResult {
    this.index += 1;
    const result = JSON.parse(fromUtf8(this.machine.apply({ index: this.index, term: 1, command: encodeCommand(command) }))) as TaskResult;
    this.log.push({ kind: 'applied', index: this.index, command, result });
    return result;
  }

  /** A record the machine never produced. */
  forge(command: TaskCommand, result: TaskResult): void {
    this.index += 1;
    this.log.push({ kind: 'applied', index: this.index, command, result });
  }

  observe(observation: WorkerObservation): void {
    this.observations.push(observation);
  }

  get history(): TaskHistory {
    return { log: [...this.log], observations: [...this.observations] };
  }
}

/** Two workers and a job `j` of `a` then `b` (b depends on a), handler `sq`, inputs 2 and 3. */
export function twoTaskJob(options: { readonly maxAttempts?: number } = {}): HistoryBuilder {
  const h = new HistoryBuilder();
  h.run({ kind: 'registerWorker', workerId: 'w1', capacity: 2, handlers: ['sq'], nowMs: 0 });
  h.run({ kind: 'registerWorker', workerId: 'w2', capacity: 2, handlers: ['sq'], nowMs: 0 });
  h.run({
    kind: 'submitJob', jobId: 'j', tasks: [{ id: 'a', handler: 'sq', input: 2 }, { id: 'b', handler: 'sq', input: 3, dependsOn: ['a'] }],
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }), nowMs: 0,
  });
  return h;
}
