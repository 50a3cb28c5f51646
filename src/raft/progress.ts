/** The leader's view of one follower's replication (etcd-raft's Progress, simplified). */
export type ProgressState =
  /** Unknown match: one append at a time until a response tells us where the logs agree. */
  | 'probe'
  /** Logs agree: pipeline appends optimistically, bounded by the in-flight limit. */
  | 'replicate'
  /** The follower needs entries we compacted: stream the snapshot in chunks. */
  | 'snapshot';

export interface Progress {
  match: number;
  next: number;
  state: ProgressState;
  /** Appends in flight (replicate state), by last index sent; bounded by inflightMsgsMax. */
  inflight: number[];
  /** In probe state: an append was sent and not yet answered (or the heartbeat interval passed). */
  probeSent: boolean;
  /** Heard from since the last check-quorum round. */
  recentActive: boolean;
  /** The follower said its log may have lost acknowledged entries: its match does not count. */
  recovering: boolean;
  /** Snapshot streaming state. */
  snapshotIndex: number;
  snapshotOffset: number;
}

export function newProgress(next: number): Progress {
  return { match: 0, next, state: 'probe', inflight: [], probeSent: false, recentActive: false, recovering: false, snapshotIndex: 0, snapshotOffset: 0 };
}

export function becomeProbe(pr: Progress): void {
  pr.state = 'probe';
  pr.next = pr.match + 1;
  pr.inflight = [];
  pr.probeSent = false;
}

export function becomeReplicate(pr: Progress): void {
  pr.state = 'replicate';
  pr.next = pr.match + 1;
  pr.inflight = [];
}

export function becomeSnapshot(pr: Progress, index: number): void {
  pr.state = 'snapshot';
  pr.snapshotIndex = index;
  pr.snapshotOffset = 0;
  pr.inflight = [];
}

/** Releases in-flight slots up to `index` (acknowledged). */
export function freeInflight(pr: Progress, index: number): void {
  while (pr.inflight.length > 0 && pr.inflight[0]! <= index) pr.inflight.shift();
}
