/** Stable error codes: callers and the HTTP layer switch on these, never on messages. */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'DATA_DIR_UNAVAILABLE'
  | 'FORMAT_VERSION_UNSUPPORTED'
  | 'WAL_CORRUPT'
  | 'WAL_CLOSED'
  | 'WAL_FAILED'
  | 'WAL_INDEX_GAP'
  | 'WAL_RECORD_TOO_LARGE'
  | 'HARD_STATE_CORRUPT'
  | 'CHECKPOINT_CORRUPT'
  | 'CHECKPOINT_NOT_FOUND'
  | 'RECOVERY_GAP'
  | 'IO_ERROR'
  | 'NO_SPACE'
  // Service and transport (issue 4): the HTTP layer maps each to a status code.
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'NOT_LEADER'
  | 'TIMEOUT'
  | 'UNAVAILABLE'
  | 'TOO_LARGE'
  | 'CONFLICT'
  | 'COMPACTED'
  | 'AUTH_FAILED'
  | 'FRAME_INVALID'
  | 'SHUTTING_DOWN'
  | 'INTERNAL';

export interface KeelErrorOptions {
  readonly retryable?: boolean;
  readonly data?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/** An operating error: expected, typed, and says whether retrying can help. */
export class KeelError extends Error {
  override readonly name = 'KeelError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: KeelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.data = options.data ?? {};
  }
}

export function isKeelError(error: unknown, code?: ErrorCode): error is KeelError {
  return error instanceof KeelError && (code === undefined || error.code === code);
}

/** File-system errors carry a POSIX code (ENOENT, EIO, ENOSPC, ...). */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = error.code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
