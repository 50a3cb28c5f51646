export { MemoryFileSystem, type CrashMode } from './memory-fs.js';
export { faultKinds, parseFaults, type FaultKind } from './faults.js';
export { runSeed, workloads, type SimOptions, type SimResult, type Workload } from './sim-world.js';
export type { TaskWorkloadSummary } from './task-workload.js';
export { runSeeds, replayCommand, type SeedsOptions, type SeedsSummary, type SeedFailure, type TaskFigures } from './run-seeds.js';
export type { Violation } from './invariants.js';
