/**
 * One chaos run: start a real cluster behind link proxies (and, for the tasks workload, worker
 * processes), run the workload and the seeded nemesis for `timeSec`, heal everything, require
 * new commits within 10 s (liveness), read the final state, stop the cluster, then check and
 * report (history or job records, nemesis log, summary, plot).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryOp } from '../check/index.js';
import { seededRandom } from '../core/prng.js';
import { ChaosCluster } from './cluster.js';
import { Nemesis } from './nemesis.js';
import { renderSummaryHtml } from './plot.js';
import { writeRunOutputs, type RunOutputs } from './records.js';
import { summarize } from './summarize.js';
import { taskMarks } from './summarize-tasks.js';
import { scrapeTaskMetrics } from './task-metrics.js';
import { TaskWorkload } from './task-workload.js';
import { isWorkerNemesis, type ChaosSummary, type NemesisKind, type WorkloadKind } from './types.js';
import { ChaosWorkers, workerCapacityDefault } from './workers.js';
import { Workload } from './workload.js';

export interface ChaosRunOptions {
  readonly nodes: number;
  readonly timeSec: number;
  readonly nemeses: readonly NemesisKind[];
  readonly workload: WorkloadKind;
  /** register and set: concurrent clients; tasks: jobs in flight (one submit loop each). */
  readonly clients: number;
  readonly seed: number;
  readonly out: string;
  /** tasks: worker processes at a time (default 3) and the capacity of each (default 4). */
  readonly workers?: number;
  readonly workerCapacity?: number;
  /** Extra `keel start` flags (the unsafe mutation runs). */
  readonly nodeArgs?: readonly string[];
  /** How to run the keel CLI for the nodes and workers (tests: ['--import', 'tsx', 'src/cli/main.ts']). */
  readonly command?: readonly string[];
  readonly log?: (line: string) => void;
}

const livenessWindowMs = 10_000;
/** tasks: after the liveness check, how long jobs in flight get to finish before unfinished tasks count as lost. */
const drainMs = 30_000;
/** Bounds on start-up (tsx compiles the sources in every process: slow on a busy machine). */
const startUpTimeoutMs = 60_000;
const workersUpTimeoutMs = 60_000;
export const workersDefault = 3;

interface RunContext {
  readonly options: ChaosRunOptions;
  readonly cluster: ChaosCluster;
  readonly nemesis: Nemesis;
  readonly workers: ChaosWorkers | undefined;
  readonly nowNs: () => number;
  readonly log: (line: string) => void;
  readonly stamp: () => string;
}

interface RunResult {
  readonly summary: ChaosSummary;
  readonly outputs: Omit<RunOutputs, 'summary' | 'html' | 'faults'>;
  readonly marks: readonly HistoryOp[];
}

export async function runChaos(options: ChaosRunOptions): Promise<ChaosSummary> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const workerFaults = options.nemeses.filter(isWorkerNemesis);
  if (workerFaults.length > 0 && options.workload !== 'tasks') throw new Error(`nemeses ${workerFaults.join(', ')} need the tasks workload`);
  mkdirSync(options.out, { recursive: true });
  // Time zero is reset once the cluster serves, so start-up does not count against availability.
  let t0 = process.hrtime.bigint();
  const nowNs = (): number => Number(process.hrtime.bigint() - t0);
  const random = seededRandom(options.seed);
  const cluster = await ChaosCluster.start({
    nodes: options.nodes, dir: join(options.out, 'cluster'),
    ...(options.command === undefined ? {} : { command: options.command }),
    ...(options.nodeArgs === undefined ? {} : { extraArgs: options.nodeArgs }),
  });
  const workers = options.workload !== 'tasks' ? undefined : new ChaosWorkers({
    endpoints: cluster.endpoints, dir: join(options.out, 'cluster'), capacity: options.workerCapacity ?? workerCapacityDefault,
    ...(options.command === undefined ? {} : { command: options.command }),
  });
  const stamp = (): string => `[${(nowNs() / 1e9).toFixed(1)}s]`;
  const nemesis = new Nemesis(cluster, {
    kinds: options.nemeses, startMs: 2_000, endMs: Math.max(2_500, options.timeSec * 1_000 - 1_000), random, nowNs,
    log: (line) => log(`${stamp()} ${line}`), ...(workers === undefined ? {} : { workers }),
  });
  try {
    const startedAt = Date.now();
    // Workers start beside the nodes (they keep trying to register until a leader answers).
    const workerCount = options.workers ?? workersDefault;
    for (let i = 0; workers !== undefined && i < workerCount; i++) workers.spawn();
    await waitForLeader(cluster.endpoints, startUpTimeoutMs);
    if (workers !== undefined) {
      await workers.waitUp(workerCount, workersUpTimeoutMs);
      log(`cluster and ${workerCount} workers up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    }
    t0 = process.hrtime.bigint();
    const what = options.workload === 'tasks' ? `${options.clients} jobs in flight, ${options.workers ?? workersDefault} workers` : `${options.clients} clients`;
    log(`cluster up: ${options.nodes} nodes; workload ${options.workload} with ${what}; nemesis ${options.nemeses.join(',') || 'none'}; seed ${options.seed}`);
    const context: RunContext = { options, cluster, nemesis, workers, nowNs, log, stamp };
    const result = workers === undefined ? await runKv(context) : await runTasks(context, workers);
    const html = renderSummaryHtml(result.summary, result.marks, nemesis.faults);
    await writeRunOutputs(options.out, { ...result.outputs, faults: nemesis.faults, summary: result.summary, html });
    return result.summary;
  } finally {
    await workers?.stop();
    await cluster.stop();
  }
}

/** register and set: clients until the end, the final heal, liveness, the final read (set). */
async function runKv(context: RunContext): Promise<RunResult> {
  const { options, cluster, nemesis, nowNs, log, stamp } = context;
  let stopping = false;
  const workload = new Workload(options.workload, {
    endpoints: cluster.endpoints, random: seededRandom(options.seed ^ 0x5eed), requestTimeoutMs: 1_000, nowNs,
    stopped: () => stopping,
  });
  try {
    const clients = workload.run(options.clients);
    nemesis.start();
    const progress = setInterval(() => {
      const ok = workload.history.filter((o) => o.status === 'ok').length;
      log(`${stamp()} ops ${workload.history.length} (ok ${ok})`);
    }, 5_000);
    await sleep(options.timeSec * 1_000);
    clearInterval(progress);
    await nemesis.healAll();
    const finalHealNs = nowNs();
    log(`${stamp()} final heal: every link restored, every node running`);
    // Liveness: keep the clients going until a write commits after the heal (bounded), then a bit more.
    const until = Date.now() + livenessWindowMs + 1_000;
    while (Date.now() < until && workload.okWritesSince(finalHealNs) === 0) await sleep(100);
    await sleep(1_000);
    stopping = true;
    await clients;
    const finalRead = options.workload === 'set' ? await workload.readSet(10_000) : null;
    const durationNs = nowNs();
    const setFinal = options.workload === 'set'
      ? {
        acknowledged: [...workload.added].filter(([, s]) => s === 'ok').map(([e]) => e),
        indeterminate: [...workload.added].filter(([, s]) => s === 'info').map(([e]) => e),
        finalRead,
      }
      : undefined;
    const summary = summarize({
      seed: options.seed, nodes: options.nodes, workload: options.workload, nemeses: options.nemeses, durationNs, finalHealNs,
      history: workload.history, faults: nemesis.faults, ...(setFinal === undefined ? {} : { setFinal }),
    });
    return { summary, outputs: { history: workload.history }, marks: workload.history };
  } finally {
    stopping = true;
  }
}

/**
 * tasks: submit loops and worker plus node faults until the end; the final heal (paused workers
 * resumed, killed ones replaced); liveness (a task commits within 10 s of the heal); then no new
 * jobs, and the ones in flight get `drainMs` to finish.
 */
async function runTasks(context: RunContext, workers: ChaosWorkers): Promise<RunResult> {
  const { options, cluster, nemesis, nowNs, log, stamp } = context;
  const workload = new TaskWorkload({
    endpoints: cluster.endpoints, random: seededRandom(options.seed ^ 0x5eed), nowNs,
    // Unique per run: a rerun into the same --out reuses the data directories and so the old jobs.
    jobPrefix: `s${options.seed}-${Date.now().toString(36)}`,
  });
  const loops = workload.run(options.clients);
  let finalHealNs: number | undefined;
  try {
    nemesis.start();
    const progress = setInterval(() => {
      log(`${stamp()} jobs ${workload.jobs.length}, task commits seen ${workload.commitsSince(0)}, live workers ${workers.live.join(',')}`);
    }, 5_000);
    await sleep(options.timeSec * 1_000);
    clearInterval(progress);
    await nemesis.healAll();
    const healNs = nowNs();
    finalHealNs = healNs;
    log(`${stamp()} final heal: every link restored, every node running, paused workers resumed, killed ones replaced`);
    const until = Date.now() + livenessWindowMs + 1_000;
    while (Date.now() < until && workload.commitsSince(healNs) === 0) await sleep(100);
    await sleep(1_000);
  } finally {
    workload.stop(Date.now() + drainMs);
    await loops;
  }
  await workload.finish();
  log(`${stamp()} drained: ${workload.jobs.length} jobs`);
  const metrics = await scrapeTaskMetrics(cluster.endpoints);
  const durationNs = nowNs();
  const summary = summarize({
    seed: options.seed, nodes: options.nodes, workload: 'tasks', nemeses: options.nemeses, durationNs,
    finalHealNs: finalHealNs ?? durationNs, history: [], faults: nemesis.faults,
    tasksFinal: {
      jobs: workload.jobs, metrics,
      workers: { initial: options.workers ?? workersDefault, started: workers.started, capacity: options.workerCapacity ?? workerCapacityDefault },
    },
  });
  return { summary, outputs: { jobs: workload.jobs }, marks: taskMarks(workload.jobs) };
}

async function waitForLeader(endpoints: readonly string[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    for (const endpoint of endpoints) {
      try {
        const response = await fetch(`${endpoint}/healthz`, { signal: AbortSignal.timeout(500) });
        if (response.ok) return;
      } catch {
        // not up yet
      }
    }
    await sleep(200);
  }
  throw new Error(`no node became healthy within ${timeoutMs / 1000} s (see the node logs in --out/cluster)`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
