/**
 * The job demo's recovery report: what each fault cost and how the cluster recovered, from the
 * measurements the runner collected. Pure formatting (tested with fixed figures).
 */
import { assertNever } from '../../core/assert.js';
import type { WordCountSummary } from './word-count.js';
import { median, type WorkerFaultStats } from './timeline.js';

export type FaultOutcome =
  | {
      readonly kind: 'killWorker' | 'pauseWorker'; readonly worker: string; readonly atMs: number; readonly held: number;
      readonly stats: WorkerFaultStats;
      /** The leader's own measure (keel_worker_detection_seconds): last heartbeat to suspicion. */
      readonly leaderDetectionMs?: number;
      /** Set when a new leader (elected after the fault) detected it. */
      readonly newLeader?: string;
      /** Of the rescheduled tasks: how many resumed from a checkpoint, and the lines that saved. */
      readonly resumedTasks: number;
      readonly linesSaved: number;
    }
  | { readonly kind: 'startWorker'; readonly worker: string; readonly replaces: string; readonly atMs: number; readonly upAfterMs?: number }
  | {
      readonly kind: 'killLeader'; readonly node: string; readonly atMs: number; readonly electedAfterMs?: number; readonly newLeader?: string;
      readonly term?: number; readonly firstCommitAfterMs?: number; readonly rescheduled: number;
    }
  | {
      readonly kind: 'resumeWorker'; readonly worker: string; readonly atMs: number; readonly rejoinedAfterMs?: number;
      readonly zombieResults: number; readonly zombieCheckpoints: number;
    }
  | {
      readonly kind: 'restartNode'; readonly node: string; readonly atMs: number;
      /** Until its HTTP API first answered (process start and local recovery). */
      readonly answeringAfterMs?: number;
      /** Until it was serving with everything applied that was committed when it restarted. */
      readonly servingAfterMs?: number; readonly appliedIndex?: number;
    };

export interface JobTotals {
  readonly mapTasks: number;
  readonly attempts: number;
  readonly deadLettered: number;
  readonly resumedTasks: number;
  readonly linesSaved: number;
  readonly corpusLines: number;
  readonly zombieResults: number;
  readonly zombieCheckpoints: number;
  readonly jobMs: number;
  /** The leaders seen during the job, in order, with the term each was seen in. */
  readonly leaders: readonly { readonly id: string; readonly term: number }[];
}

export const formatCount = (n: number): string => Math.round(n).toLocaleString('en-US');
export const formatMs = (ms: number | undefined): string => (ms === undefined ? 'n/a' : ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
const at = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const plural = (n: number, one: string, many = `${one}s`): string => `${formatCount(n)} ${n === 1 ? one : many}`;

export function formatFault(index: number, fault: FaultOutcome): string[] {
  const head = `  ${index}. `;
  const more = '       ';
  switch (fault.kind) {
    case 'killWorker':
    case 'pauseWorker': {
      const what = fault.kind === 'killWorker' ? `kill -9 worker ${fault.worker}` : `pause worker ${fault.worker} (SIGSTOP)`;
      const { stats } = fault;
      const lines = [`${head}${what} at ${at(fault.atMs)}, holding ${plural(fault.held, 'task')}`];
      if (stats.detectedMs === undefined) {
        lines.push(`${more}no attempt of ${fault.worker} was ended while the demo watched (it held none, or the events were missed)`);
        return lines;
      }
      const by = fault.newLeader === undefined ? '' : ` by the new leader ${fault.newLeader}`;
      const detector = fault.leaderDetectionMs === undefined
        ? ''
        : fault.newLeader === undefined
          ? ` (leader's failure detector: ${formatMs(fault.leaderDetectionMs)} after its last heartbeat)`
          : ` (its failure detector: ${formatMs(fault.leaderDetectionMs)} after taking office)`;
      lines.push(`${more}detected in ${formatMs(stats.detectedMs)}${by}${detector}`);
      const recovered = stats.recoveryMs.length === 0
        ? 'not re-assigned while the demo watched'
        : `running again on other workers ${formatMs(median(stats.recoveryMs))} after the fault (median; max ${formatMs(stats.recoveryMs.at(-1))})`;
      lines.push(`${more}${plural(stats.rescheduled.length, 'task')} rescheduled, ${recovered}`);
      lines.push(`${more}checkpoints: ${plural(fault.resumedTasks, 'task')} resumed mid-split, ${plural(fault.linesSaved, 'line')} not counted again`);
      return lines;
    }
    case 'startWorker':
      return [`${head}start worker ${fault.worker} in place of ${fault.replaces} at ${at(fault.atMs)}: taking tasks after ${formatMs(fault.upAfterMs)}`];
    case 'killLeader': {
      const elected = fault.newLeader === undefined
        ? 'no new leader seen'
        : `new leader ${fault.newLeader}${fault.term === undefined ? '' : ` (term ${fault.term})`} elected ${formatMs(fault.electedAfterMs)} after the kill`;
      return [
        `${head}kill -9 the Raft leader ${fault.node} at ${at(fault.atMs)}`,
        `${more}${elected}; first task event committed after ${formatMs(fault.firstCommitAfterMs)}`,
        `${more}${plural(fault.rescheduled, 'task')} rescheduled by the failover${fault.rescheduled === 0 ? ' (workers kept their leases: they are in the replicated log)' : ''}`,
      ];
    }
    case 'resumeWorker':
      return [
        `${head}resume worker ${fault.worker} (SIGCONT) at ${at(fault.atMs)}: a zombie whose tasks were taken over`,
        `${more}its stale work refused by fencing tokens: ${plural(fault.zombieResults, 'result')}, ${plural(fault.zombieCheckpoints, 'checkpoint')}; ` +
          `re-registered as a live worker after ${formatMs(fault.rejoinedAfterMs)}`,
      ];
    case 'restartNode':
      return [
        `${head}restart node ${fault.node} at ${at(fault.atMs)} on its data directory`,
        `${more}answering after ${formatMs(fault.answeringAfterMs)} (process start, recovery from its WAL and checkpoint); ` +
          `caught up with the leader${fault.appliedIndex === undefined ? '' : ` (index ${formatCount(fault.appliedIndex)})`} and serving after ${formatMs(fault.servingAfterMs)}`,
      ];
    default:
      return assertNever(fault);
  }
}

export function formatReport(faults: readonly FaultOutcome[], totals: JobTotals): string[] {
  const lines = ['', 'Recovery report'];
  if (faults.length === 0) lines.push('  no faults injected (--no-faults)');
  faults.forEach((fault, i) => lines.push(...formatFault(i + 1, fault)));
  const rescheduled = totals.attempts - totals.mapTasks - 1;
  const share = totals.corpusLines === 0 ? 0 : (100 * totals.linesSaved) / totals.corpusLines;
  lines.push(
    'Totals',
    `  ${formatCount(totals.mapTasks)} map tasks + 1 reduce in ${at(totals.jobMs)}: ${plural(totals.attempts, 'attempt')} (${formatCount(rescheduled)} rescheduled), ${plural(totals.deadLettered, 'dead letter')}`,
    `  work saved by checkpoints: ${plural(totals.linesSaved, 'line')} (${share.toFixed(1)}% of the corpus) not counted again, in ${plural(totals.resumedTasks, 'resumed task')}`,
    `  zombie results rejected: ${formatCount(totals.zombieResults)} (zombie checkpoints rejected: ${formatCount(totals.zombieCheckpoints)})`,
    `  leaders: ${totals.leaders.length === 0 ? 'none seen' : totals.leaders.map((l) => `${l.id} (term ${l.term})`).join(' -> ')}`,
  );
  return lines;
}

export function formatResult(summary: WordCountSummary, lines: number, localMs: number): string[] {
  const width = Math.max(...summary.top.map(([w]) => w.length), 4);
  return [
    '',
    `Result: ${formatCount(summary.words)} words (${formatCount(summary.distinct)} distinct) in ${formatCount(lines)} lines; top ${summary.top.length}:`,
    ...summary.top.map(([word, count], i) => `  ${String(i + 1).padStart(2)}. ${word.padEnd(width)} ${formatCount(count).padStart(9)}`),
    `checked against the same corpus counted in this one process (${formatMs(localMs)}): every word's count compared (SHA-256 ${summary.digest.slice(0, 12)}...)`,
  ];
}
