/**
 * A simulated task worker: registers with its capacity, heartbeats every workerHeartbeatMs,
 * runs each delivered attempt for a seeded virtual duration in two halves (checkpointing the
 * first half's result as the `half` step, resuming from it when the assign carries it), and sends
 * the outcome, retrying until it is answered. It can crash (stop for good) or pause: while
 * paused, its timers and incoming messages wait, and run in order on resume, so a worker whose
 * leases were revoked meanwhile wakes up as a zombie and sends its stale results.
 */
import type { WorkerObservation } from '../check/index.js';
import type { Random } from '../ports/random.js';
import type { TaskCommand, TaskQuery, TaskResult } from '../tasks/index.js';
import { firstHalf, halfStep, secondHalf, simHandlers } from './task-handlers.js';
import { workerHeartbeatMs } from './task-leader.js';
import type { AssignDelivery, AttemptRef, HeartbeatReply } from './task-messages.js';
import { TaskRequester, type RequesterHost } from './task-requester.js';

export interface WorkerHost extends RequesterHost {
  now(): number;
  readonly random: Random;
  after(delayMs: number, run: () => void): void;
  /** Sends a heartbeat to every node; the leader answers through `onHeartbeatReply`. */
  heartbeat(worker: SimWorker, running: readonly AttemptRef[]): void;
  observe(observation: WorkerObservation): void;
  trace(line: string): void;
}

interface Running {
  readonly delivery: AssignDelivery;
  readonly durationMs: number;
  /** `result`: the outcome is being sent; an abort no longer stops it. */
  phase: 'work' | 'result';
}

const key = (taskId: string, attempt: number): string => `${taskId}#${attempt}`;

export class SimWorker {
  readonly endpoint: string;
  alive = true;
  paused = false;
  private readonly deferred: (() => void)[] = [];
  private readonly requester: TaskRequester;
  private registered = false;
  private registering = false;
  private readonly running = new Map<string, Running>();
  private readonly started = new Set<string>();

  constructor(readonly id: string, readonly capacity: number, private readonly host: WorkerHost) {
    this.endpoint = `worker:${id}`;
    this.requester = new TaskRequester(host, { endpoint: this.endpoint, after: (ms, run) => this.after(ms, run), enter: (run) => this.enter(run) });
  }

  get busy(): boolean {
    return this.running.size > 0;
  }

  start(): void {
    this.register();
    this.after(this.host.random.next() * workerHeartbeatMs, () => this.beat());
  }

  pause(): void {
    this.paused = true;
    this.host.trace(`worker ${this.id} paused (running ${[...this.running.keys()].join(', ') || 'nothing'})`);
  }

  resume(): void {
    if (!this.alive || !this.paused) return;
    this.paused = false;
    this.host.trace(`worker ${this.id} resumed with ${this.deferred.length} deferred events`);
    for (const run of this.deferred.splice(0)) if (this.alive && !this.paused) run();
  }

  crash(): void {
    this.alive = false;
    this.running.clear();
    this.deferred.length = 0;
    this.host.trace(`worker ${this.id} crashed`);
  }

  /** Every event entering the worker: dropped once it crashed, held while it is paused. */
  enter(run: () => void): void {
    if (!this.alive) return;
    if (this.paused) this.deferred.push(run);
    else run();
  }

  private after(delayMs: number, run: () => void): void {
    this.host.after(delayMs, () => this.enter(run));
  }

  private beat(): void {
    if (this.registered) this.host.heartbeat(this, [...this.running.values()].map((r) => ({ taskId: r.delivery.taskId, attempt: r.delivery.attempt })));
    this.after(workerHeartbeatMs, () => this.beat());
  }

  private register(): void {
    if (this.registering) return;
    this.registering = true;
    this.requester.send({ kind: 'registerWorker', workerId: this.id, capacity: this.capacity, handlers: [...simHandlers] }, (result) => {
      this.registering = false;
      this.registered = result.kind === 'registerWorker';
      if (!this.registered) this.after(200, () => this.register());
    });
  }

  onHeartbeatReply(reply: HeartbeatReply): void {
    this.enter(() => {
      if (reply.status !== 'up') {
        // Declared down (its leases are gone) or not known: whatever it runs is stale; register again.
        if (reply.status === 'down') for (const r of [...this.running.values()]) this.abort({ taskId: r.delivery.taskId, attempt: r.delivery.attempt });
        this.registered = false;
        this.register();
        return;
      }
      for (const ref of reply.aborts) this.abort(ref);
      for (const delivery of reply.missing) this.onAssign(delivery);
    });
  }

  onAbortMessage(ref: AttemptRef): void {
    this.enter(() => this.abort(ref));
  }

  onAssignMessage(delivery: AssignDelivery): void {
    this.enter(() => this.onAssign(delivery));
  }

  private abort(ref: AttemptRef): void {
    const k = key(ref.taskId, ref.attempt);
    if (this.running.get(k)?.phase !== 'work') return;
    this.running.delete(k);
    this.host.trace(`worker ${this.id} aborts ${k}`);
  }

  private onAssign(d: AssignDelivery): void {
    const k = key(d.taskId, d.attempt);
    if (this.started.has(k)) return;
    this.started.add(k);
    const r = this.host.random;
    const durationMs = r.next() < 0.15 ? 600 + r.int(1_200) : 40 + r.int(400);
    this.running.set(k, { delivery: d, durationMs, phase: 'work' });
    this.host.observe({ kind: 'started', atMs: this.host.now(), worker: this.id, taskId: d.taskId, attempt: d.attempt, ...(d.checkpoint === undefined ? {} : { checkpoint: d.checkpoint }) });
    const half = d.checkpoint?.steps[halfStep];
    this.host.trace(`worker ${this.id} starts ${k} (${d.handler}, ${durationMs} ms${half === undefined ? '' : ', resuming from its checkpoint'})`);
    if (half !== undefined) this.after(durationMs / 2, () => this.finish(k, half));
    else this.after(durationMs / 2, () => this.runFirstHalf(k));
  }

  private runFirstHalf(k: string): void {
    const run = this.running.get(k);
    if (run === undefined) return;
    const { delivery: d } = run;
    const checkpoint = (half: ReturnType<typeof firstHalf>): void => {
      if (!this.running.has(k)) return;
      this.requester.send({ kind: 'checkpoint', taskId: d.taskId, attempt: d.attempt, state: { phase: 'half' }, step: { name: halfStep, result: half } }, (result) => {
        if (result.kind === 'error' && result.code === 'STALE_ATTEMPT') return this.abort({ taskId: d.taskId, attempt: d.attempt });
        this.after(run.durationMs / 2, () => this.finish(k, half));
      });
    };
    if (d.handler !== 'reduce') return checkpoint(firstHalf(d.handler, { input: d.input }));
    this.readMapOutputs(d.jobId, undefined, [], (mapOutputs) => checkpoint(firstHalf(d.handler, { input: d.input, mapOutputs })));
  }

  /** The reduce reads the map results with the `results` query, page by page. */
  private readMapOutputs(jobId: string, after: string | undefined, outputs: ReturnType<typeof firstHalf>[], done: (outputs: ReturnType<typeof firstHalf>[]) => void): void {
    const query: TaskQuery = { kind: 'results', jobId, ...(after === undefined ? {} : { after }) };
    this.requester.query(query, (result) => {
      if (result.kind !== 'results') return done(outputs);
      for (const r of result.results) if (r.taskId.startsWith('map-')) outputs.push(r.output);
      const last = result.results[result.results.length - 1];
      if (result.more && last !== undefined) this.readMapOutputs(jobId, last.taskId, outputs, done);
      else done(outputs);
    });
  }

  private finish(k: string, half: ReturnType<typeof firstHalf>): void {
    const run = this.running.get(k);
    if (run === undefined) return;
    run.phase = 'result';
    const d = run.delivery;
    const outcome = secondHalf(d.handler, d.input, half, d.attempt);
    const where = { worker: this.id, taskId: d.taskId, attempt: d.attempt };
    let command: TaskCommand;
    if (outcome.kind === 'output') {
      this.host.observe({ kind: 'resultSent', atMs: this.host.now(), ...where, output: outcome.output });
      command = { kind: 'complete', taskId: d.taskId, attempt: d.attempt, output: outcome.output };
    } else {
      command = { kind: 'fail', taskId: d.taskId, attempt: d.attempt, error: { message: outcome.message, retryable: outcome.retryable } };
    }
    this.requester.send(command, (result) => {
      this.running.delete(k);
      if (command.kind !== 'complete') return;
      const answer = responseOf(result);
      this.host.observe({ kind: 'response', atMs: this.host.now(), ...where, ...answer });
      this.host.trace(`worker ${this.id} result of ${k}: ${answer.outcome}${answer.code === undefined ? '' : ` ${answer.code}`}`);
    });
  }
}

function responseOf(result: TaskResult): { outcome: 'committed' | 'duplicate' | 'stale' | 'error'; code?: string } {
  if (result.kind === 'complete') return { outcome: result.duplicate ? 'duplicate' : 'committed' };
  if (result.kind === 'error') return { outcome: result.code === 'STALE_ATTEMPT' ? 'stale' : 'error', code: result.code };
  return { outcome: 'error', code: result.kind };
}
