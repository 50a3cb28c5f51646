/** Typed errors of the client: the server's stable codes, plus `Network` for "no answer at all". */
import { errorStatus, type ApiErrorCode } from '../api/wire.js';

export type ClientErrorCode = ApiErrorCode | 'Network';

const apiErrorCodes: ReadonlySet<string> = new Set(Object.keys(errorStatus));

/** Codes where asking again (same request, maybe another node) can succeed. */
const retryableCodes: ReadonlySet<ClientErrorCode> = new Set<ClientErrorCode>(['NotLeader', 'Unavailable', 'ShuttingDown', 'Timeout', 'Network']);

export function isRetryableCode(code: ClientErrorCode): boolean {
  return retryableCodes.has(code);
}

export interface KeelClientErrorOptions {
  readonly status?: number;
  /** The leader's id, when the server named one (NotLeader). */
  readonly leader?: string;
  /** The state machine's own code, when it refused the request (e.g. STALE_ATTEMPT). */
  readonly reason?: string;
  /** The endpoint that answered (or failed to). */
  readonly endpoint?: string;
  /** With code Compacted on a watch: the oldest revision still available. */
  readonly compactRevision?: number;
  readonly cause?: unknown;
}

export class KeelClientError extends Error {
  override readonly name = 'KeelClientError';
  readonly code: ClientErrorCode;
  readonly retryable: boolean;
  readonly status?: number;
  readonly leader?: string;
  readonly reason?: string;
  readonly endpoint?: string;
  readonly compactRevision?: number;

  constructor(code: ClientErrorCode, message: string, options: KeelClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = isRetryableCode(code);
    if (options.status !== undefined) this.status = options.status;
    if (options.leader !== undefined) this.leader = options.leader;
    if (options.reason !== undefined) this.reason = options.reason;
    if (options.endpoint !== undefined) this.endpoint = options.endpoint;
    if (options.compactRevision !== undefined) this.compactRevision = options.compactRevision;
  }
}

export function isKeelClientError(error: unknown, code?: ClientErrorCode): error is KeelClientError {
  return error instanceof KeelClientError && (code === undefined || error.code === code);
}

export function isApiErrorCode(value: unknown): value is ApiErrorCode {
  return typeof value === 'string' && apiErrorCodes.has(value);
}

/** The code for a status when the body is not an error body (a proxy's page, an empty 502). */
function codeForStatus(status: number): ApiErrorCode {
  for (const code of Object.keys(errorStatus)) {
    // 503 maps to Unavailable: it comes before ShuttingDown in errorStatus.
    if (isApiErrorCode(code) && errorStatus[code] === status) return code;
  }
  return status >= 500 || status < 400 ? 'Internal' : 'BadRequest';
}

/** Builds the error for a non-2xx answer from its status and body (`{ error: { code, message, leader? } }`). */
export function errorFromResponse(status: number, bodyText: string, endpoint: string): KeelClientError {
  const parsed = parseErrorBody(bodyText);
  if (parsed !== undefined) {
    return new KeelClientError(parsed.code, parsed.message, {
      status, endpoint, ...(parsed.leader === undefined ? {} : { leader: parsed.leader }), ...(parsed.reason === undefined ? {} : { reason: parsed.reason }),
    });
  }
  const excerpt = bodyText.length > 200 ? `${bodyText.slice(0, 200)}...` : bodyText;
  const redirect = status >= 300 && status < 400 ? ' (the client follows no redirects)' : '';
  return new KeelClientError(codeForStatus(status), `HTTP ${status} from ${endpoint}${redirect}${excerpt === '' ? '' : `: ${excerpt}`}`, { status, endpoint });
}

function parseErrorBody(text: string): { code: ApiErrorCode; message: string; leader?: string; reason?: string } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined; // not JSON: the caller falls back to the status code
  }
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
  const error: unknown = body.error;
  if (typeof error !== 'object' || error === null || !('code' in error) || !('message' in error)) return undefined;
  if (!isApiErrorCode(error.code) || typeof error.message !== 'string') return undefined;
  const leader = 'leader' in error && typeof error.leader === 'string' ? error.leader : undefined;
  const reason = 'reason' in error && typeof error.reason === 'string' ? error.reason : undefined;
  return { code: error.code, message: error.message, ...(leader === undefined ? {} : { leader }), ...(reason === undefined ? {} : { reason }) };
}

/** The same error with a note on how hard the client tried, for the caller who gets it last. */
export function withAttempts(error: KeelClientError, attemptCount: number): KeelClientError {
  if (attemptCount <= 1) return error;
  return new KeelClientError(error.code, `${error.message} (gave up after ${attemptCount} attempts)`, {
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.leader === undefined ? {} : { leader: error.leader }),
    ...(error.reason === undefined ? {} : { reason: error.reason }),
    ...(error.endpoint === undefined ? {} : { endpoint: error.endpoint }),
    cause: error,
  });
}
