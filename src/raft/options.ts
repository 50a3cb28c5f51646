import { KeelError } from '../core/errors.js';
import type { Random } from '../ports/random.js';
import type { NodeId } from './types.js';

export interface RaftOptionsInput {
  readonly id: NodeId;
  readonly random: Random;
  /** Ticks between leader heartbeats (a tick is ~10 ms in real nodes). */
  readonly heartbeatTicks?: number;
  /** Base election timeout; each term's timeout is drawn from [electionTicks, 2 * electionTicks). */
  readonly electionTicks?: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  /** Appends in flight per follower while replicating. */
  readonly inflightMsgsMax?: number;
  /** Data bytes per append message (at least one entry is always sent). */
  readonly appendBytesMax?: number;
  readonly appendEntriesMax?: number;
  /** Proposals refused (overloaded) while this many entries are uncommitted. */
  readonly uncommittedEntriesMax?: number;
  readonly snapshotChunkBytes?: number;
  /** Pending ReadIndex requests at the leader. */
  readonly pendingReadsMax?: number;
}

export type RaftOptions = Required<RaftOptionsInput>;

export const raftDefaults = {
  heartbeatTicks: 5,
  electionTicks: 15,
  preVote: true,
  checkQuorum: true,
  inflightMsgsMax: 64,
  appendBytesMax: 1024 * 1024,
  appendEntriesMax: 512,
  uncommittedEntriesMax: 10_000,
  snapshotChunkBytes: 64 * 1024,
  pendingReadsMax: 10_000,
} as const;

export function resolveRaftOptions(input: RaftOptionsInput): RaftOptions {
  const options = Object.freeze({ ...raftDefaults, ...input });
  const problems: string[] = [];
  for (const key of ['heartbeatTicks', 'electionTicks', 'inflightMsgsMax', 'appendBytesMax', 'appendEntriesMax', 'uncommittedEntriesMax', 'snapshotChunkBytes', 'pendingReadsMax'] as const) {
    if (!(Number.isSafeInteger(options[key]) && options[key] > 0)) problems.push(`${key} must be a positive integer`);
  }
  if (options.electionTicks <= options.heartbeatTicks) problems.push('electionTicks must exceed heartbeatTicks');
  if (options.id.length === 0) problems.push('id must not be empty');
  if (problems.length > 0) throw new KeelError('CONFIG_INVALID', `invalid raft options: ${problems.join('; ')}`, { data: { problems } });
  return options;
}
