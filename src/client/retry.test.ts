import { describe, expect, it } from 'vitest';
import { backoffDelayMs, sleep } from './backoff.js';
import { mayRetry, networkFailure } from './caller.js';
import { EndpointPool } from './endpoints.js';
import { KeelClientError } from './errors.js';

describe('backoffDelayMs', () => {
  it('draws uniformly below a cap that doubles up to the maximum', () => {
    expect([0, 1, 2, 3, 10].map((i) => backoffDelayMs(i, 50, 1_000, () => 0.999_999))).toEqual([49, 99, 199, 399, 999]);
    expect(backoffDelayMs(5, 50, 1_000, () => 0)).toBe(0);
    expect(backoffDelayMs(1_000, 50, 1_000, () => 0.5)).toBe(500);
  });

  it('sleep rejects at once when aborted', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});

describe('mayRetry', () => {
  const failure = (code: ConstructorParameters<typeof KeelClientError>[0], unsent = false) => ({ error: new KeelClientError(code, 'x'), unsent });

  it('retries idempotent requests after any retryable failure', () => {
    for (const code of ['NotLeader', 'Unavailable', 'ShuttingDown', 'Timeout', 'Network'] as const) expect(mayRetry(failure(code), 'idempotent')).toBe(true);
    for (const code of ['BadRequest', 'NotFound', 'Conflict', 'Compacted', 'TooLarge', 'Internal'] as const) expect(mayRetry(failure(code), 'idempotent')).toBe(false);
  });

  it('retries a write without a session only when it surely had no effect', () => {
    expect(mayRetry(failure('Network', true), 'unsent')).toBe(true);
    expect(mayRetry(failure('NotLeader'), 'unsent')).toBe(true);
    expect(mayRetry(failure('Network', false), 'unsent')).toBe(false);
    expect(mayRetry(failure('Timeout'), 'unsent')).toBe(false);
  });

  it('counts a refused connection as unsent and a reset one as maybe sent', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
    const reset = new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    expect(networkFailure('http://x', refused)).toMatchObject({ unsent: true, error: { code: 'Network', message: 'cannot reach http://x: connect ECONNREFUSED 127.0.0.1:1' } });
    expect(networkFailure('http://x', reset).unsent).toBe(false);
    const aggregate = new TypeError('fetch failed', { cause: Object.assign(new AggregateError([Object.assign(new Error(''), { code: 'ECONNREFUSED' })], ''), { code: 'ECONNREFUSED' }) });
    expect(networkFailure('http://x', aggregate)).toMatchObject({ unsent: true, error: { message: 'cannot reach http://x: ECONNREFUSED' } });
  });
});

describe('EndpointPool', () => {
  it('goes round the list from the endpoint that failed, and prefers a known leader', () => {
    const pool = new EndpointPool(['http://a', 'http://b', 'http://c']);
    expect(pool.next('http://a')).toBe('http://b');
    expect(pool.next('http://c')).toBe('http://a');
    expect(pool.next('http://a', 'n9')).toBe('http://b');
    pool.learn([{ id: 'n3', httpAddress: 'c' }, { id: 'n4', httpAddress: null }, { id: 'n5', httpAddress: 'http://d:1' }]);
    expect(pool.next('http://a', 'n3')).toBe('http://c');
    expect(pool.next('http://c', 'n3')).toBe('http://a');
    // A leader outside the configured list is used, and the round continues after it from the last good one.
    expect(pool.next('http://a', 'n5')).toBe('http://d:1');
    pool.succeeded('http://b');
    expect(pool.next('http://d:1')).toBe('http://c');
  });
});
