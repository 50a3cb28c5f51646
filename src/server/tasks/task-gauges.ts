/** Task and worker counts of this replica's task state, for the metrics gauges. */
import type { TaskGauges } from '../../metrics/node-metrics.js';
import type { TaskStateView } from '../../tasks/index.js';

export function taskGauges(view: TaskStateView): TaskGauges {
  const byStatus: Record<string, number> = { pending: 0, running: 0, succeeded: 0, failed: 0, deadLettered: 0, cancelled: 0 };
  for (const job of view.jobs.values()) {
    for (const [status, n] of Object.entries(job.counts)) byStatus[status] = (byStatus[status] ?? 0) + n;
  }
  let workersUp = 0;
  for (const worker of view.workers.values()) if (worker.status === 'up') workersUp += 1;
  return { byStatus, workersUp, workersDown: view.workers.size - workersUp, zombieResults: view.zombieResults, zombieCheckpoints: view.zombieCheckpoints };
}
