/**
 * Recovery time and recovery rate, as this node sees them, per fault kind:
 * - `leader`: from the last message of a leader that was lost to the first message of the next
 *   one (failover as a follower lives it; a handover between healthy leaders is not a fault);
 * - `worker`: from a suspected worker's last heartbeat until every task it held was assigned
 *   again (observed on the leader, per task and per fault).
 * A fault counts as recovered when that end point is reached; the rate is recovered / faults.
 */
import type { Counter, Histogram } from 'prom-client';

export interface RecoveryInstruments {
  readonly recoverySeconds: Histogram<'fault'>;
  readonly faults: Counter<'fault'>;
  readonly recovered: Counter<'fault'>;
}

interface WorkerFault {
  readonly failedAtMs: number;
  readonly waiting: Set<string>;
}

export class RecoveryMetrics {
  private leaderLostAtMs: number | undefined;
  private readonly workerFaults = new Map<string, WorkerFault>();
  private readonly taskFault = new Map<string, string>();
  /** Faults and recoveries per kind, for the recovery-rate gauge. */
  readonly counts = new Map<string, { faults: number; recovered: number }>();

  constructor(private readonly instruments: RecoveryInstruments) {}

  /** `lastHeardMs`: when this node last heard from the previous leader. */
  leaderChanged(previous: string | undefined, next: string | undefined, nowMs: number, lastHeardMs: number | undefined, previousStillHealthy: boolean): void {
    if (previous !== undefined && next !== previous && !previousStillHealthy && this.leaderLostAtMs === undefined) {
      this.leaderLostAtMs = lastHeardMs ?? nowMs;
      this.count('leader', 'faults');
    }
    if (next !== undefined && next !== previous && this.leaderLostAtMs !== undefined) {
      this.instruments.recoverySeconds.observe({ fault: 'leader' }, Math.max(0, nowMs - this.leaderLostAtMs) / 1000);
      this.count('leader', 'recovered');
      this.leaderLostAtMs = undefined;
    }
  }

  workerSuspected(workerId: string, failedAtMs: number): void {
    this.count('worker', 'faults');
    this.workerFaults.set(workerId, { failedAtMs, waiting: new Set() });
  }

  /** The workerDown of `workerId` applied: these tasks wait to run again (none: recovered now). */
  workerTasksEnded(workerId: string, taskIds: readonly string[]): void {
    const fault = this.workerFaults.get(workerId);
    if (fault === undefined) return;
    for (const taskId of taskIds) {
      fault.waiting.add(taskId);
      this.taskFault.set(taskId, workerId);
    }
    if (fault.waiting.size === 0) this.finish(workerId);
  }

  /** A task was assigned (or ended otherwise): if a worker fault was waiting for it, its recovery advances. */
  taskResumed(taskId: string, nowMs: number): void {
    const workerId = this.taskFault.get(taskId);
    if (workerId === undefined) return;
    this.taskFault.delete(taskId);
    const fault = this.workerFaults.get(workerId);
    if (fault === undefined) return;
    fault.waiting.delete(taskId);
    this.instruments.recoverySeconds.observe({ fault: 'worker-task' }, Math.max(0, nowMs - fault.failedAtMs) / 1000);
    if (fault.waiting.size === 0) {
      this.instruments.recoverySeconds.observe({ fault: 'worker' }, Math.max(0, nowMs - fault.failedAtMs) / 1000);
      this.finish(workerId);
    }
  }

  /** Leadership moved: the new leader tracks its own faults; pending ones here are dropped unmeasured. */
  forgetWorkerFaults(): void {
    this.workerFaults.clear();
    this.taskFault.clear();
  }

  private finish(workerId: string): void {
    this.workerFaults.delete(workerId);
    this.count('worker', 'recovered');
  }

  private count(fault: string, what: 'faults' | 'recovered'): void {
    const entry = this.counts.get(fault) ?? { faults: 0, recovered: 0 };
    entry[what] += 1;
    this.counts.set(fault, entry);
    (what === 'faults' ? this.instruments.faults : this.instruments.recovered).inc({ fault });
  }
}
