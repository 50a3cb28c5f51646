/** The TypeScript client for the HTTP API v1: public face. See docs/client.md. */
export { KeelClient, type ListOptions, type PutOptions, type ReadOptions } from './client.js';
export { KeelClientError, isKeelClientError, type ClientErrorCode } from './errors.js';
export { clientDefaults, normalizeEndpoint, type KeelClientOptions } from './options.js';
export type { WatchOptions } from './watch.js';
export type * from '../api/wire.js';
export type * from '../api/wire-tasks.js';
export { JobFailedError, JobHandle, JobsApi, type EventsOptions } from './jobs.js';
export { WorkerProtocol, isStaleAttempt } from './worker-protocol.js';
