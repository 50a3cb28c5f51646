/**
 * A replicated state machine (KV, tasks). Raft delivers committed commands in log order; every
 * replica applies the same commands in the same order and must reach byte-identical state, so
 * `apply` is deterministic: no clock, no randomness, no iteration-order dependence.
 */
export interface StateMachine {
  /** Applies a committed command at `index` and returns its encoded result. */
  apply(entry: AppliedEntry): Uint8Array;
  /** Answers a read-only query against the current state (after a ReadIndex round). */
  query(request: Uint8Array): Uint8Array;
  /** The whole state, encoded deterministically (the same state always gives the same bytes). */
  snapshot(): Uint8Array;
  /** Replaces the whole state with a snapshot taken at `index`. */
  restore(snapshot: Uint8Array, index: number): void;
  /** A short digest of the state, compared across replicas at the same applied index. */
  digest(): string;
  /** Index of the last entry applied (or restored). */
  readonly appliedIndex: number;
}

export interface AppliedEntry {
  readonly index: number;
  readonly term: number;
  readonly command: Uint8Array;
}
