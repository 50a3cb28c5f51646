/**
 * Real processes: 3 nodes and 3 workers; a job of 1,000 tasks while two workers are killed -9,
 * one is paused into a zombie and resumed, and the leader is killed -9. Every task must end with
 * exactly one correct result; long tasks resume from their checkpoints; zombie results are refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobEvent } from '../src/api/wire-tasks.js';
import { KeelClient } from '../src/client/index.js';
import { ProcessCluster } from './process.test-kit.js';

const tasksModule = 'test/fixtures/tasks.ts';
let cluster: ProcessCluster | undefined;
afterEach(() => {
  cluster?.close();
  cluster = undefined;
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const longTasks = 50;
const steps = 8;
const stepMs = 100;

describe('task engine across real processes under kill -9 and pause', () => {
  it('commits all 1,000 results once through worker kills, a zombie and a leader kill', async () => {
    cluster = await ProcessCluster.start(3);
    for (const name of ['wa', 'wb', 'wc']) cluster.startWorker(name, tasksModule, 4);
    await cluster.workersUp(3);
    const client = new KeelClient({ endpoints: cluster.endpoints, timeoutMs: 2_000, retries: 20 });
    const tasks = Array.from({ length: 1000 }, (_, i) => (i % 20 === 0
      ? { id: `c${i}`, handler: 'count', input: { steps, stepMs } }
      : { id: `s${i}`, handler: 'square', input: { n: i } }));
    const job = await client.jobs.submit({ tasks });

    const assigned = new Map<string, { atMs: number; worker: string }[]>();
    const endedByDown: { taskId: string; worker: string; atMs: number }[] = [];
    const follow = (async () => {
      for await (const event of job.events() as AsyncIterable<JobEvent>) {
        if (event.type !== 'task') continue;
        if (event.event === 'assigned') {
          const list = assigned.get(event.taskId) ?? [];
          list.push({ atMs: Date.now(), worker: event.worker! });
          assigned.set(event.taskId, list);
        } else if (event.reason === 'workerDown') {
          endedByDown.push({ taskId: event.taskId, worker: event.worker!, atMs: Date.now() });
        }
      }
    })();

    const killed: { worker: string; atMs: number }[] = [];
    const killWorker = (name: string): void => {
      cluster!.workers.get(name)!.kill('SIGKILL');
      killed.push({ worker: name, atMs: Date.now() });
    };
    await sleep(1_500);
    killWorker('wa');
    cluster.startWorker('wd', tasksModule, 4);
    await sleep(1_500);
    cluster.workers.get('wc')!.kill('SIGSTOP');
    const leader = await cluster.leader();
    cluster.nodes.get(leader)!.kill('SIGKILL');
    const leaderKilledAt = Date.now();
    const newLeader = await cluster.leader(leader);
    const leaderFailoverMs = Date.now() - leaderKilledAt;
    await sleep(1_500);
    cluster.workers.get('wc')!.kill('SIGCONT');
    killWorker('wb');
    cluster.startWorker('we', tasksModule, 4);

    const results = await job.result();
    await follow;

    // Exactly once, and correct.
    expect(results).toHaveLength(1000);
    expect(new Set(results.map((r) => r.taskId)).size).toBe(1000);
    for (const r of results) {
      if (r.taskId.startsWith('s')) expect(r.output).toEqual({ n: Number(r.taskId.slice(1)), square: Number(r.taskId.slice(1)) ** 2 });
      else expect((r.output as { at: number }).at).toBe(steps);
    }
    // Work saved by checkpoints: steps a re-run did not redo.
    const resumed = results.filter((r) => r.taskId.startsWith('c') && (r.output as { resumedFrom: number[] }).resumedFrom.length > 0);
    const stepsSaved = resumed.reduce((n, r) => n + Math.max(...(r.output as { resumedFrom: number[] }).resumedFrom), 0);
    // Worker failover: kill to the task's next assignment, for tasks the killed workers held.
    const recoveries: number[] = [];
    for (const { worker, atMs } of killed) {
      for (const ended of endedByDown.filter((e) => e.worker === worker)) {
        const next = assigned.get(ended.taskId)?.find((a) => a.atMs >= ended.atMs && a.worker !== worker);
        if (next !== undefined) recoveries.push(next.atMs - atMs);
      }
    }
    recoveries.sort((a, b) => a - b);
    const metrics = await (await fetch(`${cluster.endpoints[cluster.layout.findIndex((n) => n.id === newLeader)]}/metrics`)).text();
    const zombies = Number(/^keel_task_zombie_results_rejected (\d+)/m.exec(metrics)?.[1] ?? 0);
    const metric = (pattern: RegExp): number => Number(pattern.exec(metrics)?.[1] ?? NaN);
    const workerRecoveries = metric(/^keel_recovery_seconds_count\{fault="worker"\} (\d+)/m);
    const workerRecoveryRate = metric(/^keel_recovery_rate\{fault="worker"\} ([\d.]+)/m);
    const report = {
      tasks: results.length, longTasks, resumedFromCheckpoint: resumed.length, stepsSaved, workSavedMs: stepsSaved * stepMs,
      tasksEndedByWorkerDown: endedByDown.length, workerRecoveryMs: { median: recoveries[Math.floor(recoveries.length / 2)], max: recoveries.at(-1), samples: recoveries.length },
      leaderFailoverMs, zombieResultsRejected: zombies, leaderMetrics: { workerRecoveries, workerRecoveryRate },
    };
    console.log(JSON.stringify(report));
    expect(recoveries.length).toBeGreaterThan(0);
    expect(recoveries.at(-1)!).toBeLessThan(5_000);
    expect(resumed.length).toBeGreaterThan(0);
    // The new leader saw the second worker kill and measured its recovery.
    expect(workerRecoveries).toBeGreaterThanOrEqual(1);
    expect(workerRecoveryRate).toBe(1);
    expect(metrics).toMatch(/^keel_raft_commit_seconds_count \d+/m);
    expect(metrics).toMatch(/^keel_wal_fsync_seconds_count \d+/m);
  }, 120_000);
});
