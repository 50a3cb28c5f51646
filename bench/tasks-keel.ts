/**
 * The Keel half of `bench:tasks`: a 3-node cluster and worker processes (the built `dist/`, as a
 * user runs them: `npm run bench:tasks` builds first), trivial-task throughput with every task submitted up front (the definition the BullMQ
 * half uses), and the time from SIGKILL of a worker holding a task to that task running again.
 */
import { join } from 'node:path';
import { KeelClient } from '../src/client/index.js';
import { freePorts } from '../src/runtime/free-ports.js';
import { LatencyRecorder, sleep } from './measure.js';
import { projectRoot } from './tasks-bullmq-module.js';
import { spawnChild, stopChild, type Child } from './tasks-bullmq-procs.js';

const handlers = 'bench/tasks-handlers.ts';
const tasksPerJobMax = 10_000;
let workerSequence = 0;

export interface KeelRunResult {
  readonly system: 'keel';
  readonly workers: number;
  readonly concurrency: number;
  readonly tasks: number;
  readonly tasksPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly details: { readonly concurrencyPerWorker: number; readonly elapsedMs: number; readonly latencyMeanMs: number; readonly latencyMaxMs: number };
}

export interface KeelFailoverResult {
  readonly medianMs: number;
  readonly samples: readonly number[];
  readonly settings: string;
}

export interface KeelBenchCluster {
  readonly endpoints: readonly string[];
  readonly client: KeelClient;
  stop(): Promise<void>;
}

export async function startKeelCluster(dir: string): Promise<KeelBenchCluster> {
  const ports = await freePorts(6);
  const ids = ['n1', 'n2', 'n3'];
  const peers = ids.map((id, i) => `${id}=127.0.0.1:${ports[i]}`).join(',');
  const nodes: Child[] = [];
  for (const [i, id] of ids.entries()) {
    nodes.push(await spawnChild({
      name: `keel-${id}`, command: process.execPath, cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'],
      args: ['dist/cli/main.js', 'start', '--id', id, '--listen', `127.0.0.1:${ports[i]}`, '--http', `127.0.0.1:${ports[3 + i]}`, '--peers', peers, '--data', join(dir, `keel-${id}`), '--log-level', 'warn'],
    }));
  }
  const endpoints = ids.map((_, i) => `http://127.0.0.1:${ports[3 + i]}`);
  const client = new KeelClient({ endpoints, timeoutMs: 5_000, retries: 20 });
  const until = Date.now() + 30_000;
  while (((await client.cluster().catch(() => undefined))?.leaderId ?? null) === null) {
    if (Date.now() > until) throw new Error('keel cluster elected no leader within 30 s');
    await sleep(100);
  }
  return { endpoints, client, stop: async () => void (await Promise.all(nodes.map((n) => stopChild(n, 5_000)))) };
}

async function startWorker(cluster: KeelBenchCluster, capacity: number, id: string): Promise<Child> {
  return spawnChild({
    name: `keel-worker-${id}`, command: process.execPath, cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'],
    args: ['dist/cli/main.js', 'worker', '--tasks', handlers, '--join', cluster.endpoints.join(','), '--capacity', String(capacity), '--id', id, '--log-level', 'error'],
  });
}

async function waitWorkersUp(cluster: KeelBenchCluster, ids: readonly string[]): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    const { workers } = await cluster.client.workersList().catch(() => ({ workers: [] }));
    if (ids.every((id) => workers.some((w) => w.workerId === id && w.status === 'up'))) return;
    if (Date.now() > until) throw new Error(`workers ${ids.join(', ')} did not come up within 60 s`);
    await sleep(100);
  }
}

export async function runKeelThroughput(cluster: KeelBenchCluster, opts: { workers: number; concurrency: number; tasks: number }): Promise<KeelRunResult> {
  const ids = Array.from({ length: opts.workers }, () => `bench-${process.pid}-${workerSequence++}`);
  const workers = await Promise.all(ids.map((id) => startWorker(cluster, opts.concurrency / opts.workers, id)));
  try {
    await waitWorkersUp(cluster, ids);
    await sleep(1_000); // handler threads load the module (tsx) after registering
    const latency = new LatencyRecorder();
    const submittedAt = new Map<string, number>();
    const startedAtMs = Date.now();
    let lastMs = startedAtMs;
    const follows: Promise<void>[] = [];
    for (let first = 0; first < opts.tasks; first += tasksPerJobMax) {
      const count = Math.min(tasksPerJobMax, opts.tasks - first);
      const at = Date.now();
      const job = await cluster.client.jobs.submit({ tasks: Array.from({ length: count }, (_, k) => ({ handler: 'trivial', input: { i: first + k } })) });
      submittedAt.set(job.jobId, at);
      follows.push((async () => {
        for await (const event of job.events()) {
          if (event.type === 'task' && event.event === 'succeeded') {
            const now = Date.now();
            latency.add(now - at);
            lastMs = Math.max(lastMs, now);
          }
        }
        const status = await job.status();
        if (status.counts.succeeded !== count) throw new Error(`keel job ${job.jobId}: ${status.counts.succeeded} of ${count} succeeded`);
      })());
    }
    await Promise.all(follows);
    const summary = latency.summary();
    const elapsedMs = lastMs - startedAtMs;
    return {
      system: 'keel', workers: opts.workers, concurrency: opts.concurrency, tasks: opts.tasks,
      tasksPerSec: Math.round(opts.tasks / (elapsedMs / 1000)), p50Ms: Math.round(summary.p50Ms * 100) / 100, p99Ms: Math.round(summary.p99Ms * 100) / 100,
      details: { concurrencyPerWorker: opts.concurrency / opts.workers, elapsedMs, latencyMeanMs: Math.round(summary.meanMs * 100) / 100, latencyMaxMs: Math.round(summary.maxMs * 100) / 100 },
    };
  } finally {
    await Promise.all(workers.map((w) => stopChild(w, 3_000)));
  }
}

/** SIGKILL of a worker holding a long task, a second worker already up: ms until the task is assigned again. */
export async function runKeelWorkerFailover(cluster: KeelBenchCluster, samples: number): Promise<KeelFailoverResult> {
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    const holderId = `holder-${process.pid}-${workerSequence++}`;
    const standbyId = `standby-${process.pid}-${workerSequence++}`;
    const holder = await startWorker(cluster, 1, holderId);
    await waitWorkersUp(cluster, [holderId]);
    await sleep(1_000);
    const job = await cluster.client.jobs.submit({ tasks: [{ handler: 'long', input: { ms: 600_000 } }] });
    // Polled, not followed as events: an assign can apply before an event stream is open.
    const runningOn = async (workerId: string, timeoutMs: number): Promise<void> => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const task = (await cluster.client.jobs.get(job.jobId)).tasks[0];
        if (task?.status === 'running' && task.worker === workerId) return;
        if (Date.now() > until) throw new Error(`task not running on ${workerId} within ${timeoutMs} ms`);
        await sleep(5);
      }
    };
    await runningOn(holderId, 30_000);
    const standby = await startWorker(cluster, 1, standbyId);
    await waitWorkersUp(cluster, [standbyId]);
    await sleep(1_000);
    const killedAt = Date.now();
    holder.process.kill('SIGKILL');
    await runningOn(standbyId, 60_000);
    times.push(Date.now() - killedAt);
    await job.cancel();
    await stopChild(standby, 3_000);
    await stopChild(holder, 1_000);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    medianMs: sorted[Math.floor(sorted.length / 2)] ?? 0, samples: times,
    settings: 'keel defaults: worker heartbeat 100 ms, phi-accrual threshold 8, a closed lease stream is an immediate signal; standby worker already registered',
  };
}
