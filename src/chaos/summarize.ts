/**
 * The verdict of a chaos run: from the recorded history (kv-history v1) and the nemesis log to a
 * `ChaosSummary`. Pure: no clock, no I/O, same input -> same summary.
 *
 * Definitions (times are ns since the run started, on the clients' clock):
 * - A *write* is put, append, cas or delete; a *successful write* is one with status `ok`. A cas
 *   with `output:false` counts: the request went through the log and committed.
 * - Availability: the run is cut into 1-second windows [i s, (i+1) s) for i < ceil(duration / 1 s);
 *   a window is available if some successful write *returned* in it (the return is when the
 *   client saw the success). The last window may be shorter than a second.
 * - Recovery of a fault: from `recoveryFromNs` to the return of the first successful write that
 *   returned at or after it. Recovered iff such a write exists anywhere in the history (a fault
 *   with `recoveryFromNs: null` was never undone and never recovered). Note that a fault whose
 *   first write only came after the final heal still counts as recovered.
 * - Liveness: the first successful write *called* at or after the final heal must return within
 *   `livenessMsMax`; `firstWriteAfterHealMs` is that delay (return - heal), not an absolute time.
 * - Register workload: `linearizable` is checkHistory's verdict. `lostAcknowledgedWrites` stays 0:
 *   the checker only says that a key has no valid order, not how many acknowledged writes went
 *   missing (a lost write shows up as a non-linearizable key instead).
 * - Set workload: an add of element e is recorded as `put` of key `set/<e>` with value e; the
 *   final read comes separately (`setFinal`). Lost = acknowledged adds absent from the final read;
 *   invented = elements read that were never attempted; an element whose every add failed
 *   definitely (`fail`) but which is present is a violation too (`fail` promises no effect ever).
 *   Without a final read the verdict is 'unknown'.
 * - Tasks workload (summarize-tasks.ts): a *successful write* is a task commit, called at its
 *   job's submit and returned when its `succeeded` event was received (or, if that event was
 *   missed, when the job was seen finished); `ops` counts job submissions. Worker faults measure
 *   recovery to their held tasks running again, falling back to the first commit when none was seen.
 *   Liveness: the first task commit seen after the final heal, whatever its job's submit time
 *   (jobs in flight at the heal must finish anyway: the drain requires every task to).
 * - 'unknown' (checker out of budget, or no final read) is a warning (`warningsOf`), not a
 *   violation: it says the run proved nothing, not that the system broke.
 */
import { assert, assertNever } from '../core/assert.js';
import { checkHistory, type CheckOptions, type HistoryOp } from '../check/index.js';
import { nsToMs, quantile } from './stats.js';
import { summarizeTasks, type TimedWrite, type TasksFinal, type TaskVerdict } from './summarize-tasks.js';
import type { ChaosSummary, FaultOutcome, FaultRecord, NemesisKind, RecoveryStats, WorkloadKind } from './types.js';

export { nsToMs, quantile } from './stats.js';

/** After the final heal, the first successful write must come within this. */
export const livenessMsMax = 10_000;
/** Keys or elements named in one violation line; the rest are counted. */
export const listedItemsMax = 10;
/** Key prefix of a set add (`put set/<element>`). */
export const setKeyPrefix = 'set/';

const nsPerWindow = 1e9;

export interface SetFinal {
  /** Elements whose add was acknowledged (status ok). */
  readonly acknowledged: readonly string[];
  /** Elements whose add had an unknown outcome (status info). */
  readonly indeterminate: readonly string[];
  /** The set as read after the final heal; null if the read never succeeded. */
  readonly finalRead: readonly string[] | null;
}

export interface SummarizeInput {
  readonly seed: number;
  readonly nodes: number;
  readonly workload: WorkloadKind;
  readonly nemeses: readonly NemesisKind[];
  readonly durationNs: number;
  readonly finalHealNs: number;
  readonly history: readonly HistoryOp[];
  readonly faults: readonly FaultRecord[];
  readonly setFinal?: SetFinal;
  /** The tasks workload's records (required for it; `history` is then empty). */
  readonly tasksFinal?: TasksFinal;
  /** Step budgets for the register checker (defaults: checkDefaults). */
  readonly checkOptions?: CheckOptions;
}

export function summarize(input: SummarizeInput): ChaosSummary {
  assert(Number.isFinite(input.durationNs) && input.durationNs >= 0, `durationNs must be >= 0, got ${input.durationNs}`);
  assert(Number.isFinite(input.finalHealNs) && input.finalHealNs >= 0, `finalHealNs must be >= 0, got ${input.finalHealNs}`);
  let tasks: TaskVerdict | undefined;
  if (input.workload === 'tasks') {
    assert(input.tasksFinal !== undefined, 'the tasks workload needs tasksFinal');
    tasks = summarizeTasks(input.tasksFinal, input.faults);
  }
  const writes = tasks?.commits ?? okWrites(input.history);
  const writeReturns = Float64Array.from(writes.map((w) => w.return)).sort();
  const safety = tasks !== undefined
    ? { linearizable: tasks.safe, lost: tasks.summary.lost, violations: tasks.violations }
    : input.workload === 'register' ? registerVerdict(input) : setVerdict(input);
  const faults = input.faults.map((fault) => {
    const outcome = faultOutcome(fault, writeReturns);
    const worker = tasks?.workerFaults.get(fault.id);
    if (worker === undefined) return outcome;
    return worker.recoveryMs === null ? { ...outcome, heldTasks: worker.heldTasks } : { ...outcome, recoveryMs: worker.recoveryMs, recovered: true, heldTasks: worker.heldTasks };
  });
  const recovered = faults.filter((f) => f.recovered).length;
  const liveness = livenessOf(writes, input.finalHealNs, tasks === undefined);
  const violations = [...safety.violations];
  if (!liveness.ok) {
    const seen = liveness.firstWriteAfterHealMs === null ? 'none came' : `the first came after ${liveness.firstWriteAfterHealMs} ms`;
    const what = tasks === undefined ? 'successful write' : 'task commit';
    violations.push(`liveness: no ${what} within ${livenessMsMax} ms of the final heal at ${liveness.healAtMs} ms (${seen})`);
  }
  return {
    seed: input.seed,
    nodes: input.nodes,
    workload: input.workload,
    nemeses: [...input.nemeses],
    durationMs: nsToMs(input.durationNs),
    ops: tasks?.ops ?? opCounts(input.history),
    linearizable: safety.linearizable,
    lostAcknowledgedWrites: safety.lost,
    availability: availabilityOf(writeReturns, input.durationNs),
    faults,
    recoveryByKind: recoveryByKind(faults),
    recoveryRate: faults.length === 0 ? 1 : recovered / faults.length,
    liveness,
    violations,
    ...(tasks === undefined ? {} : { tasks: tasks.summary }),
  };
}

/** Things a reader must know that do not fail the run (an 'unknown' verdict proves nothing). */
export function warningsOf(summary: ChaosSummary): string[] {
  if (summary.tasks !== undefined) return taskWarnings(summary);
  if (summary.linearizable !== 'unknown') return [];
  return summary.workload === 'register'
    ? ['linearizability unknown: the checker ran out of its step budget on some key; re-check history.jsonl offline with a larger budget']
    : ['set verdict unknown: there was no final read'];
}

function taskWarnings(summary: ChaosSummary): string[] {
  const t = summary.tasks!;
  const warnings: string[] = [];
  if (summary.linearizable === 'unknown') warnings.push('tasks verdict unknown: some accepted job could not be read back (its tasks count as lost)');
  if (t.deadLettered > 0) warnings.push(`${t.deadLettered} task(s) dead-lettered: faults used up their attempts (the handlers never fail by themselves)`);
  if (t.jobs.unknown > 0) warnings.push(`${t.jobs.unknown} job submit(s) of unknown outcome: neither acknowledged nor found (or not) by id afterwards`);
  if (t.zombieResultsRejected === null) warnings.push('no node answered /metrics at the end: zombie counts unknown');
  return warnings;
}

export function isWrite(op: HistoryOp): boolean {
  return op.op !== 'get';
}

/** Successful writes as call/return pairs. */
function okWrites(history: readonly HistoryOp[]): TimedWrite[] {
  const writes: TimedWrite[] = [];
  for (const op of history) {
    if (op.status === 'ok' && isWrite(op) && op.return !== null) writes.push({ call: op.call, return: op.return });
  }
  return writes;
}

/** Index of the first element >= value in an ascending array (length if none). */
function lowerBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function opCounts(history: readonly HistoryOp[]): ChaosSummary['ops'] {
  let ok = 0;
  let failed = 0;
  let indeterminate = 0;
  for (const op of history) {
    if (op.status === 'ok') ok++;
    else if (op.status === 'fail') failed++;
    else indeterminate++;
  }
  return { total: history.length, ok, failed, indeterminate };
}

interface Safety {
  readonly linearizable: boolean | 'unknown';
  readonly lost: number;
  readonly violations: readonly string[];
}

function registerVerdict(input: SummarizeInput): Safety {
  const result = checkHistory(input.history, input.checkOptions ?? {});
  switch (result.status) {
    case 'linearizable':
      return { linearizable: true, lost: 0, violations: [] };
    case 'unknown':
      return { linearizable: 'unknown', lost: 0, violations: [] };
    case 'not-linearizable': {
      const illegal = result.keys.filter((k) => k.status === 'illegal');
      const first = illegal[0]?.witness?.explanation;
      const why = first === undefined ? '' : ` First: ${first}`;
      return {
        linearizable: false,
        lost: 0,
        violations: [`not linearizable: ${illegal.length} key(s): ${listed(illegal.map((k) => JSON.stringify(k.key)))}.${why}`],
      };
    }
    default:
      return assertNever(result.status);
  }
}

function setVerdict(input: SummarizeInput): Safety {
  const final = input.setFinal;
  const acknowledged = new Set(final?.acknowledged ?? []);
  const attempted = new Set([...acknowledged, ...(final?.indeterminate ?? [])]);
  const failed = new Set<string>();
  for (const op of input.history) {
    if (op.op !== 'put' || !op.key.startsWith(setKeyPrefix)) continue;
    const element = op.key.slice(setKeyPrefix.length);
    if (op.status === 'fail') failed.add(element);
    else attempted.add(element);
    if (op.status === 'ok') acknowledged.add(element);
  }
  if (final?.finalRead === undefined || final.finalRead === null) return { linearizable: 'unknown', lost: 0, violations: [] };
  const read = new Set(final.finalRead);
  const lost = [...acknowledged].filter((e) => !read.has(e)).sort();
  const invented = [...read].filter((e) => !attempted.has(e) && !failed.has(e)).sort();
  const resurrected = [...read].filter((e) => failed.has(e) && !attempted.has(e)).sort();
  const violations: string[] = [];
  if (lost.length > 0) violations.push(`set: ${lost.length} acknowledged add(s) lost (absent from the final read): ${listed(lost)}`);
  if (invented.length > 0) violations.push(`set: ${invented.length} element(s) in the final read were never added: ${listed(invented)}`);
  if (resurrected.length > 0) violations.push(`set: ${resurrected.length} element(s) whose add failed definitely are in the final read: ${listed(resurrected)}`);
  return { linearizable: violations.length === 0, lost: lost.length, violations };
}

function listed(items: readonly string[]): string {
  const shown = items.slice(0, listedItemsMax).join(', ');
  const more = items.length - listedItemsMax;
  return more > 0 ? `${shown} and ${more} more` : shown;
}

function availabilityOf(writeReturns: Float64Array, durationNs: number): number {
  const windowCount = Math.ceil(durationNs / nsPerWindow);
  if (windowCount === 0) return 0;
  const available = new Set<number>();
  for (const ret of writeReturns) {
    if (ret >= 0 && ret < durationNs) available.add(Math.floor(ret / nsPerWindow));
  }
  return available.size / windowCount;
}

function faultOutcome(fault: FaultRecord, writeReturns: Float64Array): FaultOutcome {
  const base = { id: fault.id, kind: fault.kind, detail: fault.detail };
  if (fault.recoveryFromNs === null) return { ...base, recoveryMs: null, recovered: false };
  const index = lowerBound(writeReturns, fault.recoveryFromNs);
  if (index === writeReturns.length) return { ...base, recoveryMs: null, recovered: false };
  return { ...base, recoveryMs: nsToMs(writeReturns[index]! - fault.recoveryFromNs), recovered: true };
}

function recoveryByKind(faults: readonly FaultOutcome[]): Partial<Record<NemesisKind, RecoveryStats>> {
  const byKind: Partial<Record<NemesisKind, RecoveryStats>> = {};
  const kinds = [...new Set(faults.map((f) => f.kind))];
  for (const kind of kinds) {
    const ofKind = faults.filter((f) => f.kind === kind);
    const times = ofKind.flatMap((f) => (f.recoveryMs === null ? [] : [f.recoveryMs])).sort((a, b) => a - b);
    byKind[kind] = {
      count: ofKind.length,
      recovered: times.length,
      rate: times.length / ofKind.length,
      medianMs: quantile(times, 0.5),
      p99Ms: quantile(times, 0.99),
      maxMs: times.at(-1) ?? null,
    };
  }
  return byKind;
}

/** The first write returning after the heal; with `calledAfter`, only writes called after it count. */
function livenessOf(writes: readonly TimedWrite[], finalHealNs: number, calledAfter: boolean): ChaosSummary['liveness'] {
  let first: number | null = null;
  for (const w of writes) {
    if (calledAfter ? w.call < finalHealNs : w.return < finalHealNs) continue;
    if (first === null || w.return < first) first = w.return;
  }
  const delayMs = first === null ? null : nsToMs(first - finalHealNs);
  return { ok: delayMs !== null && delayMs <= livenessMsMax, healAtMs: nsToMs(finalHealNs), firstWriteAfterHealMs: delayMs };
}
