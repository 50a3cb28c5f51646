/** Client options: defaults, limits, and one resolve step that checks everything at once. */
import { clientIdBytesMax } from '../kv/limits.js';
import { KeelClientError } from './errors.js';

export interface KeelClientOptions {
  /** HTTP endpoints of the nodes, e.g. `http://127.0.0.1:8001` (a bare `host:port` means http). */
  readonly endpoints: readonly string[];
  /** Per attempt, until the whole answer is read. */
  readonly timeoutMs?: number;
  /** Extra attempts after the first, each on the next endpoint after a backoff. */
  readonly retries?: number;
  /** Session id for exactly-once writes; one client instance at a time may use it. Default: a random UUID. */
  readonly clientId?: string;
  /** Backoff before retry n is uniform in [0, min(backoffMaxMs, backoffBaseMs * 2^n)) (full jitter). */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** A watch connection silent this long (no event, no ping) is presumed dead and replaced. */
  readonly watchIdleTimeoutMs?: number;
}

export interface ResolvedClientOptions {
  readonly endpoints: readonly string[];
  readonly timeoutMs: number;
  readonly retries: number;
  readonly clientId: string;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly watchIdleTimeoutMs: number;
}

export const clientDefaults = Object.freeze({
  timeoutMs: 5_000,
  retries: 5,
  backoffBaseMs: 50,
  backoffMaxMs: 2_000,
  watchIdleTimeoutMs: 30_000,
});

export const endpointsMax = 64;
export const retriesMax = 100;
/** One hour: longer "timeouts" are mistakes (seconds given as milliseconds the wrong way round). */
export const durationMsMax = 3_600_000;
/** Bytes of one response body read into memory; larger answers fail as TooLarge. */
export const responseBytesMax = 64 * 1024 * 1024;

const knownKeys: ReadonlySet<string> = new Set(['endpoints', 'timeoutMs', 'retries', 'clientId', 'backoffBaseMs', 'backoffMaxMs', 'watchIdleTimeoutMs']);

/**
 * `http://host:port` (optionally with a path prefix) with no trailing slash; a bare `host:port`
 * gets `http://`. Returns an error message instead when the text is not a usable endpoint.
 */
export function normalizeEndpoint(text: string): { readonly endpoint: string } | { readonly problem: string } {
  const trimmed = text.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { problem: `endpoint ${JSON.stringify(text)} is not a URL` }; // the parse error says no more than this
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: `endpoint ${JSON.stringify(text)} must use http or https` };
  if (url.username !== '' || url.password !== '') return { problem: `endpoint ${JSON.stringify(text)} must not carry credentials` };
  if (url.search !== '' || url.hash !== '') return { problem: `endpoint ${JSON.stringify(text)} must not have a query or fragment` };
  return { endpoint: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}

function checkInt(problems: string[], name: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
}

function resolveEndpoints(problems: string[], value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push('endpoints must be a non-empty array of URLs');
    return [];
  }
  if (value.length > endpointsMax) problems.push(`endpoints has ${value.length} entries, at most ${endpointsMax} allowed`);
  const endpoints: string[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'string') {
      problems.push(`endpoint ${JSON.stringify(item)} is not a string`);
      continue;
    }
    const normalized = normalizeEndpoint(item);
    if ('problem' in normalized) problems.push(normalized.problem);
    else if (endpoints.includes(normalized.endpoint)) problems.push(`endpoint ${normalized.endpoint} is listed twice`);
    else endpoints.push(normalized.endpoint);
  }
  return endpoints;
}

/** Checks the options (unknown keys rejected, every problem listed) and returns them frozen. */
export function resolveClientOptions(input: KeelClientOptions, newClientId: () => string): ResolvedClientOptions {
  const problems: string[] = [];
  for (const key of Object.keys(input)) if (!knownKeys.has(key)) problems.push(`unknown option ${JSON.stringify(key)}`);
  const endpoints = resolveEndpoints(problems, input.endpoints);
  checkInt(problems, 'timeoutMs', input.timeoutMs, 1, durationMsMax);
  checkInt(problems, 'retries', input.retries, 0, retriesMax);
  checkInt(problems, 'backoffBaseMs', input.backoffBaseMs, 1, durationMsMax);
  checkInt(problems, 'backoffMaxMs', input.backoffMaxMs, 1, durationMsMax);
  checkInt(problems, 'watchIdleTimeoutMs', input.watchIdleTimeoutMs, 1, durationMsMax);
  const resolved = {
    endpoints: Object.freeze(endpoints),
    timeoutMs: input.timeoutMs ?? clientDefaults.timeoutMs,
    retries: input.retries ?? clientDefaults.retries,
    clientId: input.clientId ?? newClientId(),
    backoffBaseMs: input.backoffBaseMs ?? clientDefaults.backoffBaseMs,
    backoffMaxMs: input.backoffMaxMs ?? clientDefaults.backoffMaxMs,
    watchIdleTimeoutMs: input.watchIdleTimeoutMs ?? clientDefaults.watchIdleTimeoutMs,
  };
  if (typeof resolved.clientId !== 'string' || resolved.clientId === '' || new TextEncoder().encode(resolved.clientId).length > clientIdBytesMax) {
    problems.push(`clientId must be a non-empty string of at most ${clientIdBytesMax} UTF-8 bytes`);
  }
  if (problems.length === 0 && resolved.backoffBaseMs > resolved.backoffMaxMs) {
    problems.push(`backoffBaseMs (${resolved.backoffBaseMs}) must not exceed backoffMaxMs (${resolved.backoffMaxMs})`);
  }
  if (problems.length > 0) throw new KeelClientError('BadRequest', `invalid client options: ${problems.join('; ')}`);
  return Object.freeze(resolved);
}
