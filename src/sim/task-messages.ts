/** Messages between the leader's task duties and the simulated workers (off the log, over the simulated network). */
import type { CheckpointView, JsonValue } from '../tasks/index.js';

/** An applied `assign`, delivered to its worker: what it needs to run the attempt. */
export interface AssignDelivery {
  readonly taskId: string;
  readonly jobId: string;
  readonly attempt: number;
  readonly handler: string;
  readonly input: JsonValue;
  readonly checkpoint?: CheckpointView;
}

/** An attempt whose lease ended (expire, workerDown, cancelJob): the worker aborts it (`ctx.signal`). */
export interface AttemptRef {
  readonly taskId: string;
  readonly attempt: number;
}

/**
 * The leader's answer to a worker heartbeat. `down`/`unknown`: the worker must (re-)register.
 * `missing`: leases the state gives the worker that it did not report running (a delivery lost,
 * or made by a leader that died before delivering); `aborts`: attempts it reported whose lease
 * the applied state shows ended.
 */
export interface HeartbeatReply {
  readonly status: 'up' | 'down' | 'unknown';
  readonly missing: readonly AssignDelivery[];
  readonly aborts: readonly AttemptRef[];
}
