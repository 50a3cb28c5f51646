import type { ErrorCode } from '../core/errors.js';

/** Every ErrorCode at run time, so a code arriving from a peer can be checked. */
const codes = [
  'CONFIG_INVALID', 'DATA_DIR_UNAVAILABLE', 'FORMAT_VERSION_UNSUPPORTED', 'WAL_CORRUPT', 'WAL_CLOSED', 'WAL_FAILED',
  'WAL_INDEX_GAP', 'WAL_RECORD_TOO_LARGE', 'HARD_STATE_CORRUPT', 'CHECKPOINT_CORRUPT', 'CHECKPOINT_NOT_FOUND',
  'RECOVERY_GAP', 'IO_ERROR', 'NO_SPACE', 'BAD_REQUEST', 'NOT_FOUND', 'NOT_LEADER', 'TIMEOUT', 'UNAVAILABLE',
  'TOO_LARGE', 'CONFLICT', 'COMPACTED', 'AUTH_FAILED', 'FRAME_INVALID', 'SHUTTING_DOWN', 'INTERNAL',
] as const satisfies readonly ErrorCode[];

// Fails to compile when core/errors.ts gains a code this list lacks.
type Missing = Exclude<ErrorCode, (typeof codes)[number]>;
const _complete: [Missing] extends [never] ? true : Missing = true;

const known: ReadonlySet<string> = new Set<string>(codes);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && known.has(value);
}
