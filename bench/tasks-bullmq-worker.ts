/**
 * One BullMQ worker process of the baseline, started by bench/tasks-bullmq.ts as
 * `node --import tsx bench/tasks-bullmq-worker.ts '<WorkerArgs as JSON>'` with an IPC channel.
 * It reports to its parent over IPC (WorkerMessage) and exits when the parent goes away.
 *
 * - `throughput`: the processor returns a small value at once; each completion (BullMQ's worker
 *   `completed` event, which fires once the result is stored in Redis) is reported as
 *   `now - data.addedAtMs` and as `now - processor start`, in batches.
 * - `failover`: the processor reports that it started (`active`), then runs for `jobMs`.
 *
 * Everything not set here stays at BullMQ's defaults (lockDuration 30 s, stalledInterval 30 s,
 * maxStalledCount 1, drainDelay 5 s).
 */
import { epochMs, loadBullmq, sleep, type BullJob } from './tasks-bullmq-module.js';

export type WorkerMode = 'throughput' | 'failover';

export interface WorkerArgs {
  readonly redisPort: number;
  readonly queue: string;
  /** BullMQ's `concurrency` of this worker: jobs it runs at once. */
  readonly concurrency: number;
  readonly mode: WorkerMode;
  /** How long a `failover` job runs. */
  readonly jobMs: number;
}

export interface TaskData {
  readonly i: number;
  /** epochMs() in the producer just before the addBulk call that carried this job. */
  readonly addedAtMs: number;
}

export type WorkerMessage =
  | { readonly kind: 'ready' }
  /** Per task: latenciesMs[k] from add to completion, serviceMs[k] from the processor starting to completion. */
  | { readonly kind: 'completed'; readonly latenciesMs: readonly number[]; readonly serviceMs: readonly number[]; readonly lastCompletedAtMs: number }
  | { readonly kind: 'active'; readonly jobId: string; readonly attemptsStarted: number; readonly atMs: number }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'error'; readonly message: string };

/** Completions are sent at most this long after they happen (the end time of a run is taken from them, not from their arrival). */
const flushIntervalMs = 20;
const flushBatchMax = 4_096;
/** A throughput worker finishing its in-flight jobs on SIGTERM; the parent SIGKILLs after its own grace anyway. */
const closeTimeoutMs = 5_000;

function send(message: WorkerMessage): void {
  if (process.send === undefined || !process.connected) return; // parent gone: 'disconnect' exits
  process.send(message);
}

function parseArgs(): WorkerArgs {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: tasks-bullmq-worker.ts <WorkerArgs JSON> (started by bench/tasks-bullmq.ts)');
  const args = JSON.parse(raw) as WorkerArgs;
  if (!(Number.isSafeInteger(args.concurrency) && args.concurrency > 0)) throw new Error(`bad concurrency ${args.concurrency}`);
  if (process.send === undefined) throw new Error('no IPC channel: start through bench/tasks-bullmq.ts');
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs();
  const bull = loadBullmq();
  const pendingLatenciesMs: number[] = [];
  const pendingServiceMs: number[] = [];
  /** Processor start per job id, until its completion. */
  const startedAtMs = new Map<string, number>();
  let lastCompletedAtMs = 0;
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    flushTimer = undefined;
    while (pendingLatenciesMs.length > 0) {
      send({ kind: 'completed', latenciesMs: pendingLatenciesMs.splice(0, flushBatchMax), serviceMs: pendingServiceMs.splice(0, flushBatchMax), lastCompletedAtMs });
    }
  };

  const processor = args.mode === 'throughput'
    ? (job: BullJob<TaskData>) => {
      startedAtMs.set(job.id ?? '', epochMs());
      return Promise.resolve({ i: job.data.i });
    }
    : async (job: BullJob<TaskData>) => {
      send({ kind: 'active', jobId: job.id ?? '?', attemptsStarted: job.attemptsStarted, atMs: epochMs() });
      await sleep(args.jobMs);
      return { done: true };
    };
  const worker = new bull.Worker<TaskData>(args.queue, processor, {
    connection: { host: '127.0.0.1', port: args.redisPort },
    concurrency: args.concurrency,
  });
  worker.on('completed', (job) => {
    if (args.mode !== 'throughput') return;
    lastCompletedAtMs = epochMs();
    const id = job.id ?? '';
    pendingLatenciesMs.push(lastCompletedAtMs - job.data.addedAtMs);
    pendingServiceMs.push(lastCompletedAtMs - (startedAtMs.get(id) ?? Number.NaN));
    startedAtMs.delete(id);
    if (pendingLatenciesMs.length >= flushBatchMax) flush();
    else flushTimer ??= setTimeout(flush, flushIntervalMs);
  });
  worker.on('failed', (job, error) => send({ kind: 'failed', message: `job ${job?.id ?? '?'}: ${error.message}` }));
  worker.on('error', (error) => send({ kind: 'error', message: error.message }));

  process.once('disconnect', () => process.exit(1)); // the benchmark is gone: so are we
  process.once('SIGTERM', () => {
    const closing = worker.close(args.mode === 'failover'); // a failover job runs for minutes: do not wait for it
    const timeout = sleep(closeTimeoutMs);
    void Promise.race([closing, timeout]).finally(() => {
      flush();
      process.exit(0);
    });
  });
  await worker.waitUntilReady();
  send({ kind: 'ready' });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`[bench:tasks worker ${process.pid}] ${message}\n`);
  send({ kind: 'error', message });
  process.exit(1);
});
