export { Wal, type WalStats } from './wal/wal.js';
export type { WalRecord } from './wal/format.js';
export { walDefaults, type FsyncPolicy, type WalOptionsInput } from './wal/options.js';
export type { WalOpenReport } from './wal/recover.js';
export { HardStateStore, emptyHardState, type HardState, type HardStateReadReport } from './hard-state.js';
export {
  CheckpointStore, type CheckpointData, type CheckpointInfo, type CheckpointMeta, type CheckpointStoreOptions, type CorruptCheckpoint,
} from './checkpoint/checkpoint-store.js';
export { recover, type RecoveryOptions, type RecoveryReport, type RecoveryTarget } from './recovery.js';
