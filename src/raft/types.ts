/** Raft wire and state types: data only, discriminated by `kind` (STYLE.md). */

export type NodeId = string;

export type EntryKind = 'normal' | 'noop' | 'config';

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly kind: EntryKind;
  readonly data: Uint8Array;
}

/** Voters decide elections and commits; learners only receive the log. */
export interface Membership {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface HardState {
  readonly term: number;
  readonly vote: NodeId | undefined;
  readonly commit: number;
}

export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly membership: Membership;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

export type Message =
  | (Envelope & { readonly kind: 'vote'; readonly preVote: boolean; readonly lastIndex: number; readonly lastTerm: number; readonly transfer: boolean })
  | (Envelope & { readonly kind: 'voteResp'; readonly preVote: boolean; readonly granted: boolean })
  | (Envelope & { readonly kind: 'append'; readonly prevIndex: number; readonly prevTerm: number; readonly entries: readonly Entry[]; readonly commit: number })
  | (Envelope & {
      readonly kind: 'appendResp';
      readonly success: boolean;
      /** On success: the last index now matching the leader. On reject: the prevIndex rejected. */
      readonly index: number;
      /** Fast backtracking hint on reject: first index of the conflicting term, or last index + 1. */
      readonly hintIndex: number;
      readonly hintTerm: number;
      /** The sender's log may have lost acknowledged entries; do not count it toward a quorum yet. */
      readonly recovering: boolean;
    })
  | (Envelope & { readonly kind: 'heartbeat'; readonly commit: number; readonly context: number })
  | (Envelope & { readonly kind: 'heartbeatResp'; readonly context: number; readonly recovering: boolean })
  | (Envelope & { readonly kind: 'snapshot'; readonly meta: SnapshotMeta; readonly offset: number; readonly chunk: Uint8Array; readonly totalBytes: number })
  | (Envelope & { readonly kind: 'snapshotResp'; readonly index: number; readonly nextOffset: number; readonly done: boolean })
  | (Envelope & { readonly kind: 'timeoutNow' })
  | (Envelope & { readonly kind: 'readIndex'; readonly requestId: number })
  | (Envelope & { readonly kind: 'readIndexResp'; readonly requestId: number; readonly index: number; readonly ok: boolean });

export type MessageKind = Message['kind'];

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** A ReadIndex result: serve the read once the state machine has applied `index`. */
export interface ReadState {
  readonly requestId: number;
  readonly index: number;
}

/**
 * Everything the driver must do, in this order (the persistence contract):
 * 1. persist `snapshot` (if any), then `entries` (truncating a conflicting suffix first), then
 *    `hardState` (if any), all durable;
 * 2. only then send `messages`;
 * 3. apply `committed` in order and serve `readStates` whose index has been applied;
 * 4. call `advance(ready)`.
 */
export interface Ready {
  readonly hardState: HardState | undefined;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | undefined;
  readonly messages: readonly Message[];
  readonly committed: readonly Entry[];
  readonly readStates: readonly ReadState[];
  /** Read requests that can no longer be served here (leadership lost): fail them. */
  readonly droppedReads: readonly number[];
}
