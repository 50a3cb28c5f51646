import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WatchEvent } from '../api/wire.js';
import { FakeServers, refusedEndpoint, sendError, sendJson, startSse } from './fake-server.test-kit.js';
import { KeelClient, KeelClientError, type KeelClientOptions } from './index.js';

const servers = new FakeServers();
afterEach(() => servers.closeAll());

const fast = (endpoints: string[], extra: Partial<KeelClientOptions> = {}): KeelClient =>
  new KeelClient({ endpoints, backoffBaseMs: 1, backoffMaxMs: 5, timeoutMs: 2_000, ...extra });

function put(key: string, value: string, revision: number): WatchEvent {
  return { type: 'put', key, revision, kv: { key, value, createRevision: revision, modRevision: revision, version: 1 } };
}

function frame(event: WatchEvent): string {
  return `event: ${event.type}\nid: ${event.revision}\ndata: ${JSON.stringify(event)}\n\n`;
}

async function take(iterable: AsyncIterable<WatchEvent>, count: number): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  for await (const event of iterable) {
    out.push(event);
    if (out.length === count) break;
  }
  return out;
}

async function caught(promise: Promise<unknown>): Promise<KeelClientError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(KeelClientError);
  return error as KeelClientError;
}

/** Writes the pieces with a pause between them, so each arrives as its own chunk. */
async function writeSlowly(response: ServerResponse, pieces: readonly (string | Buffer)[]): Promise<void> {
  for (const piece of pieces) {
    response.write(piece);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('KeelClient.watch', () => {
  it('parses events cut anywhere: mid-line, between CR and LF, inside a UTF-8 character; skips comments', async () => {
    const first = put('café', 'é', 5);
    const second: WatchEvent = { type: 'delete', key: 'café', revision: 6 };
    const bytes = Buffer.from(frame(first).replaceAll('\n', '\r\n'), 'utf8');
    const cut = bytes.indexOf(Buffer.from('é', 'utf8')) + 1; // inside the two bytes of é
    const crlf = bytes.indexOf('\r\n') + 1; // between CR and LF
    const server = await servers.start(async (_request, response) => {
      startSse(response);
      await writeSlowly(response, [': ping\n\n', bytes.subarray(0, crlf), bytes.subarray(crlf, cut), bytes.subarray(cut), 'event: del', `ete\nid: 6\ndata: ${JSON.stringify(second)}\n`, '\n']);
    });
    const events = await take(fast([server.url]).watch({ prefix: 'caf', fromRevision: 5 }), 2);
    expect(events).toEqual([first, second]);
    expect(Object.fromEntries(server.requests[0]!.query)).toEqual({ prefix: 'caf', fromRevision: '5' });
    expect(server.requests[0]!.headers.accept).toBe('text/event-stream');
  });

  it('reconnects to another endpoint from the last revision seen, without losing or repeating events', async () => {
    const events = [put('app/a', '1', 5), put('app/b', '2', 6), put('app/c', '3', 6), put('app/d', '4', 7)];
    const dropping = await servers.start(async (_request, response) => {
      startSse(response);
      // Revision 6 is a txn of two puts; the connection dies between them.
      await writeSlowly(response, [frame(events[0]!), frame(events[1]!)]);
      response.destroy();
    });
    const replaying = await servers.start((request, response) => {
      startSse(response);
      const from = Number(request.query.get('fromRevision'));
      response.write(events.filter((e) => e.revision >= from).map(frame).join(''));
    });
    // The deadline ends the watch quietly, so a lost event shows as a short list, not a hung test.
    const got = await take(fast([dropping.url, replaying.url]).watch({ prefix: 'app/', fromRevision: 5, signal: AbortSignal.timeout(3_000) }), 4);
    expect(got).toEqual(events);
    expect(Object.fromEntries(replaying.requests[0]!.query)).toEqual({ prefix: 'app/', fromRevision: '6' });
  });

  it('starts after the current revision when no fromRevision is given', async () => {
    const server = await servers.start((request, response) => {
      if (request.path === '/v1/kv') return sendJson(response, 200, { revision: 41, kvs: [], more: true });
      startSse(response);
      response.write(frame(put('k', 'v', 42)));
    });
    expect(await take(fast([server.url]).watch({ key: 'k' }), 1)).toEqual([put('k', 'v', 42)]);
    expect(Object.fromEntries(server.requests[0]!.query)).toEqual({ prefix: 'k', limit: '1' });
    expect(Object.fromEntries(server.requests[1]!.query)).toEqual({ key: 'k', fromRevision: '42' });
  });

  it('throws Compacted when the start revision is gone', async () => {
    const server = await servers.start((_request, response) => {
      startSse(response);
      response.write('event: compacted\ndata: {"compactRevision":90}\n\n');
    });
    const error = await caught(take(fast([server.url]).watch({ fromRevision: 3 }), 1));
    expect(error).toMatchObject({ code: 'Compacted', compactRevision: 90 });
    expect(error.message).toContain('revision 3 is compacted');
  });

  it('does not retry a refused watch', async () => {
    const server = await servers.start((_request, response) => sendError(response, 'BadRequest', 'fromRevision must be a positive integer'));
    const error = await caught(take(fast([server.url, server.url.replace('127.0.0.1', 'localhost')]).watch({ fromRevision: 1 }), 1));
    expect(error.code).toBe('BadRequest');
    expect(server.requests).toHaveLength(1);
  });

  it('replaces a connection that stays silent past the idle timeout', async () => {
    const silent = await servers.start((_request, response) => startSse(response));
    const live = await servers.start((_request, response) => {
      startSse(response);
      response.write(frame(put('k', 'v', 3)));
    });
    const got = await take(fast([silent.url, live.url], { watchIdleTimeoutMs: 100 }).watch({ fromRevision: 3 }), 1);
    expect(got).toEqual([put('k', 'v', 3)]);
    expect(silent.requests).toHaveLength(1);
  });

  it('gives up when no endpoint answers, after the retries', async () => {
    const error = await caught(take(fast([await refusedEndpoint()], { retries: 2 }).watch({ fromRevision: 1 }), 1));
    expect(error.code).toBe('Network');
    expect(error.message).toContain('gave up after 3 attempts');
  });

  it('ends quietly on abort, and closes the connection when the consumer stops', async () => {
    const server = await servers.start((_request, response) => {
      startSse(response);
      response.write(frame(put('k', 'v', 1)));
    });
    const controller = new AbortController();
    const seen: WatchEvent[] = [];
    for await (const event of fast([server.url]).watch({ fromRevision: 1, signal: controller.signal })) {
      seen.push(event);
      controller.abort();
    }
    expect(seen).toHaveLength(1);
    await vi.waitFor(() => expect(server.clientCloses).toBe(1));
    await take(fast([server.url]).watch({ fromRevision: 1 }), 1);
    await vi.waitFor(() => expect(server.clientCloses).toBe(2));
  });

  it('rejects a key and a prefix together', async () => {
    const error = await caught(take(fast(['127.0.0.1:1']).watch({ key: 'a', prefix: 'b' } as never), 1));
    expect(error.code).toBe('BadRequest');
  });
});
