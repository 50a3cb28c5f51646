/**
 * A model-based run of the task state machine: random abstract operations resolved against a
 * deliberately simple model of leases (who holds which token until when), so the machine's
 * fencing decisions are checked against an independent account, not against itself.
 */
import fc from 'fast-check';
import { fromUtf8 } from '../core/bytes.js';
import { seededRandom } from '../core/prng.js';
import type { TaskCommand } from './commands.js';
import { encodeCommand } from './encode.js';
import type { TaskId } from './ids.js';
import type { TaskResult } from './results.js';
import { Scheduler } from './scheduler.js';
import { TaskStateMachine } from './task-state-machine.js';

export type Op =
  | { readonly op: 'submit'; readonly deps: readonly (readonly number[])[]; readonly maxAttempts: number; readonly startToCloseMs?: number; readonly handler: number }
  | { readonly op: 'register'; readonly worker: number; readonly capacity: number }
  | { readonly op: 'down'; readonly worker: number }
  | { readonly op: 'assign'; readonly task: number; readonly worker: number }
  | { readonly op: 'schedule'; readonly seed: number }
  | { readonly op: 'complete'; readonly task: number; readonly delta: number }
  | { readonly op: 'fail'; readonly task: number; readonly delta: number; readonly retryable: boolean }
  | { readonly op: 'checkpoint'; readonly task: number; readonly delta: number }
  | { readonly op: 'expire' }
  | { readonly op: 'cancel'; readonly job: number }
  | { readonly op: 'garbage' };

export interface TimedOp { readonly op: Op; readonly advanceMs: number }

const handlers = ['h1', 'h2'];
const workerIds = ['w1', 'w2', 'w3'];

export const opArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({
    op: fc.constant('submit' as const),
    deps: fc.array(fc.array(fc.nat(3), { maxLength: 2 }), { minLength: 1, maxLength: 4 }),
    maxAttempts: fc.integer({ min: 1, max: 3 }),
    startToCloseMs: fc.option(fc.constantFrom(50, 200), { nil: undefined }),
    handler: fc.nat(1),
  }, { requiredKeys: ['op', 'deps', 'maxAttempts', 'handler'] }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('register' as const), worker: fc.nat(2), capacity: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('down' as const), worker: fc.nat(2) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('assign' as const), task: fc.nat(50), worker: fc.nat(2) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('schedule' as const), seed: fc.nat() }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('complete' as const), task: fc.nat(50), delta: fc.constantFrom(0, 0, 0, -1, -2, 1) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('fail' as const), task: fc.nat(50), delta: fc.constantFrom(0, 0, -1), retryable: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('checkpoint' as const), task: fc.nat(50), delta: fc.constantFrom(0, -1) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'expire' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cancel' as const), job: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'garbage' as const }) },
);

export const opsArb: fc.Arbitrary<TimedOp[]> = fc.array(fc.record({ op: opArb as fc.Arbitrary<Op>, advanceMs: fc.constantFrom(0, 1, 10, 60, 300) }), { minLength: 10, maxLength: 100 });

interface ModelLease { readonly attempt: number; readonly worker: string; readonly deadlineMs: number | undefined }
interface ModelTask { readonly jobId: string; started: number; lease?: ModelLease; committed?: number; readonly maxAttempts: number }

export interface RunRecord {
  /** Every entry applied, in order (for replay and snapshot checks). */
  readonly entries: Uint8Array[];
  readonly results: string[];
  readonly machine: TaskStateMachine;
}

/** Throws (an assertion or expect-style Error) when an invariant breaks. */
export function runModel(ops: readonly TimedOp[]): RunRecord {
  const machine = new TaskStateMachine();
  machine.checkEveryApply = true;
  const scheduler = new Scheduler();
  const model = new Map<string, ModelTask>();
  const taskOrder: string[] = [];
  const jobOrder: string[] = [];
  const entries: Uint8Array[] = [];
  const results: string[] = [];
  let nowMs = 0;
  const fail = (message: string): never => {
    throw new Error(`invariant broken: ${message}`);
  };
  const apply = (command: TaskCommand | Uint8Array): TaskResult => {
    const bytes = command instanceof Uint8Array ? command : encodeCommand(command);
    entries.push(bytes);
    const out = fromUtf8(machine.apply({ index: entries.length, term: 1, command: bytes }));
    results.push(out);
    return JSON.parse(out) as TaskResult;
  };
  const modelTask = (id: string): ModelTask => model.get(id) ?? fail(`model lacks ${id}`);
  const endLeases = (predicate: (t: ModelTask) => boolean): void => {
    for (const t of model.values()) if (t.lease !== undefined && predicate(t)) delete t.lease;
  };
  /** Even refs pick among tasks the model has leased (where zombies and fencing matter), odd refs among all. */
  const pickTask = (n: number): string | undefined => {
    const leased = n % 2 === 0 ? taskOrder.filter((id) => model.get(id)?.lease !== undefined) : [];
    const pool = leased.length > 0 ? leased : taskOrder;
    return pool.length === 0 ? undefined : pool[Math.floor(n / 2) % pool.length];
  };
  const onAssigned = (result: TaskResult, workerId: string): void => {
    if (result.kind !== 'assign') return;
    const t = modelTask(result.taskId);
    if (t.lease !== undefined) fail(`${result.taskId} assigned while the model holds lease ${t.lease.attempt}`);
    t.started += 1;
    if (result.lease.attempt !== t.started) fail(`${result.taskId} lease token ${result.lease.attempt}, model counts ${t.started} attempts`);
    if (t.started > t.maxAttempts) fail(`${result.taskId} attempt ${t.started} above maxAttempts ${t.maxAttempts}`);
    t.lease = { attempt: result.lease.attempt, worker: workerId, deadlineMs: result.lease.deadlineMs };
  };
  /** The model's verdict on a result-bearing command: is `attempt` the live lease's token? */
  const current = (t: ModelTask, attempt: number): boolean => t.lease?.attempt === attempt;

  apply({ kind: 'registerWorker', workerId: 'w1', capacity: 2, handlers, nowMs });
  apply({ kind: 'registerWorker', workerId: 'w2', capacity: 1, handlers: ['h2'], nowMs });
  for (const { op, advanceMs } of ops) {
    nowMs += advanceMs;
    switch (op.op) {
      case 'submit': {
        const tasks = op.deps.map((deps, i) => ({
          handler: handlers[op.handler] ?? 'h1', input: i,
          ...(i === 0 ? {} : { dependsOn: [...new Set(deps.map((d) => `t${d % i}`))] }),
        }));
        const r = apply({ kind: 'submitJob', tasks, maxAttempts: op.maxAttempts, nowMs, ...(op.startToCloseMs === undefined ? {} : { timeouts: { startToCloseMs: op.startToCloseMs } }) });
        if (r.kind !== 'submitJob') fail(`submit refused: ${JSON.stringify(r)}`);
        if (r.kind === 'submitJob') {
          jobOrder.push(r.jobId);
          for (const id of r.taskIds) {
            taskOrder.push(id);
            model.set(id, { jobId: r.jobId, started: 0, maxAttempts: op.maxAttempts });
          }
        }
        break;
      }
      case 'register':
        apply({ kind: 'registerWorker', workerId: workerIds[op.worker] ?? 'w1', capacity: op.capacity, handlers: op.worker === 2 ? ['h1'] : handlers, nowMs });
        break;
      case 'down': {
        const worker = workerIds[op.worker] ?? 'w1';
        const r = apply({ kind: 'workerDown', workerId: worker, nowMs });
        if (r.kind === 'workerDown') endLeases((t) => t.lease?.worker === worker);
        break;
      }
      case 'assign': {
        const taskId = pickTask(op.task);
        if (taskId === undefined) break;
        const worker = workerIds[op.worker] ?? 'w1';
        onAssigned(apply({ kind: 'assign', taskId, workerId: worker, nowMs }), worker);
        break;
      }
      case 'schedule': {
        const view = machine.view;
        const assigns = scheduler.schedule({ state: view, nowMs, random: seededRandom(op.seed) });
        const given = new Map<string, number>();
        for (const a of assigns) {
          const worker = view.workers.get(a.workerId) ?? fail(`scheduler picked unknown worker ${a.workerId}`);
          const task = view.tasks.get(a.taskId as TaskId) ?? fail(`scheduler picked unknown task ${a.taskId}`);
          given.set(a.workerId, (given.get(a.workerId) ?? 0) + 1);
          if (worker.leases.size + (given.get(a.workerId) ?? 0) > worker.capacity) fail(`scheduler overfills ${a.workerId}`);
          if (worker.status !== 'up') fail(`scheduler picked down worker ${a.workerId}`);
          if (task.status !== 'pending' || task.notBeforeMs > nowMs) fail(`scheduler picked ${a.taskId} (${task.status}, notBefore ${task.notBeforeMs})`);
          for (const dep of task.dependsOn) if (view.tasks.get(dep)?.status !== 'succeeded') fail(`scheduler picked ${a.taskId} before ${dep} succeeded`);
        }
        if (new Set(assigns.map((a) => a.taskId)).size !== assigns.length) fail('scheduler assigned a task twice');
        for (const a of assigns) {
          const r = apply(a);
          if (r.kind !== 'assign') fail(`scheduler's assign refused: ${JSON.stringify(r)}`);
          onAssigned(r, a.workerId);
        }
        break;
      }
      case 'complete': {
        const taskId = pickTask(op.task);
        if (taskId === undefined) break;
        const t = modelTask(taskId);
        const attempt = Math.max(1, (t.lease?.attempt ?? t.started) + op.delta);
        const live = current(t, attempt);
        const r = apply({ kind: 'complete', taskId, attempt, output: `r${attempt}`, nowMs });
        if (r.kind === 'complete' && r.duplicate) {
          if (t.committed !== attempt) fail(`${taskId} duplicate of attempt ${attempt}, model committed ${t.committed}`);
        } else if (r.kind === 'complete') {
          if (!live) fail(`${taskId} committed attempt ${attempt} but the model's lease is ${t.lease?.attempt ?? 'none'}`);
          if (t.committed !== undefined) fail(`${taskId} committed twice (${t.committed}, then ${attempt})`);
          t.committed = attempt;
          delete t.lease;
        } else if (live) fail(`${taskId} refused the current token ${attempt}: ${JSON.stringify(r)}`);
        break;
      }
      case 'fail': {
        const taskId = pickTask(op.task);
        if (taskId === undefined) break;
        const t = modelTask(taskId);
        const attempt = Math.max(1, (t.lease?.attempt ?? t.started) + op.delta);
        const live = current(t, attempt);
        const r = apply({ kind: 'fail', taskId, attempt, error: { message: 'boom', retryable: op.retryable }, nowMs });
        if (r.kind === 'fail' && !r.duplicate) {
          if (!live) fail(`${taskId} accepted a failure of attempt ${attempt} without its lease`);
          delete t.lease;
        } else if (r.kind !== 'fail' && live) fail(`${taskId} refused the failure of current attempt ${attempt}: ${JSON.stringify(r)}`);
        break;
      }
      case 'checkpoint': {
        const taskId = pickTask(op.task);
        if (taskId === undefined) break;
        const t = modelTask(taskId);
        const attempt = Math.max(1, (t.lease?.attempt ?? t.started) + op.delta);
        const live = current(t, attempt);
        const r = apply({ kind: 'checkpoint', taskId, attempt, state: { at: nowMs }, step: { name: `s${attempt}`, result: attempt }, nowMs });
        if ((r.kind === 'checkpoint') !== live) fail(`${taskId} checkpoint of attempt ${attempt}: ${r.kind}, model lease ${t.lease?.attempt ?? 'none'}`);
        break;
      }
      case 'expire': {
        const r = apply({ kind: 'expire', nowMs });
        if (r.kind === 'expire') {
          const ended = new Set<string>(r.ended.map((e) => e.taskId));
          for (const [id, t] of model) {
            const due = t.lease?.deadlineMs !== undefined && nowMs >= t.lease.deadlineMs;
            if (due !== ended.has(id)) fail(`${id}: expire ended=${ended.has(id)}, model due=${due}`);
          }
          endLeases((t) => t.lease?.deadlineMs !== undefined && nowMs >= t.lease.deadlineMs);
        }
        break;
      }
      case 'cancel': {
        const jobId = jobOrder.length === 0 ? 'none' : jobOrder[op.job % jobOrder.length] ?? 'none';
        const r = apply({ kind: 'cancelJob', jobId, nowMs });
        if (r.kind === 'cancelJob') endLeases((t) => t.jobId === jobId);
        break;
      }
      case 'garbage':
        apply(new TextEncoder().encode('{"kind":"complete","taskId":'));
        break;
    }
    // Whole-state invariants, against the model.
    for (const [id, t] of model) {
      const task = machine.view.tasks.get(id as TaskId);
      if (task === undefined) continue;
      if (task.attempt !== t.started) fail(`${id} attempt ${task.attempt}, model ${t.started}`);
      if (task.attempt > t.maxAttempts) fail(`${id} attempt ${task.attempt} above maxAttempts ${t.maxAttempts}`);
      if (task.result?.attempt !== t.committed) fail(`${id} result attempt ${task.result?.attempt}, model ${t.committed}`);
      if ((task.lease?.attempt) !== t.lease?.attempt) fail(`${id} lease ${task.lease?.attempt}, model ${t.lease?.attempt}`);
    }
  }
  return { entries, results, machine };
}

/** Applies `entries` to a fresh machine, snapshotting and restoring into another one after entry `split`. */
export function replayWithRestore(entries: readonly Uint8Array[], split: number): { results: string[]; machine: TaskStateMachine } {
  let machine = new TaskStateMachine();
  const results: string[] = [];
  entries.forEach((command, i) => {
    if (i === split) {
      const restored = new TaskStateMachine();
      restored.restore(machine.snapshot(), machine.appliedIndex);
      if (restored.digest() !== machine.digest()) throw new Error(`digest differs right after restore at ${split}`);
      machine = restored;
    }
    results.push(fromUtf8(machine.apply({ index: i + 1, term: 1, command })));
  });
  return { results, machine };
}
