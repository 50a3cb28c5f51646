/**
 * Runs the fault schedule against the demo's processes while the job runs: each step when it is
 * due, announced on the terminal as it happens, with a watcher that announces its detection or
 * recovery and keeps the figures for the report.
 */
import { readFile } from 'node:fs/promises';
import type { ResultView } from '../../api/wire-tasks.js';
import type { KeelClient } from '../../client/index.js';
import { assertNever } from '../../core/assert.js';
import { describeError } from '../../core/errors.js';
import type { ProgressBar } from '../progress.js';
import type { DemoProcesses } from './demo-processes.js';
import { describeAction, isDue, type FaultAction, type FaultStep } from './fault-schedule.js';
import { metricSum, scrapeMetrics } from './metrics-text.js';
import { formatMs, type FaultOutcome } from './report.js';
import { endedAttemptsBetween, firstEventAfter, runningAttempts, workerFaultStats, type TaskTimeline } from './timeline.js';
import { progressFile, type MapOutput } from './word-count-tasks.js';

export interface FaultRunnerDeps {
  readonly procs: DemoProcesses;
  readonly client: KeelClient;
  /** A client for one-off questions to the nodes other than `exclude` (fast timeouts). */
  readonly clientFor: (exclude: readonly string[]) => KeelClient;
  readonly timeline: TaskTimeline;
  readonly bar: ProgressBar;
  readonly jobId: string;
  readonly capacity: number;
  readonly startedMs: number;
  /** The leader the poller saw last. */
  readonly leader: () => string | undefined;
  /** Where the map tasks write their outputs and progress files. */
  readonly outputDir: string;
  readonly checkpointEveryLines: number;
}

/** How long a watcher waits for the cluster to react to a fault before it gives up. */
const watchMsMax = 20_000;
const pollMs = 25;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const byTaskNumber = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

type Finisher = (results: ReadonlyMap<string, ResultView>) => Promise<FaultOutcome>;

export class FaultRunner {
  private nextIndex = 0;
  private lastStepMs = Date.now();
  private busy = false;
  private stopped = false;
  private killedNode: string | undefined;
  private readonly faultedWorkers = new Set<string>();
  private readonly pausedAtMs = new Map<string, number>();
  private readonly watchers: Promise<unknown>[] = [];
  private readonly finishers: Finisher[] = [];
  private failure: Error | undefined;

  constructor(private readonly steps: readonly FaultStep[], private readonly deps: FaultRunnerDeps) {}

  /** Starts the next step if it is due (at most one step at a time). */
  tick(doneFraction: number): void {
    if (this.failure !== undefined) throw this.failure;
    const step = this.steps[this.nextIndex];
    if (this.busy || this.stopped || step === undefined || !isDue(step, doneFraction, Date.now() - this.lastStepMs)) return;
    this.busy = true;
    this.nextIndex += 1;
    void this.run(step.action).then(
      () => {
        this.lastStepMs = Date.now();
        this.busy = false;
      },
      (error: unknown) => {
        this.failure = error instanceof Error ? error : new Error(`fault step failed: ${describeError(error)}`);
      },
    );
  }

  /** Steps that never ran because the job finished first. */
  notRun(): FaultAction[] {
    return this.steps.slice(this.nextIndex).map((s) => s.action);
  }

  /** Waits for the watchers (bounded) and computes every fault's outcome. */
  async finish(results: ReadonlyMap<string, ResultView>): Promise<FaultOutcome[]> {
    this.stopped = true;
    while (this.busy && this.failure === undefined) await sleep(pollMs);
    if (this.failure !== undefined) throw this.failure;
    await Promise.all(this.watchers);
    const outcomes: FaultOutcome[] = [];
    for (const finisher of this.finishers) outcomes.push(await finisher(results));
    return outcomes;
  }

  private announce(text: string): void {
    this.deps.bar.log(`[${((Date.now() - this.deps.startedMs) / 1000).toFixed(1).padStart(5)}s] ${text}`);
  }

  private async run(action: FaultAction): Promise<void> {
    switch (action.kind) {
      case 'killWorker': return this.workerFault(action.worker, 'SIGKILL');
      case 'pauseWorker': return this.workerFault(action.worker, 'SIGSTOP');
      case 'startWorker': return this.startWorker(action.worker, action.replaces);
      case 'resumeWorker': return this.resumeWorker(action.worker);
      case 'killLeader': return this.killLeader();
      case 'restartNode': return this.restartNode();
      default: return assertNever(action);
    }
  }

  /** Every live node's failure-detection histogram (sum and count over causes), to tell one fault's share. */
  private async detectionHistograms(): Promise<Map<string, { sum: number; count: number }>> {
    const histograms = new Map<string, { sum: number; count: number }>();
    for (const node of this.deps.procs.layout.nodes) {
      const text = await scrapeMetrics(`http://${node.http}`, 300);
      if (text === undefined) continue;
      histograms.set(node.id, { sum: metricSum(text, 'keel_worker_detection_seconds_sum') ?? 0, count: metricSum(text, 'keel_worker_detection_seconds_count') ?? 0 });
    }
    return histograms;
  }

  /** A task's progress file: [attempt, lines counted, lines in all], or undefined before its first batch. */
  private async progressOf(task: string): Promise<[number, number, number] | undefined> {
    let text: string;
    try {
      text = await readFile(progressFile(this.deps.outputDir, task), 'utf8');
    } catch {
      return undefined; // not written yet: the task has not finished its first batch
    }
    const [attempt, line, lines] = text.split(' ').map(Number);
    return attempt === undefined || line === undefined || lines === undefined || Number.isNaN(line) ? undefined : [attempt, line, lines];
  }

  /**
   * Waits (at most 5 s) for the moment a fault shows most: for a kill, when one of the worker's
   * tasks has checkpointed (a re-run resumes there); for a pause, when one has counted its last
   * batch and sleeps its simulated work, so that once resumed the zombie completes it at once and
   * sends a result the cluster must refuse. Returns that task.
   */
  private async goodMoment(worker: string, moment: 'checkpointed' | 'lastBatch'): Promise<string | undefined> {
    const until = Date.now() + 5_000;
    while (Date.now() < until) {
      for (const [task, attempt] of runningAttempts(this.deps.timeline.events, worker)) {
        const progress = await this.progressOf(task);
        if (progress === undefined || progress[0] !== attempt) continue;
        const [, line, lines] = progress;
        if (moment === 'lastBatch' ? line === lines : line > this.deps.checkpointEveryLines && line < lines) return task;
      }
      await sleep(5);
    }
    return undefined;
  }

  private async workerFault(worker: string, signal: 'SIGKILL' | 'SIGSTOP'): Promise<void> {
    const chosen = await this.goodMoment(worker, signal === 'SIGSTOP' ? 'lastBatch' : 'checkpointed');
    const held = [...runningAttempts(this.deps.timeline.events, worker).keys()].sort(byTaskNumber);
    const before = await this.detectionHistograms();
    const pid = this.deps.procs.pid('worker', worker);
    const kind = signal === 'SIGKILL' ? 'killWorker' : 'pauseWorker';
    this.deps.procs.signal('worker', worker, signal);
    const t0 = Date.now();
    this.faultedWorkers.add(worker);
    if (signal === 'SIGSTOP') this.pausedAtMs.set(worker, t0);
    const last = chosen === undefined ? '' : ` (${chosen} ${signal === 'SIGSTOP' ? 'in its last batch' : 'past a checkpoint'})`;
    this.announce(`FAULT ${describeAction({ kind, worker })}: pid ${pid}, running ${held.length === 0 ? 'no task' : held.join(', ')}${last}`);
    let leaderDetectionMs: number | undefined;
    const leaderAtFault = this.deps.leader();
    let detectedBy: string | undefined;
    this.watchers.push((async () => {
      while (Date.now() - t0 < watchMsMax) {
        const stats = workerFaultStats(this.deps.timeline.events, worker, t0);
        if (stats.detectedMs !== undefined) {
          // Give the workerDown's siblings (every attempt it ended) a moment to arrive.
          await sleep(200);
          // The node that detected it is the leader now (a new one, if the leader died meanwhile).
          const leader = this.deps.leader();
          detectedBy = leader;
          const after = leader === undefined ? undefined : (await this.detectionHistograms()).get(leader);
          const base = (leader === undefined ? undefined : before.get(leader)) ?? { sum: 0, count: 0 };
          if (after !== undefined && after.count > base.count) leaderDetectionMs = (1000 * (after.sum - base.sum)) / (after.count - base.count);
          const { rescheduled } = workerFaultStats(this.deps.timeline.events, worker, t0);
          this.announce(`  ${worker} declared down after ${formatMs(stats.detectedMs)}: ${rescheduled.length} of its tasks rescheduled on other workers`);
          return;
        }
        await sleep(pollMs);
      }
      this.announce(`  ${worker}: no attempt ended within ${watchMsMax / 1000} s`);
    })());
    this.finishers.push((results) => {
      const stats = workerFaultStats(this.deps.timeline.events, worker, t0, t0 + watchMsMax);
      let resumedTasks = 0;
      let linesSaved = 0;
      for (const task of stats.rescheduled) {
        const resumed = (results.get(task)?.output as MapOutput | undefined)?.resumedFrom ?? [];
        if (resumed.length > 0) resumedTasks += 1;
        linesSaved += resumed.reduce((a, b) => a + b, 0);
      }
      return Promise.resolve({
        kind, worker, atMs: t0 - this.deps.startedMs, held: held.length, stats, resumedTasks, linesSaved,
        ...(leaderDetectionMs === undefined ? {} : { leaderDetectionMs }),
        ...(detectedBy !== undefined && detectedBy !== leaderAtFault ? { newLeader: detectedBy } : {}),
      });
    });
  }

  /** Polls the workers list until `worker` is up; the time from `t0`. */
  private async workerUpAfter(worker: string, t0: number): Promise<number | undefined> {
    while (Date.now() - t0 < watchMsMax) {
      try {
        if ((await this.deps.client.workersList()).workers.some((w) => w.workerId === worker && w.status === 'up')) return Date.now() - t0;
      } catch {
        // A leader change in progress: ask again.
      }
      await sleep(pollMs);
    }
    return undefined;
  }

  private startWorker(worker: string, replaces: string): Promise<void> {
    this.deps.procs.startWorker(worker, this.deps.capacity);
    const t0 = Date.now();
    this.announce(`start worker ${worker} to replace ${replaces}`);
    let upAfterMs: number | undefined;
    this.watchers.push(this.workerUpAfter(worker, t0).then((ms) => {
      upAfterMs = ms;
      if (ms !== undefined) this.announce(`  ${worker} registered and taking tasks after ${formatMs(ms)}`);
    }));
    this.finishers.push(() => Promise.resolve({ kind: 'startWorker', worker, replaces, atMs: t0 - this.deps.startedMs, ...(upAfterMs === undefined ? {} : { upAfterMs }) }));
    return Promise.resolve();
  }

  private async zombieCounts(): Promise<{ results: number; checkpoints: number }> {
    for (const node of this.deps.procs.layout.nodes) {
      if (node.id === this.killedNode) continue;
      const text = await scrapeMetrics(`http://${node.http}`);
      if (text === undefined) continue;
      return { results: metricSum(text, 'keel_task_zombie_results_rejected') ?? 0, checkpoints: metricSum(text, 'keel_task_zombie_checkpoints_rejected') ?? 0 };
    }
    return { results: 0, checkpoints: 0 };
  }

  private async resumeWorker(worker: string): Promise<void> {
    // A zombie only once the cluster has declared it down: wait for that (bounded) if it has not yet.
    const pausedAtMs = this.pausedAtMs.get(worker) ?? 0;
    const until = Date.now() + watchMsMax;
    while (Date.now() < until && workerFaultStats(this.deps.timeline.events, worker, pausedAtMs).detectedMs === undefined) await sleep(pollMs);
    const before = await this.zombieCounts();
    this.deps.procs.signal('worker', worker, 'SIGCONT');
    const t0 = Date.now();
    this.announce(`FAULT ${describeAction({ kind: 'resumeWorker', worker })}`);
    let rejoinedAfterMs: number | undefined;
    this.watchers.push(this.workerUpAfter(worker, t0).then((ms) => {
      rejoinedAfterMs = ms;
      if (ms !== undefined) this.announce(`  ${worker} learned it had been declared down, dropped its stale attempts and re-registered after ${formatMs(ms)}`);
    }));
    this.finishers.push(async () => {
      const after = await this.zombieCounts();
      return {
        kind: 'resumeWorker', worker, atMs: t0 - this.deps.startedMs, zombieResults: after.results - before.results,
        zombieCheckpoints: after.checkpoints - before.checkpoints, ...(rejoinedAfterMs === undefined ? {} : { rejoinedAfterMs }),
      };
    });
  }

  private async killLeader(): Promise<void> {
    let leader: string | null = null;
    for (let i = 0; leader === null && i < 100; i++) {
      leader = (await this.deps.client.cluster()).leaderId;
      if (leader === null) await sleep(50);
    }
    if (leader === null) {
      this.announce('no leader to kill: skipped');
      return;
    }
    const pid = this.deps.procs.pid('node', leader);
    this.deps.procs.signal('node', leader, 'SIGKILL');
    const t0 = Date.now();
    this.killedNode = leader;
    this.announce(`FAULT ${describeAction({ kind: 'killLeader' }, leader)}: pid ${pid}`);
    const others = this.deps.clientFor([leader]);
    const old = leader;
    let elected: { afterMs: number; leader: string; term: number } | undefined;
    this.watchers.push((async () => {
      while (Date.now() - t0 < watchMsMax) {
        try {
          const cluster = await others.cluster();
          if (cluster.leaderId !== null && cluster.leaderId !== old) {
            elected = { afterMs: Date.now() - t0, leader: cluster.leaderId, term: cluster.term };
            this.announce(`  new leader ${elected.leader} (term ${elected.term}) elected ${formatMs(elected.afterMs)} after the kill`);
            return;
          }
        } catch {
          // No node answers with a leader yet: ask again.
        }
        await sleep(pollMs);
      }
      this.announce(`  no new leader within ${watchMsMax / 1000} s`);
    })());
    this.finishers.push(() => {
      const first = firstEventAfter(this.deps.timeline.events, t0);
      const windowEndMs = t0 + (elected?.afterMs ?? 0) + 3_000;
      return Promise.resolve({
        kind: 'killLeader', node: old, atMs: t0 - this.deps.startedMs,
        rescheduled: endedAttemptsBetween(this.deps.timeline.events, t0, windowEndMs, this.faultedWorkers),
        ...(first === undefined ? {} : { firstCommitAfterMs: first.atMs - t0 }),
        ...(elected === undefined ? {} : { electedAfterMs: elected.afterMs, newLeader: elected.leader, term: elected.term }),
      });
    });
  }

  private async restartNode(): Promise<void> {
    const node = this.killedNode;
    if (node === undefined) {
      this.announce('no killed node to restart: skipped');
      return;
    }
    // Caught up = applied what the cluster had committed when the node came back.
    const cluster = await this.deps.clientFor([node]).cluster();
    const targetIndex = cluster.members.find((m) => m.id === cluster.leaderId)?.commitIndex ?? 0;
    this.deps.procs.startNode(node);
    const t0 = Date.now();
    this.killedNode = undefined;
    this.announce(`restart node ${node} on its data directory (the cluster is at index ${targetIndex})`);
    const endpoint = this.deps.procs.endpointOf(node);
    let serving: { afterMs: number; appliedIndex: number } | undefined;
    let answeringAfterMs: number | undefined;
    this.watchers.push((async () => {
      const client = this.deps.clientFor([]);
      while (Date.now() - t0 < watchMsMax) {
        try {
          const health = await client.health(endpoint);
          answeringAfterMs ??= Date.now() - t0;
          if (health.ok && health.appliedIndex >= targetIndex) {
            serving = { afterMs: Date.now() - t0, appliedIndex: health.appliedIndex };
            this.announce(`  ${node} recovered from its disk, caught up (index ${health.appliedIndex}) and serving after ${formatMs(serving.afterMs)}`);
            return;
          }
        } catch {
          // Still starting.
        }
        await sleep(pollMs * 2);
      }
      this.announce(`  ${node} not serving within ${watchMsMax / 1000} s`);
    })());
    this.finishers.push(() => Promise.resolve({
      kind: 'restartNode', node, atMs: t0 - this.deps.startedMs,
      ...(serving === undefined ? {} : { servingAfterMs: serving.afterMs, appliedIndex: serving.appliedIndex }),
      ...(answeringAfterMs === undefined ? {} : { answeringAfterMs }),
    }));
  }
}
