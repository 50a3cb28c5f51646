/**
 * Watches as server-sent events, resumed across dropped connections without losing or repeating
 * an event. A revision may hold several events (a txn touching several keys), so a watch resumes
 * from the last revision it saw, not the one after, and skips the events of that revision it has
 * already delivered: the server replays a revision's events in the same order.
 */
import type { WatchEvent } from '../api/wire.js';
import { sleep } from './backoff.js';
import { readChunk, type ChunkReader } from './body.js';
import { networkFailure } from './caller.js';
import type { EndpointPool } from './endpoints.js';
import { errorFromResponse, KeelClientError, withAttempts } from './errors.js';
import type { ResolvedClientOptions } from './options.js';
import { expectShape } from './shape.js';
import { SseParser, type SseEvent } from './sse.js';

interface WatchCommon {
  /** First revision to deliver (inclusive). Default: the revision after the current one. */
  readonly fromRevision?: number;
  /** Aborting ends the iteration quietly. */
  readonly signal?: AbortSignal;
}
/** Watch one key, or every key under a prefix (the empty prefix, the default, is every key). */
export type WatchOptions = WatchCommon & ({ readonly prefix?: string; readonly key?: never } | { readonly key: string; readonly prefix?: never });

export type WatchSelector = { readonly kind: 'prefix'; readonly prefix: string } | { readonly kind: 'key'; readonly key: string };

export interface WatchDeps {
  readonly options: ResolvedClientOptions;
  readonly pool: EndpointPool;
  readonly backoffMs: (retryIndex: number) => number;
  /** The store's current revision, read linearizably: where a watch without fromRevision starts after. */
  readonly currentRevision: (selector: WatchSelector) => Promise<number>;
}

/** Why one connection ended; `healthy` when it delivered anything (the failure count starts over). */
interface Ended { readonly healthy: boolean; readonly error: KeelClientError }

export function watchSelector(options: WatchOptions): WatchSelector {
  if (options.key !== undefined && options.prefix !== undefined) throw new KeelClientError('BadRequest', 'watch takes a key or a prefix, not both');
  if (options.key !== undefined) {
    if (typeof options.key !== 'string' || options.key === '') throw new KeelClientError('BadRequest', 'watch key must be a non-empty string');
    return { kind: 'key', key: options.key };
  }
  if (options.prefix !== undefined && typeof options.prefix !== 'string') throw new KeelClientError('BadRequest', 'watch prefix must be a string');
  return { kind: 'prefix', prefix: options.prefix ?? '' };
}

/** Where the next connection starts, and which of its first events were already delivered. */
export class WatchCursor {
  private lastRevision: number | undefined;
  private countAtLast = 0;
  private resumeFrom: number;
  private skipRemaining = 0;

  constructor(fromRevision: number) {
    this.resumeFrom = fromRevision;
  }

  get resumeRevision(): number {
    return this.resumeFrom;
  }

  /** A new connection starts: from the last revision seen, skipping what was delivered of it. */
  reconnect(): void {
    if (this.lastRevision === undefined) return;
    this.resumeFrom = this.lastRevision;
    this.skipRemaining = this.countAtLast;
  }

  /** Whether to deliver `event`; false for a replayed one. */
  accept(event: WatchEvent): boolean {
    if (event.revision < this.resumeFrom) return false;
    if (event.revision === this.resumeFrom && this.skipRemaining > 0) {
      this.skipRemaining--;
      return false;
    }
    if (this.lastRevision !== undefined && event.revision < this.lastRevision) {
      throw new KeelClientError('Internal', `watch went back from revision ${this.lastRevision} to ${event.revision}`);
    }
    if (event.revision === this.lastRevision) this.countAtLast++;
    else {
      this.lastRevision = event.revision;
      this.countAtLast = 1;
    }
    return true;
  }
}

export async function* watchEvents(deps: WatchDeps, options: WatchOptions): AsyncGenerator<WatchEvent, void, undefined> {
  const selector = watchSelector(options);
  const { fromRevision, signal } = options;
  if (fromRevision !== undefined && (!Number.isSafeInteger(fromRevision) || fromRevision < 1)) {
    throw new KeelClientError('BadRequest', `fromRevision must be a positive integer, got ${fromRevision}`);
  }
  // A function, not `signal?.aborted`: TypeScript would keep the narrowing across awaits.
  const aborted = (): boolean => signal?.aborted === true;
  const cursor = new WatchCursor(fromRevision ?? (await deps.currentRevision(selector)) + 1);
  let endpoint = deps.pool.preferred;
  let failures = 0;
  for (;;) {
    if (aborted()) return;
    cursor.reconnect();
    const ended = yield* streamOnce(deps, endpoint, selector, cursor, signal);
    if (aborted()) return;
    failures = ended.healthy ? 1 : failures + 1;
    if (failures > deps.options.retries) throw withAttempts(ended.error, failures);
    endpoint = deps.pool.next(endpoint, ended.error.leader);
    try {
      await sleep(deps.backoffMs(failures - 1), signal);
    } catch (error) {
      if (aborted()) return;
      throw error;
    }
  }
}

function watchPath(selector: WatchSelector, fromRevision: number): string {
  const query = new URLSearchParams(selector.kind === 'key' ? { key: selector.key } : { prefix: selector.prefix });
  query.set('fromRevision', String(fromRevision));
  return `/v1/watch?${query.toString()}`;
}

/** One connection: yields its new events; returns why it ended if a retry may help, throws if not. */
async function* streamOnce(deps: WatchDeps, endpoint: string, selector: WatchSelector, cursor: WatchCursor, signal: AbortSignal | undefined): AsyncGenerator<WatchEvent, Ended, undefined> {
  const controller = new AbortController();
  const combined = signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal]);
  let timer: NodeJS.Timeout | undefined;
  let timedOut: KeelClientError | undefined;
  const arm = (ms: number, error: KeelClientError): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = error;
      controller.abort();
    }, ms);
  };
  const failedWith = (error: unknown, healthy: boolean): Ended => ({ healthy, error: timedOut ?? networkFailure(endpoint, error).error });
  try {
    const { timeoutMs, watchIdleTimeoutMs } = deps.options;
    arm(timeoutMs, new KeelClientError('Timeout', `no answer from ${endpoint} within ${timeoutMs} ms`, { endpoint }));
    let response: Response;
    try {
      response = await fetch(`${endpoint}${watchPath(selector, cursor.resumeRevision)}`, { headers: { accept: 'text/event-stream' }, signal: combined, redirect: 'manual' });
      if (response.status !== 200) {
        const error = errorFromResponse(response.status, await response.text(), endpoint);
        if (!error.retryable) throw error;
        return { healthy: false, error };
      }
    } catch (error) {
      if (error instanceof KeelClientError) throw error;
      return failedWith(error, false);
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (response.body === null || !contentType.startsWith('text/event-stream')) {
      throw new KeelClientError('Internal', `watch answer from ${endpoint} is not an event stream (content-type ${JSON.stringify(contentType)})`, { endpoint });
    }
    deps.pool.succeeded(endpoint);
    const reader: ChunkReader = response.body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    let healthy = false;
    for (;;) {
      arm(watchIdleTimeoutMs, new KeelClientError('Timeout', `watch stream from ${endpoint} silent for ${watchIdleTimeoutMs} ms`, { endpoint }));
      let chunk: Uint8Array | undefined;
      try {
        chunk = await readChunk(reader);
      } catch (error) {
        if (error instanceof KeelClientError) throw error;
        return failedWith(error, healthy);
      }
      // The idle clock stops while the consumer handles events.
      clearTimeout(timer);
      if (chunk === undefined) return { healthy, error: new KeelClientError('Network', `watch stream from ${endpoint} ended`, { endpoint }) };
      healthy = true;
      for (const sse of parser.push(decoder.decode(chunk, { stream: true }))) {
        const event = interpret(sse, endpoint, cursor);
        if (event !== undefined && cursor.accept(event)) yield event;
      }
    }
  } finally {
    clearTimeout(timer);
    controller.abort(); // closes the connection when the consumer stops early
  }
}

function interpret(sse: SseEvent, endpoint: string, cursor: WatchCursor): WatchEvent | undefined {
  switch (sse.event) {
    case 'put':
    case 'delete': {
      const event = expectShape<WatchEvent>(parseData(sse, endpoint), `${sse.event} event`, { type: 'string', key: 'string', revision: 'number' }, endpoint);
      if (event.type !== sse.event || !Number.isSafeInteger(event.revision) || event.revision < 1) {
        throw new KeelClientError('Internal', `malformed ${sse.event} event from ${endpoint}: ${sse.data.slice(0, 200)}`, { endpoint });
      }
      if (event.type === 'put') expectShape(event.kv, 'put event kv', { key: 'string', value: 'string', modRevision: 'number' }, endpoint);
      return event;
    }
    case 'compacted': {
      const { compactRevision } = expectShape<{ compactRevision: number }>(parseData(sse, endpoint), 'compacted event', { compactRevision: 'number' }, endpoint);
      throw new KeelClientError('Compacted', `revision ${cursor.resumeRevision} is compacted; the oldest revision available is ${compactRevision}`, { endpoint, compactRevision });
    }
    default:
      // Event kinds this client does not know: a newer server may add some; they carry no change.
      return undefined;
  }
}

function parseData(sse: SseEvent, endpoint: string): unknown {
  try {
    return JSON.parse(sse.data);
  } catch (error) {
    throw new KeelClientError('Internal', `malformed ${sse.event} event from ${endpoint}: data is not JSON`, { endpoint, cause: error });
  }
}
