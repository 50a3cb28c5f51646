/**
 * `keel worker`: registers with the cluster, heartbeats the leader every 100 ms from the main
 * thread (handlers run in threads, so user CPU work never delays a heartbeat), holds the lease
 * stream, runs each leased attempt on a free handler thread, and reports checkpoints and
 * results with the attempt's fencing token. Survives node failures: it follows the leader.
 */
import { hostname } from 'node:os';
import type { WorkerStreamEvent } from '../api/wire-tasks.js';
import { KeelClient, isKeelClientError } from '../client/index.js';
import { isStaleAttempt } from '../client/worker-protocol.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../server/logger.js';
import { sleep } from '../client/backoff.js';
import { taskDefaults, type JsonValue } from '../tasks/index.js';
import type { FromThread, HandlerError, RunAttempt } from './messages.js';
import { ThreadPool, type HandlerThread } from './thread-pool.js';

export interface WorkerOptions {
  readonly endpoints: readonly string[];
  readonly tasksPath: string;
  readonly capacity: number;
  /** Default: host-pid-random, fresh per process (a restarted worker is a new worker). */
  readonly workerId?: string;
  readonly heartbeatMs?: number;
  /** How long an aborted handler may take to stop before its thread is terminated. */
  readonly abortGraceMs?: number;
  readonly logger: Logger;
}

export interface WorkerStats {
  started: number;
  resumedFromCheckpoint: number;
  succeeded: number;
  failed: number;
  aborted: number;
  /** Results refused because the attempt's lease had ended (this worker was a zombie). */
  staleRejected: number;
  checkpoints: number;
}

/** A heartbeat unanswered this long moves the worker to another node (a paused or cut-off leader). */
const heartbeatTimeoutMs = 500;

interface Running {
  readonly attempt: RunAttempt;
  readonly thread: HandlerThread;
  aborted: boolean;
}

export class KeelWorker {
  readonly workerId: string;
  readonly stats: WorkerStats = { started: 0, resumedFromCheckpoint: 0, succeeded: 0, failed: 0, aborted: 0, staleRejected: 0, checkpoints: 0 };
  private readonly client: KeelClient;
  private readonly pool: ThreadPool;
  private readonly running = new Map<string, Running>();
  private readonly byRunId = new Map<number, Running>();
  private readonly queue: RunAttempt[] = [];
  private handlers: readonly string[] = [];
  private nextRunId = 1;
  private readonly stop = new AbortController();
  private streamAbort = new AbortController();
  private registered: Promise<void> | undefined;

  constructor(private readonly options: WorkerOptions) {
    this.workerId = options.workerId ?? `${hostname().replace(/[^A-Za-z0-9_.:-]/g, '-').slice(0, 40)}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
    this.client = new KeelClient({ endpoints: options.endpoints, timeoutMs: 5_000, retries: 8 });
    this.pool = new ThreadPool(options.tasksPath, options.capacity, {
      message: (thread, message) => this.onThreadMessage(thread, message),
      lost: (runIds, reason) => this.onLost(runIds, reason),
    });
  }

  /** Loads the tasks module in the handler threads (a module that fails to load is a clear error here), then joins. */
  async start(): Promise<void> {
    this.handlers = await this.pool.start();
    await this.register();
    this.options.logger.info({ workerId: this.workerId, capacity: this.options.capacity, handlers: this.handlers }, 'worker registered');
    void this.heartbeatLoop();
    void this.streamLoop();
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.streamAbort.abort();
    await this.pool.close();
  }

  private register(): Promise<void> {
    this.registered ??= (async () => {
      for (let attempt = 0; !this.stop.signal.aborted; attempt++) {
        try {
          await this.client.workerProtocol.register({ workerId: this.workerId, capacity: this.options.capacity, handlers: this.handlers });
          return;
        } catch (error) {
          this.options.logger.warn({ error: describeError(error) }, 'registering failed; retrying');
          await sleep(Math.min(2_000, 100 * 2 ** attempt), this.stop.signal).catch(() => undefined);
        }
      }
    })().finally(() => {
      this.registered = undefined;
    });
    return this.registered;
  }

  /** Declared down (after a pause, a partition): every attempt here is void; join again. */
  private async rejoin(why: string): Promise<void> {
    if (this.registered !== undefined) return this.registered;
    this.options.logger.warn({ why, running: this.running.size }, 'worker declared down by the cluster: aborting its attempts and registering again');
    for (const run of [...this.running.values()]) this.abort(run, 'worker declared down');
    this.streamAbort.abort();
    await this.register();
  }

  private async heartbeatLoop(): Promise<void> {
    const every = this.options.heartbeatMs ?? 100;
    while (!this.stop.signal.aborted) {
      try {
        const { status } = await this.client.workerProtocol.heartbeat(this.workerId, heartbeatTimeoutMs);
        if (status !== 'ok') await this.rejoin(`heartbeat answered ${status}`);
      } catch (error) {
        this.options.logger.debug({ error: describeError(error) }, 'heartbeat failed');
      }
      await sleep(every, this.stop.signal).catch(() => undefined);
    }
  }

  private async streamLoop(): Promise<void> {
    let failures = 0;
    while (!this.stop.signal.aborted) {
      this.streamAbort = new AbortController();
      try {
        for await (const event of this.client.workerProtocol.leases(this.workerId, this.streamAbort.signal)) {
          failures = 0;
          this.onStreamEvent(event);
        }
      } catch (error) {
        if (this.stop.signal.aborted) return;
        const reason = isKeelClientError(error) ? error.reason : undefined;
        if (reason === 'WORKER_DOWN' || reason === 'WORKER_NOT_FOUND') await this.rejoin(reason);
        else this.options.logger.debug({ error: describeError(error) }, 'lease stream ended');
      }
      failures += 1;
      await sleep(Math.min(1_000, 20 * 2 ** Math.min(failures, 6)), this.stop.signal).catch(() => undefined);
    }
  }

  private onStreamEvent(event: WorkerStreamEvent): void {
    switch (event.type) {
      case 'sync': {
        const held = new Set(event.leases.map((l) => `${l.taskId}#${l.attempt}`));
        for (const run of [...this.running.values()]) if (!held.has(`${run.attempt.taskId}#${run.attempt.attempt}`)) this.abort(run, 'lease not held after reconnect');
        this.queue.splice(0, this.queue.length, ...this.queue.filter((a) => held.has(`${a.taskId}#${a.attempt}`)));
        return;
      }
      case 'lease': {
        const current = this.running.get(event.taskId);
        if (current !== undefined && current.attempt.attempt >= event.attempt) return;
        if (current !== undefined) this.abort(current, 'superseded by a newer attempt');
        if (this.queue.some((a) => a.taskId === event.taskId && a.attempt >= event.attempt)) return;
        this.queue.push({
          type: 'run', runId: this.nextRunId++, jobId: event.jobId, taskId: event.taskId, attempt: event.attempt, handler: event.handler, input: event.input,
          ...(event.checkpoint === undefined ? {} : { checkpoint: event.checkpoint }),
        });
        this.dispatch();
        return;
      }
      case 'abort': {
        const run = this.running.get(event.taskId);
        if (run !== undefined && run.attempt.attempt === event.attempt) this.abort(run, event.reason);
        const queued = this.queue.findIndex((a) => a.taskId === event.taskId && a.attempt === event.attempt);
        if (queued >= 0) this.queue.splice(queued, 1);
        return;
      }
      case 'down':
        void this.rejoin('the leader declared this worker down');
        return;
      default:
        return;
    }
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const thread = this.pool.idle();
      if (thread === undefined) return;
      const attempt = this.queue.shift()!;
      const run: Running = { attempt, thread, aborted: false };
      this.running.set(attempt.taskId, run);
      this.byRunId.set(attempt.runId, run);
      this.stats.started += 1;
      if (attempt.checkpoint !== undefined) this.stats.resumedFromCheckpoint += 1;
      thread.run(attempt);
    }
  }

  private abort(run: Running, reason: string): void {
    if (run.aborted) return;
    run.aborted = true;
    this.stats.aborted += 1;
    run.thread.post({ type: 'abort', runId: run.attempt.runId, reason });
    this.finish(run);
    const grace = this.options.abortGraceMs ?? 2_000;
    setTimeout(() => {
      if (run.thread.runs.has(run.attempt.runId) && !run.thread.exited) {
        this.options.logger.warn({ taskId: run.attempt.taskId, attempt: run.attempt.attempt }, `handler ignored its abort for ${grace} ms: terminating its thread`);
        void run.thread.terminate();
      }
    }, grace).unref();
  }

  private finish(run: Running): void {
    if (this.running.get(run.attempt.taskId) === run) this.running.delete(run.attempt.taskId);
    queueMicrotask(() => this.dispatch());
  }

  private onThreadMessage(thread: HandlerThread, message: FromThread): void {
    if (message.type === 'ready') {
      this.dispatch();
      return;
    }
    if (message.type === 'loadError') {
      this.options.logger.error({ error: message.message }, 'a handler thread could not load the tasks module');
      return;
    }
    const run = this.byRunId.get(message.runId);
    if (message.type === 'call') {
      void this.answerCall(thread, run, message);
      return;
    }
    this.byRunId.delete(message.runId);
    if (run === undefined || run.aborted) {
      this.dispatch();
      return;
    }
    this.finish(run);
    if (message.ok) void this.report(run, { kind: 'complete', output: message.output });
    else void this.report(run, { kind: 'fail', error: message.error });
  }

  private async answerCall(thread: HandlerThread, run: Running | undefined, message: Extract<FromThread, { type: 'call' }>): Promise<void> {
    try {
      if (run === undefined || run.aborted) throw new Error('the attempt was aborted');
      const { taskId, attempt, jobId } = run.attempt;
      if (message.op === 'results') {
        thread.post({ type: 'reply', callId: message.callId, ok: true, value: await this.client.jobs.results(jobId) });
        return;
      }
      await this.client.workerProtocol.checkpoint(taskId, message.op === 'checkpoint' ? { attempt, state: message.state } : { attempt, step: { name: message.name, result: message.result } });
      this.stats.checkpoints += 1;
      thread.post({ type: 'reply', callId: message.callId, ok: true });
    } catch (error) {
      thread.post({ type: 'reply', callId: message.callId, ok: false, message: describeError(error) });
    }
  }

  /** Sends the result with the attempt's token; retried until it lands (a duplicate is fine), is refused, or the worker stops. */
  private async report(run: Running, outcome: { kind: 'complete'; output: JsonValue } | { kind: 'fail'; error: HandlerError }): Promise<void> {
    const { taskId, attempt } = run.attempt;
    if (outcome.kind === 'complete') {
      const size = Buffer.byteLength(JSON.stringify(outcome.output));
      if (size > taskDefaults.outputBytesMax) {
        outcome = { kind: 'fail', error: { message: `result of ${taskId} is ${size} bytes; the limit (outputBytesMax) is ${taskDefaults.outputBytesMax}`, retryable: false } };
      }
    }
    for (let i = 0; !this.stop.signal.aborted; i++) {
      try {
        if (outcome.kind === 'complete') {
          await this.client.workerProtocol.complete(taskId, { attempt, output: outcome.output });
          this.stats.succeeded += 1;
        } else {
          await this.client.workerProtocol.fail(taskId, { attempt, error: outcome.error });
          this.stats.failed += 1;
          this.options.logger.warn({ taskId, attempt, error: outcome.error.message }, 'task attempt failed');
        }
        return;
      } catch (error) {
        if (isStaleAttempt(error)) {
          this.stats.staleRejected += 1;
          this.options.logger.warn({ taskId, attempt }, 'result refused: this attempt\'s lease had ended (another attempt owns the task)');
          return;
        }
        if (isKeelClientError(error) && !error.retryable) {
          this.options.logger.error({ taskId, attempt, error: describeError(error) }, 'result refused by the cluster');
          if (outcome.kind === 'complete' && error.reason === 'RESULT_TOO_LARGE') {
            outcome = { kind: 'fail', error: { message: describeError(error), retryable: false } };
            continue;
          }
          return;
        }
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(i, 6)), this.stop.signal).catch(() => undefined);
      }
    }
  }

  private onLost(runIds: readonly number[], reason: string): void {
    for (const runId of runIds) {
      const run = this.byRunId.get(runId);
      this.byRunId.delete(runId);
      if (run === undefined || run.aborted) continue;
      this.finish(run);
      void this.report(run, { kind: 'fail', error: { message: `handler thread died: ${reason}`, retryable: true } });
    }
    this.dispatch();
  }
}
