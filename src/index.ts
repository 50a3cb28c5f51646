/** Keel's public surface: re-exports only. */
export { KeelError, isKeelError, type ErrorCode } from './core/errors.js';
export { seededRandom } from './core/prng.js';
export type { Clock, Timers } from './ports/clock.js';
export type { Random } from './ports/random.js';
export type { FileHandle, FileSystem, OpenMode } from './ports/file-system.js';
export * from './storage/index.js';
export { NodeFileSystem, nodeFileSystem } from './runtime/node-fs.js';
export { systemClock, systemTimers } from './runtime/system-clock.js';
export { MemoryFileSystem, type CrashMode } from './sim/memory-fs.js';
export { startNode, type RunningNode } from './server/start.js';
export { loadConfig, type NodeConfig } from './server/config.js';
export { KeelClient, KeelClientError, isKeelClientError } from './client/index.js';
export * as placement from './placement/index.js';
export * as membership from './membership/index.js';
export * as tasks from './tasks/index.js';
export { defineTasks, NonRetryableError, type AttemptInfo, type TaskContext, type TaskDefinitions, type TaskHandler, type TaskHandlers } from './worker/sdk.js';
