/**
 * Every failure leaves the API as `{ error: { code, message, leader? } }` with the status of its
 * code (wire.ts). Node errors (KeelError), state-machine error results and fastify's own errors
 * (bad JSON, body too large) all map here; nothing else reaches the client.
 */
import type { FastifyReply } from 'fastify';
import { isKeelError, type ErrorCode } from '../core/errors.js';
import type { KvErrorCode } from '../kv/index.js';
import type { TaskErrorCode } from '../tasks/index.js';
import { errorStatus, type ApiErrorBody, type ApiErrorCode } from './wire.js';

export class ApiError extends Error {
  constructor(readonly code: ApiErrorCode, message: string, readonly leader?: string, readonly reason?: string) {
    super(message);
  }
}

const fromKeel: Partial<Record<ErrorCode, ApiErrorCode>> = {
  BAD_REQUEST: 'BadRequest', CONFIG_INVALID: 'BadRequest', NOT_FOUND: 'NotFound', NOT_LEADER: 'NotLeader',
  TIMEOUT: 'Timeout', UNAVAILABLE: 'Unavailable', TOO_LARGE: 'TooLarge', CONFLICT: 'Conflict',
  COMPACTED: 'Compacted', SHUTTING_DOWN: 'ShuttingDown', NO_SPACE: 'QuotaExceeded',
};

/** State-machine errors: the request was wrong (or too big); not retryable. */
export function kvErrorToApi(code: KvErrorCode): ApiErrorCode {
  switch (code) {
    case 'COMMAND_TOO_LARGE': case 'KEY_TOO_LARGE': case 'VALUE_TOO_LARGE': return 'TooLarge';
    case 'QUOTA_EXCEEDED': case 'LEASE_QUOTA_EXCEEDED': return 'QuotaExceeded';
    case 'LEASE_NOT_FOUND': return 'NotFound';
    case 'RANGE_LIMIT_TOO_LARGE': case 'LEASE_TTL_INVALID': case 'TXN_DUPLICATE_KEY': return 'BadRequest';
    case 'TXN_TOO_LARGE': case 'RESULT_TOO_LARGE': return 'TooLarge';
    case 'SESSION_EXPIRED_SEQ': return 'Conflict';
    case 'COMMAND_MALFORMED': case 'KEY_EMPTY': case 'QUERY_UNSUPPORTED': return 'BadRequest';
    case 'RESULT_MALFORMED': return 'Internal';
    default: return kvErrorFallback(code);
  }
}

function kvErrorFallback(code: string): ApiErrorCode {
  if (code.endsWith('NOT_FOUND')) return 'NotFound';
  if (code === 'COMPACTED') return 'Compacted';
  if (code.endsWith('TOO_LARGE') || code.endsWith('TOO_MANY')) return 'TooLarge';
  return 'BadRequest';
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isKeelError(error)) {
    const leader = typeof error.data.leader === 'string' ? error.data.leader : undefined;
    return new ApiError(fromKeel[error.code] ?? 'Internal', error.message, leader);
  }
  const fastifyError = error as { statusCode?: number; code?: string; message?: string };
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ApiError('TooLarge', 'request body too large');
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new ApiError(fastifyError.statusCode === 413 ? 'TooLarge' : fastifyError.statusCode === 404 ? 'NotFound' : 'BadRequest', fastifyError.message ?? 'bad request');
  }
  return new ApiError('Internal', 'internal error (see the node log)');
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  const body: ApiErrorBody = { error: { code: error.code, message: error.message, ...(error.leader === undefined ? {} : { leader: error.leader }),
    ...(error.reason === undefined ? {} : { reason: error.reason }) } };
  return reply.code(errorStatus[error.code]).type('application/json').send(body);
}

/** A task state machine refusal as an API error; `reason` keeps its own code (STALE_ATTEMPT, JOB_EXISTS...). */
export function taskErrorToApi(code: TaskErrorCode, message: string): ApiError {
  return new ApiError(taskErrorStatus(code), message, undefined, code);
}

function taskErrorStatus(code: TaskErrorCode): ApiErrorCode {
  switch (code) {
    case 'COMMAND_TOO_LARGE': case 'PAYLOAD_TOO_LARGE': case 'RESULT_TOO_LARGE': case 'CHECKPOINT_TOO_LARGE': return 'TooLarge';
    case 'QUOTA_EXCEEDED': case 'JOB_LIMIT': case 'TASK_LIMIT': case 'WORKER_LIMIT': return 'QuotaExceeded';
    case 'JOB_NOT_FOUND': case 'TASK_NOT_FOUND': case 'WORKER_NOT_FOUND': return 'NotFound';
    case 'JOB_EXISTS': case 'JOB_FINISHED': case 'STALE_ATTEMPT': case 'WORKER_DOWN': case 'WORKER_AT_CAPACITY': case 'TASK_NOT_RUNNABLE': return 'Conflict';
    default: return 'BadRequest';
  }
}
