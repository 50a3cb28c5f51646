export { RaftNode, type ProposeResult, type RaftBoot } from './raft.js';
export { raftDefaults, type RaftOptionsInput } from './options.js';
export { applyChange, decodeMembership, encodeMembership, quorumSize, type MembershipChange } from './membership.js';
export type { Entry, EntryKind, HardState, Membership, Message, NodeId, ReadState, Ready, Role, Snapshot, SnapshotMeta } from './types.js';
