/**
 * The verdict of a tasks chaos run, from the job records (task-records.ts), the nemesis log and
 * the nodes' zombie counters. Pure: no clock, no I/O.
 *
 * Checked from the client's side (the applied log is not available to the harness, so this is
 * not src/check's exactly-once checker; it checks what a user of the engine can observe):
 * - duplicates: a task listed twice in its job's results, or `succeeded` events of two different
 *   attempts of one task (the same attempt seen twice is one commit seen through two nodes);
 * - wrong outputs: a committed output that is not the handler's output for the task's input
 *   (square: n and n^2; count: `at` = steps, checkpoint resumptions increasing, within 1..steps),
 *   or a result for a task the job does not have;
 * - stale results: the committed output was produced by an attempt other than the task's last
 *   (the handlers put their fencing token in the output: a zombie's result that got through), or
 *   by another worker than the result record names;
 * - lost: a task of an accepted job without a result that was not dead-lettered at the end
 *   (after the final heal and the drain), including jobs that could not be read back at all.
 * Dead letters are counted and warned about, not failed: they are what exhausted attempts do.
 *
 * Worker fault recovery: the fault's start to the next `assigned` event (a higher attempt) of
 * each task whose lease the fault ended (a `retry`/`deadLettered` event with reason
 * `workerDown` naming the worker, received after the fault started and before the next fault of
 * the same worker). Per fault, the last of them; per task, each one.
 */
import type { HistoryOp } from '../check/index.js';
import type { ChaosSummary, FaultRecord, TaskWorkloadSummary } from './types.js';
import { latencyStats, nsToMs } from './stats.js';
import type { ChaosJobRecord, ChaosTaskSpec, TaskEventRecord } from './task-records.js';

/** Tasks named in one violation line; the rest are counted. */
const namedMax = 10;
/** A workerDown seen this long after a worker pause ended still counts as caused by the pause (events arrive late). */
const pauseGraceNs = 5e9;

export interface TaskMetrics {
  /** Nodes whose /metrics answered. */
  readonly nodesAnswered: number;
  /** Max over the nodes that answered (the counters are replicated state: the most caught-up node has the highest). */
  readonly zombieResultsRejected: number;
  readonly zombieCheckpointsRejected: number;
}

export interface TasksFinal {
  readonly jobs: readonly ChaosJobRecord[];
  /** null when no node answered /metrics at the end. */
  readonly metrics: TaskMetrics | null;
  readonly workers: TaskWorkloadSummary['workers'];
}

/** A successful write: for the tasks workload a committed task, called at its job's submit and returned when its commit was seen. */
export interface TimedWrite {
  readonly call: number;
  readonly return: number;
}

export interface TaskVerdict {
  readonly summary: TaskWorkloadSummary;
  readonly ops: ChaosSummary['ops'];
  readonly safe: boolean | 'unknown';
  readonly commits: readonly TimedWrite[];
  readonly violations: readonly string[];
  /** Worker faults whose held tasks were seen to run again: fault id -> recovery and tasks held. */
  readonly workerFaults: ReadonlyMap<number, { readonly recoveryMs: number | null; readonly heldTasks: number }>;
}

class Findings {
  readonly byKind = new Map<string, string[]>();
  add(kind: string, item: string): void {
    const list = this.byKind.get(kind) ?? [];
    list.push(item);
    this.byKind.set(kind, list);
  }
  count(kind: string): number {
    return this.byKind.get(kind)?.length ?? 0;
  }
  line(kind: string, what: string): string | undefined {
    const items = this.byKind.get(kind);
    if (items === undefined) return undefined;
    const more = items.length > namedMax ? ` and ${items.length - namedMax} more` : '';
    return `tasks: ${items.length} ${what}: ${items.slice(0, namedMax).join('; ')}${more}`;
  }
}

export function summarizeTasks(final: TasksFinal, faults: readonly FaultRecord[]): TaskVerdict {
  const findings = new Findings();
  const commits: TimedWrite[] = [];
  const counts = { tasks: 0, committed: 0, deadLettered: 0, resumed: 0, stepsSaved: 0, extraAttempts: 0, endedByWorkerDown: 0, endedByFalseSuspicion: 0, finished: 0, unread: 0 };
  const ops = { total: final.jobs.length, ok: 0, failed: 0, indeterminate: 0 };
  for (const job of final.jobs) {
    if (job.submit === 'ok') ops.ok++;
    else if (job.submit === 'fail') ops.failed++;
    else ops.indeterminate++;
    if (job.submit !== 'ok') continue;
    counts.tasks += job.tasks.length;
    if (job.endNs !== null) counts.finished++;
    for (const e of job.events) {
      if (e.reason !== 'workerDown') continue;
      counts.endedByWorkerDown++;
      if (e.worker !== undefined && !hitByFault(faults, e.worker, e.atNs)) counts.endedByFalseSuspicion++;
    }
    if (job.results === null) counts.unread++;
    checkJob(job, findings, counts, commits);
  }
  const recovery = workerRecovery(final.jobs, faults);
  const summary: TaskWorkloadSummary = {
    workers: final.workers,
    jobs: { submitted: final.jobs.length, accepted: ops.ok, finished: counts.finished, unknown: ops.indeterminate },
    tasks: counts.tasks,
    committed: counts.committed,
    duplicates: findings.count('duplicate'),
    wrongOutputs: findings.count('wrong'),
    staleResults: findings.count('stale'),
    lost: findings.count('lost'),
    deadLettered: counts.deadLettered,
    resumedFromCheckpoint: counts.resumed,
    stepsSaved: counts.stepsSaved,
    extraAttempts: counts.extraAttempts,
    endedByWorkerDown: counts.endedByWorkerDown,
    endedByFalseSuspicion: counts.endedByFalseSuspicion,
    zombieResultsRejected: final.metrics?.zombieResultsRejected ?? null,
    zombieCheckpointsRejected: final.metrics?.zombieCheckpointsRejected ?? null,
    workerRecovery: { perFault: latencyStats(recovery.perFault), perTask: latencyStats(recovery.perTask) },
  };
  const violations = [
    findings.line('duplicate', 'committed more than once'),
    findings.line('wrong', 'with a wrong output'),
    findings.line('stale', 'whose committed result is not the live attempt\'s'),
    findings.line('lost', 'lost (no result and not dead-lettered after the final heal)'),
  ].filter((line): line is string => line !== undefined);
  const safe = violations.length > 0 ? false : counts.unread > 0 ? 'unknown' : true;
  return { summary, ops, safe, commits, violations, workerFaults: recovery.outcomes };
}

function checkJob(job: ChaosJobRecord, findings: Findings, counts: { committed: number; deadLettered: number; resumed: number; stepsSaved: number; extraAttempts: number }, commits: TimedWrite[]): void {
  const specs = new Map(job.tasks.map((t) => [t.id, t]));
  const name = (id: string): string => `${job.jobId}/${id}`;
  const commitSeen = firstCommitSeen(job.events);
  const committedAttempts = new Map<string, Set<number>>();
  for (const e of job.events) {
    if (e.event !== 'succeeded') continue;
    const set = committedAttempts.get(e.taskId) ?? new Set<number>();
    set.add(e.attempt);
    committedAttempts.set(e.taskId, set);
  }
  const resultCount = new Map<string, number>();
  for (const r of job.results ?? []) resultCount.set(r.taskId, (resultCount.get(r.taskId) ?? 0) + 1);
  for (const id of new Set([...committedAttempts.keys(), ...resultCount.keys()])) {
    const attempts = [...(committedAttempts.get(id) ?? [])].sort((a, b) => a - b);
    const listed = resultCount.get(id) ?? 0;
    if (attempts.length > 1) findings.add('duplicate', `${name(id)} (commits of attempts ${attempts.join(', ')} seen)`);
    else if (listed > 1) findings.add('duplicate', `${name(id)} (listed ${listed} times in the results)`);
  }
  const checked = new Set<string>();
  for (const r of job.results ?? []) {
    if (checked.has(r.taskId)) continue;
    checked.add(r.taskId);
    const spec = specs.get(r.taskId);
    if (spec === undefined) {
      findings.add('wrong', `${name(r.taskId)} (a result for a task the job does not have)`);
      continue;
    }
    const wrong = outputProblem(spec, r.output);
    if (wrong !== undefined) findings.add('wrong', `${name(r.taskId)} (${wrong})`);
    const stale = staleProblem(r.output, r.attempts, r.worker);
    if (stale !== undefined) findings.add('stale', `${name(r.taskId)} (${stale})`);
    if (resultCount.get(r.taskId) === 1 && (committedAttempts.get(r.taskId)?.size ?? 0) <= 1) counts.committed++;
    counts.extraAttempts += Math.max(0, r.attempts - 1);
    const resumedFrom = (r.output as { resumedFrom?: unknown } | null)?.resumedFrom;
    if (spec.handler === 'count' && Array.isArray(resumedFrom) && resumedFrom.length > 0) {
      counts.resumed++;
      counts.stepsSaved += Math.max(...resumedFrom.map(Number));
    }
    const seen = commitSeen.get(r.taskId) ?? job.endNs;
    if (seen !== null && seen !== undefined) commits.push({ call: job.submitNs, return: seen });
  }
  const unfinished = new Map(job.unfinished.map((t) => [t.id, t]));
  for (const spec of job.tasks) {
    if (checked.has(spec.id)) continue;
    const status = unfinished.get(spec.id)?.status;
    if (status === 'deadLettered') counts.deadLettered++;
    else if (job.results === null) findings.add('lost', `${name(spec.id)} (its job could not be read back)`);
    else findings.add('lost', `${name(spec.id)} (${status ?? 'succeeded but its result is missing'}${status === undefined ? '' : ` after ${unfinished.get(spec.id)!.attempt} attempt(s)`})`);
  }
}

/** Whether a worker fault had hit `worker` at `atNs` (a kill for good; a pause until a grace period after it ended). */
function hitByFault(faults: readonly FaultRecord[], worker: string, atNs: number): boolean {
  return faults.some((f) => f.targets[0] === worker && atNs >= f.startNs
    && (f.kind === 'worker-kill' || (f.kind === 'worker-pause' && (f.endNs === null || atNs <= f.endNs + pauseGraceNs))));
}

/** Why `output` is not the handler's output for the task, or undefined when it is. */
export function outputProblem(spec: ChaosTaskSpec, output: unknown): string | undefined {
  if (typeof output !== 'object' || output === null) return `output ${JSON.stringify(output)} is not an object`;
  const o = output as Record<string, unknown>;
  switch (spec.handler) {
    case 'square': {
      const { n } = spec.input;
      if (o.n !== n || o.square !== n * n) return `square of ${n} gave ${JSON.stringify({ n: o.n, square: o.square })}, expected ${JSON.stringify({ n, square: n * n })}`;
      return undefined;
    }
    case 'count': {
      const { steps } = spec.input;
      if (o.at !== steps) return `count to ${steps} ended at ${JSON.stringify(o.at)}`;
      const resumed = o.resumedFrom;
      // A checkpoint is taken after every step, the last one included: a re-run may resume at `steps` and finish at once.
      const okResumes = Array.isArray(resumed) && resumed.every((x, i) => Number.isInteger(x) && (x as number) >= 1 && (x as number) <= steps && (i === 0 || (x as number) > (resumed[i - 1] as number)));
      if (!okResumes) return `count resumed from ${JSON.stringify(resumed)}: checkpoints must grow and stay within 1..${steps}`;
      return undefined;
    }
  }
}

/** Why the output cannot come from the committed (last) attempt on the named worker, or undefined. */
function staleProblem(output: unknown, attempts: number, worker: string): string | undefined {
  const o = (typeof output === 'object' && output !== null ? output : {}) as Record<string, unknown>;
  if (o.attempt !== attempts) return `the committed output was produced by attempt ${JSON.stringify(o.attempt)}, the task's last attempt is ${attempts}`;
  if (typeof o.worker === 'string' && o.worker !== worker) return `the committed output was produced on ${o.worker}, the result names ${worker}`;
  return undefined;
}

/** Per task, when its first `succeeded` event was received. */
function firstCommitSeen(events: readonly TaskEventRecord[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const e of events) {
    if (e.event !== 'succeeded') continue;
    const before = seen.get(e.taskId);
    if (before === undefined || e.atNs < before) seen.set(e.taskId, e.atNs);
  }
  return seen;
}

interface WorkerRecovery {
  readonly outcomes: Map<number, { recoveryMs: number | null; heldTasks: number }>;
  readonly perFault: number[];
  readonly perTask: number[];
}

function workerRecovery(jobs: readonly ChaosJobRecord[], faults: readonly FaultRecord[]): WorkerRecovery {
  const assigned = new Map<string, TaskEventRecord[]>();
  const ended: (TaskEventRecord & { key: string })[] = [];
  for (const job of jobs) {
    for (const e of job.events) {
      const key = `${job.jobId}/${e.taskId}`;
      if (e.event === 'assigned') {
        const list = assigned.get(key) ?? [];
        list.push(e);
        assigned.set(key, list);
      } else if (e.reason === 'workerDown' && e.worker !== undefined) {
        ended.push({ ...e, key });
      }
    }
  }
  const workerFaults = faults.filter((f) => f.kind === 'worker-kill' || f.kind === 'worker-pause').sort((a, b) => a.startNs - b.startNs);
  const result: WorkerRecovery = { outcomes: new Map(), perFault: [], perTask: [] };
  workerFaults.forEach((fault, i) => {
    const worker = fault.targets[0];
    const windowEnd = workerFaults.slice(i + 1).find((f) => f.targets[0] === worker)?.startNs ?? Number.POSITIVE_INFINITY;
    const held = new Map<string, TaskEventRecord>();
    for (const e of ended) {
      if (e.worker === worker && e.atNs >= fault.startNs && e.atNs < windowEnd && !held.has(`${e.key}#${e.attempt}`)) held.set(`${e.key}#${e.attempt}`, e);
    }
    const samples: number[] = [];
    for (const [id, e] of held) {
      if (e.event === 'deadLettered') continue;
      const key = id.slice(0, id.lastIndexOf('#'));
      const next = (assigned.get(key) ?? []).filter((a) => a.attempt > e.attempt).sort((a, b) => a.attempt - b.attempt)[0];
      if (next !== undefined) samples.push(nsToMs(Math.max(0, next.atNs - fault.startNs)));
    }
    const recoveryMs = samples.length === 0 ? null : Math.max(...samples);
    result.outcomes.set(fault.id, { recoveryMs, heldTasks: held.size });
    result.perTask.push(...samples);
    if (recoveryMs !== null) result.perFault.push(recoveryMs);
  });
  return result;
}

/**
 * Marks for the latency plot (plot.ts draws kv-history ops): one `put` per committed task, from
 * its job's submit to its commit being seen; one `info` per lost task of an accepted job.
 */
export function taskMarks(jobs: readonly ChaosJobRecord[]): HistoryOp[] {
  const marks: HistoryOp[] = [];
  jobs.forEach((job, client) => {
    if (job.submit !== 'ok') return;
    const seen = firstCommitSeen(job.events);
    const withResult = new Set((job.results ?? []).map((r) => r.taskId));
    for (const spec of job.tasks) {
      const key = `${job.jobId}/${spec.id}`;
      const at = withResult.has(spec.id) ? seen.get(spec.id) ?? job.endNs : null;
      if (at !== null && at !== undefined) marks.push({ client, op: 'put', key, value: spec.handler, call: job.submitNs, return: Math.max(at, job.submitNs), status: 'ok' });
      else if (!job.unfinished.some((t) => t.id === spec.id && t.status === 'deadLettered')) marks.push({ client, op: 'put', key, value: spec.handler, call: job.submitNs, return: null, status: 'info' });
    }
  });
  return marks;
}
