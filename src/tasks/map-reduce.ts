/**
 * Map/reduce on top of submitJob: one map task per chunk of items, and a reduce task that
 * depends on every map task, so it runs only when all of them succeeded. The reduce handler
 * reads the map results with the `results` query (paged; the worker runtime offers it to the
 * handler), in chunk order.
 */
import { KeelError } from '../core/errors.js';
import type { SchedulingPolicy, SubmitJob, TaskSpec, TaskTimeouts } from './commands.js';
import type { JsonValue } from './json.js';

export interface MapReduceSpec {
  readonly items: readonly JsonValue[];
  /** Handler of the map tasks; each gets `{ offset, items }` (its chunk and where it starts). */
  readonly map: string;
  /** Items per map task (default 1). */
  readonly chunk?: number;
  /** Handler of the reduce task (id `reduce`), and its input (default null). */
  readonly reduce?: { readonly handler: string; readonly input?: JsonValue };
  readonly jobId?: string;
  readonly maxAttempts?: number;
  readonly policy?: SchedulingPolicy;
  readonly timeouts?: TaskTimeouts;
  /** Affinity key of a chunk (for the affinity policy), from its first item's offset. */
  readonly keyOf?: (offset: number) => string;
}

/** Local id of the map task for the chunk starting at item `offset`. */
export function mapTaskId(chunkIndex: number): string {
  return `map-${chunkIndex}`;
}

export const reduceTaskId = 'reduce';

export function mapReduceJob(spec: MapReduceSpec): SubmitJob {
  const chunk = spec.chunk ?? 1;
  if (!(Number.isSafeInteger(chunk) && chunk >= 1)) throw new KeelError('BAD_REQUEST', `chunk must be a positive integer, got ${chunk}`);
  if (spec.items.length === 0) throw new KeelError('BAD_REQUEST', 'map needs at least one item');
  const tasks: TaskSpec[] = [];
  for (let offset = 0, i = 0; offset < spec.items.length; offset += chunk, i++) {
    const key = spec.keyOf?.(offset);
    tasks.push({ id: mapTaskId(i), handler: spec.map, input: { offset, items: spec.items.slice(offset, offset + chunk) }, ...(key === undefined ? {} : { key }) });
  }
  if (spec.reduce !== undefined) {
    tasks.push({ id: reduceTaskId, handler: spec.reduce.handler, input: spec.reduce.input ?? null, dependsOn: tasks.map((t) => t.id ?? '') });
  }
  return {
    kind: 'submitJob', tasks,
    ...(spec.jobId === undefined ? {} : { jobId: spec.jobId }), ...(spec.maxAttempts === undefined ? {} : { maxAttempts: spec.maxAttempts }),
    ...(spec.policy === undefined ? {} : { policy: spec.policy }), ...(spec.timeouts === undefined ? {} : { timeouts: spec.timeouts }),
  };
}
