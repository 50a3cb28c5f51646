/**
 * The job demo's scripted faults, as data: which fault, and when, in terms of the job's progress
 * (so it lands mid-job on a fast or a slow machine) and of the time since the previous step (so
 * each fault is detected and recovered before the next one starts). Pure: the runner decides
 * with `nextDue`, and the schedule is tested without processes.
 */
import { assertNever } from '../../core/assert.js';

export type FaultAction =
  /** kill -9 a worker while it runs tasks. */
  | { readonly kind: 'killWorker'; readonly worker: string }
  /** Start a fresh worker process in place of a killed one (a new id: a restarted worker is a new worker). */
  | { readonly kind: 'startWorker'; readonly worker: string; readonly replaces: string }
  /** SIGSTOP a worker: it holds leases but neither heartbeats nor works, then returns as a zombie. */
  | { readonly kind: 'pauseWorker'; readonly worker: string }
  /** SIGCONT a paused worker (the runner waits, bounded, until the cluster has declared it down). */
  | { readonly kind: 'resumeWorker'; readonly worker: string }
  /** kill -9 the node that is the Raft leader at that moment. */
  | { readonly kind: 'killLeader' }
  /** Start the node `killLeader` killed again, on its data directory. */
  | { readonly kind: 'restartNode' };

export interface FaultStep {
  /** Fraction of the map tasks done before the step may run. */
  readonly atFraction: number;
  /** Time since the previous step ran before this one may run. */
  readonly afterPreviousMs: number;
  readonly action: FaultAction;
}

export interface ScheduleInput {
  /** The workers the demo starts, in order. */
  readonly workers: readonly string[];
  readonly nodes: number;
}

/** Id of the worker that replaces `worker` (w1 -> w1b). */
export function replacementId(worker: string): string {
  return `${worker}b`;
}

/**
 * kill -9 the first worker and replace it; pause the second and, before the leader notices,
 * kill -9 the leader: the new leader must detect the silent worker itself, and the paused worker,
 * whose lease stream went to the dead leader, is not told it lost its leases until it asks; it
 * resumes as a zombie that still sends results. Last, restart the killed node. A fault that the
 * cluster's size cannot survive is left out: no pause with a single worker (no one would run the
 * tasks), no leader kill with a single node.
 */
export function faultSchedule(input: ScheduleInput): FaultStep[] {
  const steps: FaultStep[] = [];
  const [first, second] = input.workers;
  if (first !== undefined) {
    steps.push({ atFraction: 0.1, afterPreviousMs: 0, action: { kind: 'killWorker', worker: first } });
    steps.push({ atFraction: 0.1, afterPreviousMs: 1_500, action: { kind: 'startWorker', worker: replacementId(first), replaces: first } });
  }
  if (second !== undefined) steps.push({ atFraction: 0.3, afterPreviousMs: 1_000, action: { kind: 'pauseWorker', worker: second } });
  if (input.nodes >= 3) steps.push({ atFraction: 0.3, afterPreviousMs: 200, action: { kind: 'killLeader' } });
  if (second !== undefined) steps.push({ atFraction: 0.45, afterPreviousMs: 3_500, action: { kind: 'resumeWorker', worker: second } });
  if (input.nodes >= 3) steps.push({ atFraction: 0.6, afterPreviousMs: 1_500, action: { kind: 'restartNode' } });
  return steps;
}

/** Whether `step` may run now: enough of the job done and enough time since the previous step. */
export function isDue(step: FaultStep, doneFraction: number, msSincePrevious: number): boolean {
  return doneFraction >= step.atFraction && msSincePrevious >= step.afterPreviousMs;
}

/** How a step is announced on the terminal. */
export function describeAction(action: FaultAction, leader?: string): string {
  switch (action.kind) {
    case 'killWorker': return `kill -9 worker ${action.worker} (mid-task)`;
    case 'startWorker': return `start worker ${action.worker} to replace ${action.replaces}`;
    case 'pauseWorker': return `pause worker ${action.worker} (SIGSTOP: it keeps its leases but goes silent)`;
    case 'resumeWorker': return `resume worker ${action.worker} (SIGCONT: a zombie whose leases were taken over)`;
    case 'killLeader': return `kill -9 the Raft leader${leader === undefined ? '' : ` ${leader}`}`;
    case 'restartNode': return `restart the killed node${leader === undefined ? '' : ` ${leader}`} on its data directory`;
    default: return assertNever(action);
  }
}
