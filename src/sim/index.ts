export { MemoryFileSystem, type CrashMode } from './memory-fs.js';
export { faultKinds, parseFaults, type FaultKind } from './faults.js';
export { runSeed, type SimOptions, type SimResult } from './sim-world.js';
export { runSeeds, replayCommand, type SeedsOptions, type SeedsSummary, type SeedFailure } from './run-seeds.js';
export type { Violation } from './invariants.js';
