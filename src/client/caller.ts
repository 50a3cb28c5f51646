/** One request to the cluster: a timeout per attempt, failover across endpoints, backoff with full jitter. */
import { assert } from '../core/assert.js';
import { backoffDelayMs, sleep } from './backoff.js';
import { readTextCapped } from './body.js';
import type { EndpointPool } from './endpoints.js';
import { errorFromResponse, isKeelClientError, KeelClientError, withAttempts } from './errors.js';
import { responseBytesMax, type ResolvedClientOptions } from './options.js';

/**
 * When a failed attempt may be sent again:
 * - `idempotent`: reads, and writes that carry a session (the server applies a seq once): after
 *   any retryable failure, even a timeout after which the first attempt may have been applied.
 * - `unsent`: writes without a session (membership, leader transfer): only when the request
 *   surely had no effect: the connection was refused, or the node answered NotLeader,
 *   Unavailable or ShuttingDown instead of running it.
 */
export type RetryPolicy = 'idempotent' | 'unsent';

export interface CallSpec {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Path and query, starting with `/`. */
  readonly path: string;
  readonly body?: { readonly contentType: string; readonly text: string };
  readonly headers?: Readonly<Record<string, string>>;
  readonly retry: RetryPolicy;
  /** Statuses besides 2xx whose body is an answer, not an error (404 on get, 503 on /healthz). */
  readonly acceptStatuses?: readonly number[];
  /** Ask this endpoint only, once (the health of one node). */
  readonly endpoint?: string;
  /** Per-attempt timeout instead of the client's (heartbeats must fail fast). */
  readonly timeoutMs?: number;
}

export interface CallResult {
  readonly status: number;
  /** The parsed JSON body; null when the body is empty. */
  readonly body: unknown;
  readonly endpoint: string;
}

interface Failure {
  readonly error: KeelClientError;
  /** The request surely did not reach a server (connection refused, name not resolved). */
  readonly unsent: boolean;
}

type Attempt = { readonly kind: 'answer'; readonly status: number; readonly text: string } | ({ readonly kind: 'failed' } & Failure);

const connectErrorCodes: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const refusedCodes: ReadonlySet<string> = new Set(['NotLeader', 'Unavailable', 'ShuttingDown']);

export class Caller {
  constructor(
    private readonly options: ResolvedClientOptions,
    private readonly pool: EndpointPool,
    private readonly random: () => number = Math.random,
  ) {}

  async call(spec: CallSpec): Promise<CallResult> {
    const pinned = spec.endpoint !== undefined;
    const attemptsMax = pinned ? 1 : this.options.retries + 1;
    let endpoint = spec.endpoint ?? this.pool.preferred;
    let last: KeelClientError | undefined;
    for (let attemptIndex = 0; attemptIndex < attemptsMax; attemptIndex++) {
      if (attemptIndex > 0) await sleep(this.backoffMs(attemptIndex - 1));
      const outcome = await attemptOnce(endpoint, spec, spec.timeoutMs ?? this.options.timeoutMs);
      let failure: Failure;
      if (outcome.kind === 'answer') {
        const accepted = (outcome.status >= 200 && outcome.status < 300) || (spec.acceptStatuses?.includes(outcome.status) ?? false);
        if (accepted) {
          if (!pinned) this.pool.succeeded(endpoint);
          return { status: outcome.status, body: parseJson(outcome.text, endpoint), endpoint };
        }
        failure = { error: errorFromResponse(outcome.status, outcome.text, endpoint), unsent: false };
      } else {
        failure = outcome;
      }
      if (!mayRetry(failure, spec.retry)) {
        // A node that answers with a final error works: start there next time.
        if (outcome.kind === 'answer' && !pinned) this.pool.succeeded(endpoint);
        throw failure.error;
      }
      last = failure.error;
      endpoint = this.pool.next(endpoint, failure.error.leader);
    }
    assert(last !== undefined, 'the retry loop ran at least once');
    throw withAttempts(last, attemptsMax);
  }

  backoffMs(retryIndex: number): number {
    return backoffDelayMs(retryIndex, this.options.backoffBaseMs, this.options.backoffMaxMs, this.random);
  }
}

export function mayRetry(failure: Failure, policy: RetryPolicy): boolean {
  if (!failure.error.retryable) return false;
  if (policy === 'idempotent') return true;
  return failure.unsent || refusedCodes.has(failure.error.code);
}

async function attemptOnce(endpoint: string, spec: CallSpec, timeoutMs: number): Promise<Attempt> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(`${endpoint}${spec.path}`, {
      method: spec.method,
      headers: { accept: 'application/json', ...(spec.body === undefined ? {} : { 'content-type': spec.body.contentType }), ...spec.headers },
      ...(spec.body === undefined ? {} : { body: spec.body.text }),
      signal: timeout,
      // Not 'error': with it, undici's spec-mandated resend after a 421 (NotLeader) sends a
      // broken body (nodejs/undici#2898). A 3xx is then an error answer, never followed.
      redirect: 'manual',
    });
    const text = await readTextCapped(response, responseBytesMax, endpoint);
    return { kind: 'answer', status: response.status, text };
  } catch (error) {
    if (isKeelClientError(error)) return { kind: 'failed', error, unsent: false };
    if (timeout.aborted) {
      return { kind: 'failed', error: new KeelClientError('Timeout', `no answer from ${endpoint} within ${timeoutMs} ms`, { endpoint, cause: error }), unsent: false };
    }
    return { kind: 'failed', ...networkFailure(endpoint, error) };
  }
}

/** A fetch rejection as a Network error; `unsent` when it failed before a connection existed. */
export function networkFailure(endpoint: string, error: unknown): Failure {
  const causes = causeChain(error);
  const unsent = causes.some((cause) => typeof cause.code === 'string' && connectErrorCodes.has(cause.code));
  // fetch says only "fetch failed"; the useful text ("connect ECONNREFUSED ...") is in a cause.
  const detail = causes.slice(1).find((cause) => cause.message !== '') ?? causes.find((cause) => cause.code !== undefined) ?? causes[0];
  const text = detail === undefined ? String(error) : detail.message !== '' ? detail.message : String(detail.code);
  return { error: new KeelClientError('Network', `cannot reach ${endpoint}: ${text}`, { endpoint, cause: error }), unsent };
}

interface CauseInfo { readonly message: string; readonly code: unknown }

/** The error, its causes and the members of aggregate errors (happy eyeballs tries several addresses), depth-limited. */
function causeChain(error: unknown): CauseInfo[] {
  const out: CauseInfo[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 8 || typeof value !== 'object' || value === null) return;
    const message = 'message' in value && typeof value.message === 'string' ? value.message : '';
    out.push({ message, code: 'code' in value ? value.code : undefined });
    if ('cause' in value) visit(value.cause, depth + 1);
    if (value instanceof AggregateError) for (const inner of value.errors) visit(inner, depth + 1);
  };
  visit(error, 0);
  return out;
}

function parseJson(text: string, endpoint: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new KeelClientError('Internal', `malformed JSON answer from ${endpoint}`, { endpoint, cause: error });
  }
}
