import { KeelError } from '../core/errors.js';
import {
  clientIdBytesMax, eventOverheadBytes, keyBytesMax, leaseIdDigitsMax, leaseListEntryBytesMax, resultBytesMax, valueBytesMax,
} from './limits.js';

/**
 * Options of a KV state machine. They change which commands succeed and which sessions and
 * events are kept, so they are cluster-wide: every replica of a group must be built with the
 * same values, or replicas diverge (the digest comparison would report it).
 */
export interface KvOptionsInput {
  /** Client sessions kept for exactly-once retries; the one with the oldest lastIndex is evicted beyond it. */
  readonly sessionsMax?: number;
  /** Bytes of stored session results (plus client ids) kept; oldest sessions are evicted beyond it. */
  readonly sessionsBytesMax?: number;
  /** UTF-8 bytes of all live keys plus values; a write beyond it fails with QUOTA_EXCEEDED. */
  readonly dataBytesMax?: number;
  /** Live leases; a grant beyond it fails with LEASE_QUOTA_EXCEEDED. */
  readonly leasesMax?: number;
  /** Watch events kept; the oldest revisions are compacted beyond it. */
  readonly historyEventsMax?: number;
  /** Bytes of kept watch events (keys, values, lease ids, plus eventOverheadBytes each). */
  readonly historyBytesMax?: number;
}

export type KvOptions = Readonly<Required<KvOptionsInput>>;

export const kvDefaults = Object.freeze({
  sessionsMax: 10_000,
  sessionsBytesMax: 64 * 1024 * 1024,
  dataBytesMax: 256 * 1024 * 1024,
  leasesMax: 10_000,
  historyEventsMax: 10_000,
  historyBytesMax: 64 * 1024 * 1024,
} as const satisfies Required<KvOptionsInput>);

const knownKeys = new Set(Object.keys(kvDefaults));

/** Bytes of the largest watch event: a put of a full key and value with a lease. */
export const eventBytesMax = keyBytesMax + valueBytesMax + leaseIdDigitsMax + eventOverheadBytes;

/** Fills defaults, rejects unknown keys, checks relations; lists every problem at once. */
export function resolveKvOptions(input: KvOptionsInput = {}): KvOptions {
  const problems: string[] = [];
  for (const key of Object.keys(input)) if (!knownKeys.has(key)) problems.push(`unknown option "${key}"`);
  const options: KvOptions = Object.freeze({ ...kvDefaults, ...input });
  for (const name of Object.keys(kvDefaults) as (keyof KvOptions)[]) {
    const value = options[name];
    if (!(Number.isSafeInteger(value) && value > 0)) problems.push(`${name} must be a positive integer, got ${String(value)}`);
  }
  const oneSessionBytesMax = clientIdBytesMax + resultBytesMax;
  if (options.sessionsBytesMax < oneSessionBytesMax) {
    problems.push(`sessionsBytesMax (${options.sessionsBytesMax}) must hold one session with the largest result (${oneSessionBytesMax} bytes)`);
  }
  if (options.dataBytesMax < keyBytesMax + valueBytesMax) {
    problems.push(`dataBytesMax (${options.dataBytesMax}) must hold one key of keyBytesMax with a value of valueBytesMax (${keyBytesMax + valueBytesMax} bytes)`);
  }
  // A `leases` result lists every lease and must fit one result.
  if (options.leasesMax * leaseListEntryBytesMax > resultBytesMax / 2) {
    problems.push(`leasesMax (${options.leasesMax}) is too large for one leases result (at most ${Math.floor(resultBytesMax / 2 / leaseListEntryBytesMax)})`);
  }
  if (options.historyBytesMax < eventBytesMax) {
    problems.push(`historyBytesMax (${options.historyBytesMax}) must hold one put event of a full key and value (${eventBytesMax} bytes)`);
  }
  if (problems.length > 0) throw new KeelError('CONFIG_INVALID', `invalid KV options: ${problems.join('; ')}`, { data: { problems } });
  return options;
}
