/**
 * One server-sent event stream from one endpoint (job events, a worker's lease stream): yields
 * parsed events until the stream ends, and throws a KeelClientError for an error answer, a
 * network failure, or silence longer than `idleTimeoutMs` (servers ping every 15 s).
 */
import { readChunk, type ChunkReader } from './body.js';
import { networkFailure } from './caller.js';
import { errorFromResponse, KeelClientError } from './errors.js';
import { SseParser, type SseEvent } from './sse.js';

export interface EventStreamOptions {
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly signal?: AbortSignal;
}

export async function* eventStream(endpoint: string, path: string, options: EventStreamOptions): AsyncGenerator<SseEvent, void, undefined> {
  const controller = new AbortController();
  const signal = options.signal === undefined ? controller.signal : AbortSignal.any([options.signal, controller.signal]);
  let timer: NodeJS.Timeout | undefined;
  let timedOut: KeelClientError | undefined;
  const arm = (ms: number, message: string): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = new KeelClientError('Timeout', message, { endpoint });
      controller.abort();
    }, ms);
  };
  const fail = (error: unknown): KeelClientError => timedOut ?? (error instanceof KeelClientError ? error : networkFailure(endpoint, error).error);
  try {
    arm(options.connectTimeoutMs, `no answer from ${endpoint} within ${options.connectTimeoutMs} ms`);
    let response: Response;
    try {
      response = await fetch(`${endpoint}${path}`, { headers: { accept: 'text/event-stream' }, signal, redirect: 'manual' });
    } catch (error) {
      throw fail(error);
    }
    if (response.status !== 200) throw errorFromResponse(response.status, await response.text(), endpoint);
    const contentType = response.headers.get('content-type') ?? '';
    if (response.body === null || !contentType.startsWith('text/event-stream')) {
      throw new KeelClientError('Internal', `answer from ${endpoint}${path} is not an event stream (content-type ${JSON.stringify(contentType)})`, { endpoint });
    }
    const reader: ChunkReader = response.body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    for (;;) {
      arm(options.idleTimeoutMs, `event stream from ${endpoint} silent for ${options.idleTimeoutMs} ms`);
      let chunk: Uint8Array | undefined;
      try {
        chunk = await readChunk(reader);
      } catch (error) {
        throw fail(error);
      }
      clearTimeout(timer);
      if (chunk === undefined) return;
      yield* parser.push(decoder.decode(chunk, { stream: true }));
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** The JSON `data` of an event, or a clear error naming the event. */
export function eventData(event: SseEvent, endpoint: string): unknown {
  try {
    return JSON.parse(event.data);
  } catch {
    throw new KeelClientError('Internal', `malformed ${event.event} event from ${endpoint}: ${event.data.slice(0, 200)}`, { endpoint });
  }
}
