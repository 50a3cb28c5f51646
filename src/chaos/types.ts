/**
 * Records of a chaos run, as written to `--out`: `history.jsonl` (kv-history v1, see
 * shared/history-format.md), `nemesis.jsonl` (one `FaultRecord` per line) and `summary.json`
 * (`ChaosSummary`). Times are nanoseconds since the run started, on the clients' monotonic clock.
 */

export type NemesisKind =
  | 'kill' | 'pause' | 'partition' | 'restart-wipe' | 'leader-transfer' | 'membership'
  /** Task workload only: SIGKILL a worker process; a replacement with a fresh id starts when the fault ends. */
  | 'worker-kill'
  /** Task workload only: SIGSTOP a worker (its leases end), SIGCONT when the fault ends (a zombie). */
  | 'worker-pause';
export const nemesisKinds: readonly NemesisKind[] = ['kill', 'pause', 'partition', 'restart-wipe', 'leader-transfer', 'membership', 'worker-kill', 'worker-pause'];
/** Faults of worker processes rather than nodes: they need the tasks workload. */
export const workerNemesisKinds: readonly NemesisKind[] = ['worker-kill', 'worker-pause'];

export function isWorkerNemesis(kind: NemesisKind): boolean {
  return kind === 'worker-kill' || kind === 'worker-pause';
}

export type WorkloadKind = 'register' | 'set' | 'tasks';
export const workloadKinds: readonly WorkloadKind[] = ['register', 'set', 'tasks'];

export interface FaultRecord {
  readonly id: number;
  readonly kind: NemesisKind;
  /** Nodes hit (the isolated side of a partition, the killed or paused node, ...). */
  readonly targets: readonly string[];
  /** Human-readable: "isolate leader n2", "majority n1,n2,n3 | minority n4,n5", "one-way n1 -/-> n3". */
  readonly detail: string;
  readonly startNs: number;
  /** When the fault was undone (restart, resume, heal); null if the run ended first. */
  readonly endNs: number | null;
  /**
   * Recovery is measured from here to the first successful write after it: the kill itself for
   * kill (the cluster must fail over while the node is down), the heal for everything else.
   */
  readonly recoveryFromNs: number | null;
}

export interface FaultOutcome {
  readonly id: number;
  readonly kind: NemesisKind;
  readonly detail: string;
  /** recoveryFrom -> first ok write; null if no write succeeded before the run ended. */
  readonly recoveryMs: number | null;
  readonly recovered: boolean;
  /**
   * Worker faults: tasks whose lease the fault ended (workerDown events naming the worker). When
   * some ran again, `recoveryMs` is the fault's start to the last of them being assigned again;
   * when none did (or none was seen), it falls back to the first task commit after the fault.
   */
  readonly heldTasks?: number;
}

export interface RecoveryStats {
  readonly count: number;
  readonly recovered: number;
  /** recovered / count */
  readonly rate: number;
  readonly medianMs: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

export interface ChaosSummary {
  readonly seed: number;
  readonly nodes: number;
  readonly workload: WorkloadKind;
  readonly nemeses: readonly NemesisKind[];
  readonly durationMs: number;
  readonly ops: { readonly total: number; readonly ok: number; readonly failed: number; readonly indeterminate: number };
  /**
   * The workload's safety verdict. register: the checker's verdict over every key; set: whether
   * the final read is consistent; tasks: every task committed at most once with the right output
   * from its live attempt, and none lost ('unknown' when some job could not be read back).
   */
  readonly linearizable: boolean | 'unknown';
  /** Acknowledged writes missing afterwards (set: adds absent from the final read; register: from the checker). */
  readonly lostAcknowledgedWrites: number;
  /** Fraction of 1-second windows (start to end) with at least one successful write. */
  readonly availability: number;
  readonly faults: readonly FaultOutcome[];
  readonly recoveryByKind: Readonly<Partial<Record<NemesisKind, RecoveryStats>>>;
  /** Faults after which the cluster recovered without a human, over all faults. */
  readonly recoveryRate: number;
  /** After the final heal, the first successful write must come within 10 s. */
  readonly liveness: { readonly ok: boolean; readonly healAtMs: number; readonly firstWriteAfterHealMs: number | null };
  /** Anything that makes the run fail (safety or liveness), one line each; empty when it passed. */
  readonly violations: readonly string[];
  /** The tasks workload's figures (absent for register and set). */
  readonly tasks?: TaskWorkloadSummary;
}

export interface LatencyStats {
  readonly count: number;
  readonly medianMs: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

/**
 * The tasks workload's verdict and figures (summarize-tasks.ts). For this workload `ops` counts
 * job submissions (ok: acknowledged or found afterwards; failed: not applied; indeterminate:
 * unknown), and a "successful write" is a task commit (its `succeeded` event).
 */
export interface TaskWorkloadSummary {
  readonly workers: { readonly initial: number; readonly started: number; readonly capacity: number };
  readonly jobs: { readonly submitted: number; readonly accepted: number; readonly finished: number; readonly unknown: number };
  /** Tasks of accepted jobs. */
  readonly tasks: number;
  /** Tasks with exactly one committed result. */
  readonly committed: number;
  /** Tasks committed more than once (a result listed twice, or commits of two attempts): must be 0. */
  readonly duplicates: number;
  /** Committed outputs that are not the handler's output for the input, or results for tasks never submitted: must be 0. */
  readonly wrongOutputs: number;
  /** Committed results from an attempt other than the task's last, or from another worker than the result names: must be 0. */
  readonly staleResults: number;
  /** Tasks of accepted jobs with no result that were not dead-lettered by the end (after the final heal and the drain): must be 0. */
  readonly lost: number;
  /** Tasks dead-lettered (attempts exhausted; the handlers never fail, so only repeated faults do this). */
  readonly deadLettered: number;
  /** Committed results that resumed from a checkpoint, and the steps those resumptions did not redo. */
  readonly resumedFromCheckpoint: number;
  readonly stepsSaved: number;
  /** Attempts beyond the first, over all committed tasks. */
  readonly extraAttempts: number;
  /** Task attempts ended because their worker was declared down (seen in job events). */
  readonly endedByWorkerDown: number;
  /**
   * Of those, attempts of workers no worker fault had hit (a kill, or a pause until 5 s after it
   * ended): false suspicions, e.g. a new leader declaring workers down whose heartbeats still went
   * to the old one. Safe (fencing), but work is redone.
   */
  readonly endedByFalseSuspicion: number;
  /** From the nodes' /metrics at the end (max over nodes; null when no node answered). */
  readonly zombieResultsRejected: number | null;
  readonly zombieCheckpointsRejected: number | null;
  /** Worker faults: per fault (start to the last held task assigned again), and per held task. */
  readonly workerRecovery: { readonly perFault: LatencyStats; readonly perTask: LatencyStats };
}
