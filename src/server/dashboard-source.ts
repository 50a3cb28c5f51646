/** The dashboard's view of this node: its replica of the cluster and task state, and its counters. */
import type { ClusterResponse } from '../api/wire.js';
import type { DashboardCounters, DashboardJob, DashboardSource } from '../dashboard/index.js';
import type { Clock } from '../ports/clock.js';
import { jobState, workerView, type WorkerView } from '../tasks/index.js';
import type { KeelNode } from './keel-node.js';

/** Jobs shown: the newest ones (the state keeps up to jobsMax). */
const jobsShownMax = 50;

export class NodeDashboardSource implements DashboardSource {
  readonly nodeId: string;
  private tasksCompletedCount = 0;

  constructor(
    private readonly node: KeelNode,
    private readonly clusterView: () => Promise<ClusterResponse>,
    private readonly writeStats: () => { count: number; sum: number },
    private readonly wallClock: Clock,
  ) {
    this.nodeId = node.id;
  }

  /** Called for each committed result (not a duplicate) this node applied. */
  countCompleted(): void {
    this.tasksCompletedCount += 1;
  }

  cluster(): Promise<ClusterResponse> {
    return this.clusterView();
  }

  jobs(): readonly DashboardJob[] {
    const jobs = [...this.node.tasks.view.jobs.values()].sort((a, b) => a.seq - b.seq).slice(-jobsShownMax);
    return jobs.map((job) => ({ jobId: job.jobId, state: jobState(job), counts: { ...job.counts }, total: job.tasks.length }));
  }

  workers(): readonly WorkerView[] {
    return [...this.node.tasks.view.workers.values()].sort((a, b) => (a.workerId < b.workerId ? -1 : 1)).map(workerView);
  }

  counters(): DashboardCounters {
    const writes = this.writeStats();
    return { writes: writes.count, writeSecondsSum: writes.sum, tasksCompleted: this.tasksCompletedCount, zombieResultsRejected: this.node.tasks.view.zombieResults };
  }

  nowMs(): number {
    return this.wallClock.now();
  }
}
