/**
 * `npm run bench:tasks -- [--quick] [--only keel|bullmq] [--tasks <n>] [--failover-samples <n>] [--failover-limit-s <s>] [--dir <parent>]`
 *
 * Keel's task engine against BullMQ in its durable configuration, same run, same machine: a
 * 3-node Keel cluster and a redis-server (AOF, fsync always), both in `<parent>/tasks-<pid>/`
 * (parent: bench/out). Trivial-task throughput with 1 and 2 worker processes at 16 and 64 tasks in
 * flight, each configuration run for Keel then BullMQ; then the recovery of a task whose worker is
 * SIGKILLed, at each system's defaults. Prints ONE JSON document on stdout with `keel / bullmq`
 * ratios (progress on stderr); stops every process by PID and removes the directory at the end,
 * on errors and on SIGINT/SIGTERM (a run killed outright is cleaned up by the next run).
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gitCommit, machineInfo } from './machine.js';
import {
  redisSettings, runBullmqThroughput, runBullmqWorkerFailover, startRedis, tasksMax, type FailoverResult, type RedisServer, type TaskRunResult,
} from './tasks-bullmq.js';
import { bullmqVersions, ensureBullmqInstalled, progress, projectRoot } from './tasks-bullmq-module.js';
import { killAllChildren } from './tasks-bullmq-procs.js';
import { createWorkDir } from './work-dir.js';
import { runKeelThroughput, runKeelWorkerFailover, startKeelCluster, type KeelBenchCluster, type KeelFailoverResult, type KeelRunResult } from './tasks-keel.js';

const configurations: readonly { readonly workers: number; readonly concurrency: number }[] = [
  { workers: 1, concurrency: 16 },
  { workers: 2, concurrency: 16 },
  { workers: 1, concurrency: 64 },
  { workers: 2, concurrency: 64 },
];
const failoverSamplesMax = 20;
const failoverLimitSecondsMax = 600;

const usage = 'usage: npm run bench:tasks -- [--quick] [--only keel|bullmq] [--tasks <per configuration; default 20000, --quick 2000>] '
  + '[--failover-samples <n, default 1; 0 skips>] [--failover-limit-s <s per sample, default 120, --quick 70>] [--dir <parent, default bench/out>]';

class UsageError extends Error {}

interface Settings {
  readonly quick: boolean;
  readonly only: 'keel' | 'bullmq' | undefined;
  readonly tasks: number;
  readonly failoverSamples: number;
  readonly failoverLimitMs: number;
  readonly parentDir: string;
}

function parseSettings(): Settings {
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        tasks: { type: 'string' },
        'failover-samples': { type: 'string' },
        'failover-limit-s': { type: 'string' },
        dir: { type: 'string' },
      },
      strict: true,
    });
    const quick = values.quick;
    if (values.only !== undefined && values.only !== 'keel' && values.only !== 'bullmq') throw new Error(`--only must be keel or bullmq, got "${values.only}"`);
    const only = values.only;
    const tasks = values.tasks === undefined ? (quick ? 2_000 : 20_000) : Number(values.tasks);
    if (!(Number.isSafeInteger(tasks) && tasks > 0 && tasks <= tasksMax)) throw new Error(`--tasks must be an integer in [1, ${tasksMax}], got "${values.tasks}"`);
    const samples = values['failover-samples'] === undefined ? 1 : Number(values['failover-samples']);
    if (!(Number.isSafeInteger(samples) && samples >= 0 && samples <= failoverSamplesMax)) throw new Error(`--failover-samples must be an integer in [0, ${failoverSamplesMax}]`);
    const limitSeconds = values['failover-limit-s'] === undefined ? (quick ? 70 : 120) : Number(values['failover-limit-s']);
    if (!(Number.isFinite(limitSeconds) && limitSeconds > 0 && limitSeconds <= failoverLimitSecondsMax)) throw new Error(`--failover-limit-s must be in (0, ${failoverLimitSecondsMax}]`);
    return { quick, only, tasks, failoverSamples: samples, failoverLimitMs: limitSeconds * 1000, parentDir: resolve(values.dir ?? join(projectRoot, 'bench', 'out')) };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function main(): Promise<void> {
  const settings = parseSettings();
  const startedAt = new Date();
  const dir = await createWorkDir(settings.parentDir, 'tasks', killAllChildren);
  let redis: RedisServer | undefined;
  let keel: KeelBenchCluster | undefined;
  const runKeel = settings.only !== 'bullmq';
  const runBull = settings.only !== 'keel';
  try {
    if (runBull) {
      await ensureBullmqInstalled();
      redis = await startRedis(dir.path);
      const versions = bullmqVersions();
      progress(`redis-server ${redis.version} (PID ${redis.pid}, port ${redis.port}, AOF fsync always) in ${redis.dir}; BullMQ ${versions.bullmq}, ioredis ${versions.ioredis}`);
    }
    if (runKeel) {
      keel = await startKeelCluster(dir.path);
      progress(`keel: 3 nodes (fsync always) at ${keel.endpoints.join(', ')}`);
    }
    const tasks: (TaskRunResult | KeelRunResult)[] = [];
    for (const config of configurations) {
      if (keel !== undefined) {
        progress(`keel throughput: ${config.workers} worker process(es), ${config.concurrency} in flight, ${settings.tasks} trivial tasks`);
        const result = await runKeelThroughput(keel, { ...config, tasks: settings.tasks });
        progress(`  ${result.tasksPerSec} tasks/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`);
        tasks.push(result);
      }
      if (redis !== undefined) {
        progress(`bullmq throughput: ${config.workers} worker process(es), ${config.concurrency} in flight, ${settings.tasks} trivial tasks`);
        const result = await runBullmqThroughput(redis.port, { ...config, tasks: settings.tasks });
        progress(`  ${result.tasksPerSec} tasks/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`);
        tasks.push(result);
      }
    }
    let keelFailover: KeelFailoverResult | null = null;
    let failover: FailoverResult | null = null;
    if (settings.failoverSamples > 0 && keel !== undefined) {
      progress(`keel worker failover: ${settings.failoverSamples} sample(s)`);
      keelFailover = await runKeelWorkerFailover(keel, settings.failoverSamples);
      progress(`  task running again after ${keelFailover.samples.join(', ')} ms`);
    }
    if (settings.failoverSamples > 0 && redis !== undefined) {
      progress(`bullmq worker failover at BullMQ's defaults: ${settings.failoverSamples} sample(s), each up to ${settings.failoverLimitMs / 1000} s (expect ~60 s)`);
      failover = await runBullmqWorkerFailover(redis.port, { samples: settings.failoverSamples, timeLimitMs: settings.failoverLimitMs });
      progress(`  recovered after ${failover.samples.join(', ')} ms${failover.timedOut ? ' (timed out: a lower bound)' : ''}`);
    }
    const commit = gitCommit(projectRoot);
    const ratio = (concurrency: number, field: 'tasksPerSec' | 'p99Ms'): number | null => {
      const pick = (system: string): number[] => tasks.filter((t) => t.system === system && t.concurrency === concurrency).map((t) => t[field]);
      const k = pick('keel');
      const b = pick('bullmq');
      if (k.length === 0 || b.length === 0) return null;
      return Math.round((Math.max(...k) / Math.max(...b)) * 100) / 100;
    };
    const report = {
      machine: machineInfo(dir.path),
      commit,
      commitShort: commit?.slice(0, 7) ?? null,
      date: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
      settings: { quick: settings.quick, only: settings.only ?? null, tasksPerConfiguration: settings.tasks, failoverSamples: settings.failoverSamples, failoverLimitMs: settings.failoverLimitMs },
      definitions: {
        concurrency: 'tasks in flight across all workers: each worker process runs concurrency / workers at once (Keel: --capacity, BullMQ: Worker concurrency)',
        producer: 'every task is submitted up front (Keel: jobs of up to 10,000 tasks; BullMQ: addBulk of 500) while the workers drain them',
        tasksPerSec: 'tasks / (last completion - start of submission)',
        latency: 'from the submission carrying the task to its completion being durable (Keel: the job event of the committed result, replicated to 3 nodes, fsynced; flushed every 50 ms; BullMQ: the completed event, AOF fsynced); includes queueing behind the batch',
        keel: '3 nodes as separate processes, fsync always; workers are `keel worker` processes with handlers in worker threads',
      },
      bullmq: redis === undefined ? null : {
        ...bullmqVersions(),
        redis: redis.version,
        redisSettings,
        workers: 'separate processes (node --import tsx bench/tasks-bullmq-worker.ts), BullMQ Worker defaults apart from concurrency',
        serviceNote: 'details.service* is from the processor starting to the completed event',
      },
      tasks,
      ratios: { tasksPerSec16: ratio(16, 'tasksPerSec'), tasksPerSec64: ratio(64, 'tasksPerSec'), p99Ms64: ratio(64, 'p99Ms') },
      workerFailover: { keel: keelFailover, bullmq: failover },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    progress(`stopping ${[keel === undefined ? '' : 'the keel nodes', redis === undefined ? '' : `redis-server (PID ${redis.pid})`].filter((s) => s !== '').join(' and ')}; removing ${dir.path}`);
    await keel?.stop();
    await redis?.stop();
    await dir.remove();
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) process.stderr.write(`[bench:tasks] ${error.message}\n${usage}\n`);
  else process.stderr.write(`[bench:tasks] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
