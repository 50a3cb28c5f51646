/**
 * Records of a chaos run, as written to `--out`: `history.jsonl` (kv-history v1, see
 * shared/history-format.md), `nemesis.jsonl` (one `FaultRecord` per line) and `summary.json`
 * (`ChaosSummary`). Times are nanoseconds since the run started, on the clients' monotonic clock.
 */

export type NemesisKind = 'kill' | 'pause' | 'partition' | 'restart-wipe' | 'leader-transfer' | 'membership';
export const nemesisKinds: readonly NemesisKind[] = ['kill', 'pause', 'partition', 'restart-wipe', 'leader-transfer', 'membership'];

export type WorkloadKind = 'register' | 'set';

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
  /** register: the checker's verdict over every key; set: whether the final read is consistent. */
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
}
