/**
 * What the dashboard reads from the node serving it. Implemented in src/server (the node's
 * replica of the cluster and task state, its metrics); the dashboard only samples it.
 */
import type { ClusterResponse } from '../api/wire.js';
import type { JobCounts, JobState, WorkerView } from '../tasks/index.js';

export interface DashboardJob {
  readonly jobId: string;
  readonly state: JobState;
  readonly counts: JobCounts;
  /** Tasks in the job (sum of the counts). */
  readonly total: number;
}

/** Monotonic counters since this node started; the dashboard turns them into rates per interval. */
export interface DashboardCounters {
  /** Client writes (KV and task commands) this node served, and their total latency. */
  readonly writes: number;
  readonly writeSecondsSum: number;
  /** Task results committed (applied `complete` commands that were not duplicates). */
  readonly tasksCompleted: number;
  /** Late results from zombie workers refused by the fencing check. */
  readonly zombieResultsRejected: number;
}

export interface DashboardSource {
  readonly nodeId: string;
  /** Members with role, term, commit/applied index, health (the same as GET /v1/cluster). */
  cluster(): Promise<ClusterResponse>;
  /** Jobs in this replica's task state, newest last. */
  jobs(): readonly DashboardJob[];
  /** Registered workers with status, capacity and running count. */
  workers(): readonly WorkerView[];
  counters(): DashboardCounters;
  /** Wall-clock milliseconds (for timestamps shown to people). */
  nowMs(): number;
}
