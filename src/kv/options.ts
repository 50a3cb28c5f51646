import { KeelError } from '../core/errors.js';
import { clientIdBytesMax, keyBytesMax, resultBytesMax, valueBytesMax } from './limits.js';

/**
 * Options of a KV state machine. They change which commands succeed and which sessions are
 * kept, so they are cluster-wide: every replica of a group must be built with the same values,
 * or replicas diverge (the digest comparison would report it).
 */
export interface KvOptionsInput {
  /** Client sessions kept for exactly-once retries; the one with the oldest lastIndex is evicted beyond it. */
  readonly sessionsMax?: number;
  /** Bytes of stored session results (plus client ids) kept; oldest sessions are evicted beyond it. */
  readonly sessionsBytesMax?: number;
  /** UTF-8 bytes of all live keys plus values; a write beyond it fails with QUOTA_EXCEEDED. */
  readonly dataBytesMax?: number;
}

export type KvOptions = Readonly<Required<KvOptionsInput>>;

export const kvDefaults = Object.freeze({
  sessionsMax: 10_000,
  sessionsBytesMax: 64 * 1024 * 1024,
  dataBytesMax: 256 * 1024 * 1024,
} as const satisfies Required<KvOptionsInput>);

const knownKeys = new Set(Object.keys(kvDefaults));

/** Fills defaults, rejects unknown keys, checks relations; lists every problem at once. */
export function resolveKvOptions(input: KvOptionsInput = {}): KvOptions {
  const problems: string[] = [];
  for (const key of Object.keys(input)) if (!knownKeys.has(key)) problems.push(`unknown option "${key}"`);
  const options: KvOptions = Object.freeze({ ...kvDefaults, ...input });
  for (const name of ['sessionsMax', 'sessionsBytesMax', 'dataBytesMax'] as const) {
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
  if (problems.length > 0) throw new KeelError('CONFIG_INVALID', `invalid KV options: ${problems.join('; ')}`, { data: { problems } });
  return options;
}
