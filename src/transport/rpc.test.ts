import { Buffer } from 'node:buffer';
import { afterEach, describe, expect, it } from 'vitest';
import { KeelError } from '../core/errors.js';
import type { TcpTransport } from './tcp-transport.js';
import { Harness, sleep, waitFor } from './transport.test-kit.js';

const harness = new Harness();
afterEach(() => harness.close());

const text = (s: string): Uint8Array => Buffer.from(s);
const read = (b: Uint8Array): string => Buffer.from(b).toString();

async function pair(overrides = {}): Promise<[TcpTransport, TcpTransport]> {
  const [n1, n2] = await harness.cluster(['n1', 'n2'], overrides);
  await waitFor(() => n1!.connectedPeers().length === 1 && n2!.connectedPeers().length === 1, 'connected');
  return [n1!, n2!];
}

/** A handler that never answers, counting its calls. */
function hanging(calls: { count: number }) {
  return () => {
    calls.count++;
    return new Promise<Uint8Array>(() => undefined);
  };
}

describe('TcpTransport RPC', () => {
  it('calls a handler in both directions and matches each response to its request', async () => {
    const [n1, n2] = await pair();
    n1.handle('echo', (from, body) => Promise.resolve(text(`${from}:${read(body)}@n1`)));
    n2.handle('echo', async (from, body) => {
      await sleep(Number(read(body)) % 7); // answers out of order
      return text(`${from}:${read(body)}@n2`);
    });
    const calls = Array.from({ length: 50 }, (_, i) => n1.request('n2', 'echo', text(String(i))));
    expect((await Promise.all(calls)).map(read)).toEqual(Array.from({ length: 50 }, (_, i) => `n1:${i}@n2`));
    expect(read(await n2.request('n1', 'echo', text('back')))).toBe('n2:back@n1');
  });

  it('carries a remote KeelError back with its code, message, retryable flag and data', async () => {
    const [n1, n2] = await pair();
    n2.handle('put', () => Promise.reject(new KeelError('NOT_LEADER', 'n2 is not the leader', { retryable: true, data: { leader: 'n3' } })));
    await expect(n1.request('n2', 'put', text('x'))).rejects.toMatchObject({ name: 'KeelError', code: 'NOT_LEADER', message: 'n2 is not the leader', retryable: true, data: { leader: 'n3' } });
  });

  it('turns a thrown non-KeelError into INTERNAL and a non-bytes result too', async () => {
    const [n1, n2] = await pair();
    n2.handle('boom', () => {
      throw new TypeError('handler bug');
    });
    n2.handle('wrong', () => Promise.resolve('not bytes' as unknown as Uint8Array));
    await expect(n1.request('n2', 'boom', text(''))).rejects.toMatchObject({ code: 'INTERNAL', message: 'handler bug' });
    await expect(n1.request('n2', 'wrong', text(''))).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('answers an unknown method with BAD_REQUEST naming the method', async () => {
    const [n1] = await pair();
    await expect(n1.request('n2', 'frobnicate', text(''))).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'unknown RPC method "frobnicate" at n2', data: { method: 'frobnicate' } });
  });

  it('times out each attempt, retries with backoff, then fails with TIMEOUT', async () => {
    const [n1, n2] = await pair({ rpcRetryBaseMs: 20, rpcRetryCapMs: 40 });
    const calls = { count: 0 };
    n2.handle('slow', hanging(calls));
    const started = performance.now();
    await expect(n1.request('n2', 'slow', text(''), { timeoutMs: 100, retries: 2 })).rejects.toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(calls.count).toBe(3);
    expect(n1.stats.rpcTimeouts).toBe(3);
    expect(n1.stats.rpcRetries).toBe(2);
  });

  it('retries a retryable UNAVAILABLE from the remote and succeeds', async () => {
    const [n1, n2] = await pair({ rpcRetryBaseMs: 5, rpcRetryCapMs: 10 });
    let calls = 0;
    n2.handle('flaky', () => (++calls < 3 ? Promise.reject(new KeelError('UNAVAILABLE', 'busy', { retryable: true })) : Promise.resolve(text('ok'))));
    expect(read(await n1.request('n2', 'flaky', text(''), { retries: 3 }))).toBe('ok');
    expect(calls).toBe(3);
  });

  it('does not retry an error that is not transient', async () => {
    const [n1, n2] = await pair();
    let calls = 0;
    n2.handle('conflict', () => {
      calls++;
      return Promise.reject(new KeelError('CONFLICT', 'no'));
    });
    await expect(n1.request('n2', 'conflict', text(''), { retries: 3 })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(calls).toBe(1);
  });

  it('fails pending requests fast with UNAVAILABLE when the connection drops', async () => {
    const [n1, n2] = await pair();
    const calls = { count: 0 };
    n2.handle('slow', hanging(calls));
    const pending = n1.request('n2', 'slow', text(''), { timeoutMs: 30_000 });
    await waitFor(() => calls.count === 1, 'request arrived');
    const started = performance.now();
    await n2.close();
    await expect(pending).rejects.toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('fails at once with UNAVAILABLE when the peer is not connected', async () => {
    const n1 = await harness.start('n1');
    n1.setPeer('n2', '127.0.0.1:9');
    await expect(n1.request('n2', 'echo', text(''))).rejects.toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    await expect(n1.request('n7', 'echo', text(''))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('rejects pending requests and retry waits with SHUTTING_DOWN on close', async () => {
    const [n1, n2] = await pair({ rpcRetryBaseMs: 10_000, rpcRetryCapMs: 10_000 });
    const calls = { count: 0 };
    n2.handle('slow', hanging(calls));
    n2.handle('busy', () => Promise.reject(new KeelError('UNAVAILABLE', 'busy', { retryable: true })));
    const pending = n1.request('n2', 'slow', text(''));
    const waiting = n1.request('n2', 'busy', text(''), { retries: 1 });
    await waitFor(() => calls.count === 1 && n1.stats.rpcRetries === 1, 'one pending, one waiting to retry');
    await n1.close();
    await expect(pending).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    await expect(waiting).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
  });

  it('refuses requests beyond rpcInflightMax at the server with a retryable UNAVAILABLE', async () => {
    const [n1, n2] = await pair({ rpcInflightMax: 1 });
    const calls = { count: 0 };
    n2.handle('slow', hanging(calls));
    void n1.request('n2', 'slow', text(''), { timeoutMs: 30_000 }).catch(() => undefined);
    await waitFor(() => calls.count === 1, 'first in flight');
    await expect(n1.request('n2', 'slow', text(''))).rejects.toMatchObject({ code: 'UNAVAILABLE', retryable: true });
  });

  it('refuses a request or response larger than a frame with TOO_LARGE, and bad call options with BAD_REQUEST', async () => {
    const [n1, n2] = await pair({ frameSizeBytesMax: 8192, queueSizeBytesMax: 8192 });
    n2.handle('big', () => Promise.resolve(new Uint8Array(10_000)));
    await expect(n1.request('n2', 'big', new Uint8Array(10_000))).rejects.toMatchObject({ code: 'TOO_LARGE' });
    await expect(n1.request('n2', 'big', text(''))).rejects.toMatchObject({ code: 'TOO_LARGE' });
    await expect(n1.request('n2', 'big', text(''), { retries: -1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(n1.request('n2', '', text(''))).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(n1.request('n2', 'big', text(''), { timeoutMs: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
