/**
 * The BullMQ half of `bench:tasks`: trivial-task throughput and worker-failure recovery of BullMQ on
 * a durable Redis (tasks-bullmq-redis.ts), with real worker processes (tasks-bullmq-worker.ts).
 *
 * Throughput: `concurrency` is the number of tasks in flight across all workers, i.e. each of the
 * `workers` processes runs BullMQ with `concurrency / workers`. The producer (this process) adds all
 * `tasks` jobs at once, in addBulk batches, while the workers (already connected) drain the queue.
 * tasks/s = tasks / (last completion - start of the first addBulk). A task's latency is from just
 * before the addBulk that carried it to the worker's `completed` event (the result is stored in
 * Redis, fsynced to the AOF); it therefore includes the time spent queued behind the batch.
 *
 * Worker failover: see runBullmqWorkerFailover.
 */
import { join } from 'node:path';
import { assert, assertNever } from '../src/core/assert.js';
import { LatencyRecorder, median } from './measure.js';
import {
  bullmqVersions, ensureBullmqInstalled, epochMs, loadBullmq, projectRoot, sleep, type BullConnection, type BullQueue,
} from './tasks-bullmq-module.js';
import { killChild, spawnChild, stopChild, withTimeout, type Child } from './tasks-bullmq-procs.js';
import type { TaskData, WorkerArgs, WorkerMessage } from './tasks-bullmq-worker.js';

export { startRedis, redisSettings, type RedisServer } from './tasks-bullmq-redis.js';

export interface TaskRunResult {
  readonly system: 'bullmq';
  readonly workers: number;
  readonly concurrency: number;
  readonly tasks: number;
  readonly tasksPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly details: {
    readonly concurrencyPerWorker: number;
    readonly elapsedMs: number;
    /** How long the producer took to add every job (the workers run meanwhile). */
    readonly addAllMs: number;
    readonly latencyMeanMs: number;
    readonly latencyMaxMs: number;
    /** From the processor starting to the worker's completed event: BullMQ's own cost per task, without the queueing. */
    readonly serviceP50Ms: number;
    readonly serviceP99Ms: number;
  };
}

export interface FailoverSample {
  /** Kill → the job's processor starting on the second worker; the limit when timed out. */
  readonly recoveredMs: number;
  readonly timedOut: boolean;
  /** Spawn → ready of the second worker (part of recoveredMs). */
  readonly secondWorkerReadyMs: number;
  /** BullMQ's attemptsStarted when the job started again (2: the stalled attempt counted). */
  readonly attemptsStarted: number | null;
}

export interface FailoverResult {
  /** Median of `samples`; a lower bound when `timedOut` (samples that hit the limit count as the limit). */
  readonly medianMs: number;
  readonly samples: number[];
  readonly settings: string;
  readonly timedOut: boolean;
  readonly timeLimitMs: number;
  readonly details: readonly FailoverSample[];
}

const workerScript = join(projectRoot, 'bench', 'tasks-bullmq-worker.ts');
const workerReadyTimeoutMs = 30_000;
const workerStopGraceMs = 5_000;
/** Jobs per addBulk call. */
const addBatchSize = 500;
export const tasksMax = 1_000_000;
/** Bound on a whole throughput run (after the workers are up): a stuck run fails instead of hanging. */
const runTimeoutMsMax = 600_000;
/** Pause between "all workers ready" and the first add: their first blocking fetch is issued. */
const settleMs = 200;
/** The failover job has run this long on the first worker when it is killed (it holds a fresh 30 s lock). */
const failoverHoldMs = 500;
const failoverActiveTimeoutMs = 15_000;

let runSequence = 0;

function connection(redisPort: number): BullConnection {
  return { host: '127.0.0.1', port: redisPort };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

interface WorkerProcess {
  readonly child: Child;
  /** Rejects when the process exits (expected or not; callers race it against what they wait for). */
  readonly exited: Promise<never>;
}

/** Spawns a worker process and waits for its `ready` (bounded); `onMessage` sees every later message. */
async function startWorker(args: WorkerArgs, onMessage: (message: WorkerMessage) => void): Promise<WorkerProcess> {
  const child = await spawnChild({
    name: `bullmq-worker-${args.queue}`,
    command: process.execPath,
    args: ['--import', 'tsx', workerScript, JSON.stringify(args)],
    cwd: projectRoot, // where `tsx` resolves
    stdio: ['ignore', 2, 2, 'ipc'], // its output goes to stderr: stdout carries JSON only
  });
  const exited = child.exited.then((): never => {
    throw new Error(`BullMQ worker process ${child.pid} (${args.queue}) exited (code ${child.process.exitCode}, signal ${child.process.signalCode})`);
  });
  exited.catch(() => undefined); // observed by whoever races it
  const ready = new Promise<void>((resolve) => {
    child.process.on('message', (raw) => {
      const message = raw as WorkerMessage;
      if (message.kind === 'ready') resolve();
      else onMessage(message);
    });
  });
  try {
    await withTimeout(Promise.race([ready, exited]), workerReadyTimeoutMs, `BullMQ worker ${child.pid} not ready within ${workerReadyTimeoutMs} ms`);
  } catch (error) {
    await killChild(child);
    throw error;
  }
  return { child, exited };
}

export async function runBullmqThroughput(
  redisPort: number, opts: { readonly workers: number; readonly concurrency: number; readonly tasks: number },
): Promise<TaskRunResult> {
  const { workers, concurrency, tasks } = opts;
  assert(Number.isSafeInteger(workers) && workers > 0, `workers must be a positive integer, got ${workers}`);
  assert(Number.isSafeInteger(concurrency) && concurrency > 0, `concurrency must be a positive integer, got ${concurrency}`);
  assert(concurrency % workers === 0, `concurrency (in flight across all workers) must be a multiple of workers: ${concurrency} / ${workers}`);
  assert(Number.isSafeInteger(tasks) && tasks > 0 && tasks <= tasksMax, `tasks must be an integer in [1, ${tasksMax}], got ${tasks}`);
  await ensureBullmqInstalled();
  const bull = loadBullmq();
  const queueName = `throughput-w${workers}-c${concurrency}-${process.pid}-${runSequence++}`;

  const latency = new LatencyRecorder();
  const service = new LatencyRecorder();
  let completed = 0;
  let lastCompletedAtMs = 0;
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  done.catch(() => undefined); // a worker may fail while jobs are still being added: awaited (and thrown) below
  const onMessage = (message: WorkerMessage): void => {
    switch (message.kind) {
      case 'completed':
        for (const ms of message.latenciesMs) latency.add(ms);
        for (const ms of message.serviceMs) service.add(ms);
        completed += message.latenciesMs.length;
        lastCompletedAtMs = Math.max(lastCompletedAtMs, message.lastCompletedAtMs);
        if (completed >= tasks) finish();
        return;
      case 'failed':
      case 'error':
        fail(new Error(`BullMQ worker reported ${message.kind}: ${message.message}`));
        return;
      case 'ready':
      case 'active':
        return;
      default:
        assertNever(message);
    }
  };

  const procs: WorkerProcess[] = [];
  const queue: BullQueue<TaskData> = new bull.Queue<TaskData>(queueName, { connection: connection(redisPort) });
  try {
    const args: WorkerArgs = { redisPort, queue: queueName, concurrency: concurrency / workers, mode: 'throughput', jobMs: 0 };
    procs.push(...await Promise.all(Array.from({ length: workers }, () => startWorker(args, onMessage))));
    await queue.waitUntilReady();
    await sleep(settleMs);
    const startedAtMs = epochMs();
    for (let first = 0; first < tasks; first += addBatchSize) {
      const count = Math.min(addBatchSize, tasks - first);
      const addedAtMs = epochMs();
      await queue.addBulk(Array.from({ length: count }, (_, k) => ({ name: 'trivial', data: { i: first + k, addedAtMs } })));
    }
    const addAllMs = epochMs() - startedAtMs;
    const timeoutMs = Math.min(runTimeoutMsMax, 60_000 + tasks * 10);
    await withTimeout(Promise.race([done, ...procs.map((p) => p.exited)]), timeoutMs,
      `BullMQ run ${queueName}: ${completed} of ${tasks} tasks completed after ${timeoutMs} ms`);
    assert(completed === tasks, `BullMQ run ${queueName}: ${completed} completions for ${tasks} tasks`);
    const elapsedMs = lastCompletedAtMs - startedAtMs;
    const summary = latency.summary();
    const serviceSummary = service.summary();
    return {
      system: 'bullmq',
      workers,
      concurrency,
      tasks,
      tasksPerSec: Math.round(tasks / (elapsedMs / 1000)),
      p50Ms: round2(summary.p50Ms),
      p99Ms: round2(summary.p99Ms),
      details: {
        concurrencyPerWorker: concurrency / workers,
        elapsedMs: Math.round(elapsedMs),
        addAllMs: Math.round(addAllMs),
        latencyMeanMs: round2(summary.meanMs),
        latencyMaxMs: round2(summary.maxMs),
        serviceP50Ms: round2(serviceSummary.p50Ms),
        serviceP99Ms: round2(serviceSummary.p99Ms),
      },
    };
  } finally {
    await Promise.all(procs.map((p) => stopChild(p.child, workerStopGraceMs)));
    await queue.close();
  }
}

/** What the failover measurement runs, for the report. */
export function failoverSettings(): string {
  const { bullmq } = bullmqVersions();
  return `BullMQ ${bullmq} worker defaults: lockDuration 30000 ms (renewed every 15000 ms), stalledInterval 30000 ms, maxStalledCount 1; `
    + `concurrency 1; one job whose processor runs for minutes; the worker process is SIGKILLed ${failoverHoldMs} ms after the job started on it; `
    + 'a second worker process is started right after the kill; measured: kill -> the job\'s processor starting on the second worker '
    + '(moved back to wait by stalled-job detection: a checker run marks it, the next one, a stalledInterval later, moves it once its lock has expired)';
}

/**
 * Worker-failure recovery at BullMQ's defaults, `samples` times (each up to ~60 s, each bounded by
 * `timeLimitMs` from the kill; a sample that hits the limit is reported as the limit, a lower bound).
 */
export async function runBullmqWorkerFailover(
  redisPort: number, opts: { readonly samples: number; readonly timeLimitMs: number },
): Promise<FailoverResult> {
  assert(Number.isSafeInteger(opts.samples) && opts.samples > 0, `samples must be a positive integer, got ${opts.samples}`);
  assert(opts.timeLimitMs > 0, `timeLimitMs must be positive, got ${opts.timeLimitMs}`);
  await ensureBullmqInstalled();
  const details: FailoverSample[] = [];
  for (let i = 0; i < opts.samples; i++) details.push(await failoverSample(redisPort, opts.timeLimitMs));
  const samples = details.map((d) => Math.round(d.recoveredMs));
  return {
    medianMs: median(samples),
    samples,
    settings: failoverSettings(),
    timedOut: details.some((d) => d.timedOut),
    timeLimitMs: opts.timeLimitMs,
    details,
  };
}

async function failoverSample(redisPort: number, timeLimitMs: number): Promise<FailoverSample> {
  const bull = loadBullmq();
  const queueName = `failover-${process.pid}-${runSequence++}`;
  const args: WorkerArgs = { redisPort, queue: queueName, concurrency: 1, mode: 'failover', jobMs: timeLimitMs + 600_000 };
  type Started = WorkerMessage & { readonly kind: 'active' };
  const starts: { readonly worker: 'first' | 'second'; readonly message: Started }[] = [];
  const problems: string[] = [];
  const waiters: (() => void)[] = [];
  const listener = (worker: 'first' | 'second') => (message: WorkerMessage): void => {
    if (message.kind === 'active') starts.push({ worker, message });
    else if (message.kind === 'failed' || message.kind === 'error') problems.push(`${worker} worker: ${message.kind}: ${message.message}`);
    for (const wake of waiters.splice(0)) wake();
  };
  /** The first start of a job on `worker`, or undefined after `timeoutMs`; throws when a worker reported an error. */
  const startOn = async (worker: 'first' | 'second', timeoutMs: number): Promise<Started | undefined> => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (problems.length > 0) throw new Error(`BullMQ failover sample ${queueName}: ${problems.join('; ')}`);
      const found = starts.find((s) => s.worker === worker);
      if (found !== undefined) return found.message;
      const leftMs = deadline - performance.now();
      if (leftMs <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, leftMs);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };

  const queue = new bull.Queue<TaskData>(queueName, { connection: connection(redisPort) });
  const procs: WorkerProcess[] = [];
  try {
    const first = await startWorker(args, listener('first'));
    procs.push(first);
    const job = await queue.add('long', { i: 0, addedAtMs: epochMs() });
    const started = await startOn('first', failoverActiveTimeoutMs);
    assert(started !== undefined, `the failover job did not start within ${failoverActiveTimeoutMs} ms`);
    assert(started.jobId === job.id, `the first worker started ${started.jobId}, expected job ${job.id}`);
    await sleep(failoverHoldMs);
    const killedAtMs = epochMs();
    await killChild(first.child);
    const second = await startWorker(args, listener('second'));
    procs.push(second);
    const secondWorkerReadyMs = Math.round(epochMs() - killedAtMs);
    const again = await startOn('second', Math.max(0, killedAtMs + timeLimitMs - epochMs()));
    if (again === undefined) return { recoveredMs: timeLimitMs, timedOut: true, secondWorkerReadyMs, attemptsStarted: null };
    assert(again.jobId === job.id, `the second worker started ${again.jobId}, expected job ${job.id}`);
    return { recoveredMs: Math.round(again.atMs - killedAtMs), timedOut: false, secondWorkerReadyMs, attemptsStarted: again.attemptsStarted };
  } finally {
    await Promise.all(procs.map((p) => stopChild(p.child, workerStopGraceMs)));
    await queue.close();
  }
}
