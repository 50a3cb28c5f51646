import { afterEach, describe, expect, it } from 'vitest';
import { KeelClient, KeelClientError, type KeelClientOptions } from './index.js';
import { FakeServers, refusedEndpoint, sendError, sendJson } from './fake-server.test-kit.js';

const servers = new FakeServers();
afterEach(() => servers.closeAll());

/** Fast retries so the tests do not wait on real backoff. */
const fast = (endpoints: string[], extra: Partial<KeelClientOptions> = {}): KeelClient =>
  new KeelClient({ endpoints, backoffBaseMs: 1, backoffMaxMs: 5, timeoutMs: 2_000, ...extra });

async function caught(promise: Promise<unknown>): Promise<KeelClientError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(KeelClientError);
  return error as KeelClientError;
}

describe('KeelClient requests', () => {
  it('sends a put as the raw body with the session headers, a fresh seq per write, none on reads', async () => {
    const server = await servers.start((request, response) => {
      if (request.method === 'GET') sendJson(response, 200, { revision: 3, kvs: [], more: false });
      else sendJson(response, 200, { revision: 7, deleted: true });
    });
    const client = fast([server.url]);
    expect(await client.put('a/b c', 'héllo', { lease: 'L1' })).toEqual({ revision: 7, deleted: true });
    await client.list('a/', { limit: 10, consistency: 'serializable' });
    await client.delete('a/b c');

    const [put, list, del] = server.requests;
    expect(put).toMatchObject({ method: 'PUT', path: '/v1/kv/a%2Fb%20c', body: 'héllo' });
    expect(put!.query.get('lease')).toBe('L1');
    expect(put!.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(put!.headers['keel-client-id']).toBe(client.clientId);
    expect(client.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(put!.headers['keel-seq']).toBe('1');
    expect(list).toMatchObject({ method: 'GET', path: '/v1/kv' });
    expect(Object.fromEntries(list!.query)).toEqual({ prefix: 'a/', limit: '10', consistency: 'serializable' });
    expect(list!.headers['keel-seq']).toBeUndefined();
    expect(del).toMatchObject({ method: 'DELETE', path: '/v1/kv/a%2Fb%20c' });
    expect(del!.headers['keel-seq']).toBe('2');
  });

  it('retries a write with the same seq, so the server can apply it once', async () => {
    let calls = 0;
    const server = await servers.start((request, response) => {
      calls++;
      if (calls <= 2) sendError(response, 'Unavailable', 'no leader yet');
      else sendJson(response, 200, { succeeded: true, revision: 5, value: 'v' });
    });
    const client = fast([server.url]);
    await client.cas('k', null, 'v');
    await client.cas('k', 'v', 'w');
    const seqs = server.requests.map((r) => r.headers['keel-seq']);
    expect(seqs).toEqual(['1', '1', '1', '2']);
    expect(new Set(server.requests.map((r) => r.headers['keel-client-id'])).size).toBe(1);
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ expect: null, value: 'v' });
  });

  it('sends writes one at a time: a second write waits for the first to settle', async () => {
    const events: string[] = [];
    const server = await servers.start((request, response) => {
      const seq = String(request.headers['keel-seq']);
      events.push(`start ${seq}`);
      setTimeout(() => {
        events.push(`end ${seq}`);
        sendJson(response, 200, { revision: Number(seq) });
      }, 30);
    });
    const client = fast([server.url]);
    await Promise.all([client.put('a', '1'), client.put('b', '2'), client.put('c', '3')]);
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('fails over to the next endpoint when the first refuses connections, then stays there', async () => {
    const good = await servers.start((_request, response) => sendJson(response, 200, { revision: 1 }));
    const client = fast([await refusedEndpoint(), good.url]);
    await client.put('k', 'v');
    await client.put('k', 'w');
    expect(good.requests.map((r) => r.headers['keel-seq'])).toEqual(['1', '2']);
  });

  it('remembers the endpoint that worked', async () => {
    const first = await servers.start((_request, response) => sendError(response, 'ShuttingDown', 'bye'));
    const second = await servers.start((_request, response) => sendJson(response, 200, { revision: 2, kvs: [], more: false }));
    const client = fast([first.url, second.url]);
    await client.list('');
    await client.list('');
    expect(first.requests).toHaveLength(1);
    expect(second.requests).toHaveLength(2);
  });

  it('follows a NotLeader hint to the leader endpoint learned from cluster()', async () => {
    const leader = await servers.start((_request, response) => sendJson(response, 200, { revision: 9 }));
    const other = await servers.start((_request, response) => sendJson(response, 200, { revision: 9 }));
    const follower = await servers.start((request, response) => {
      if (request.path === '/v1/cluster') {
        sendJson(response, 200, {
          leaderId: 'n3', term: 2, members: [
            { id: 'n1', role: 'follower', httpAddress: follower.url.replace('http://', '') },
            { id: 'n3', role: 'leader', httpAddress: leader.url },
          ],
        });
      } else sendError(response, 'NotLeader', 'not the leader', 'n3');
    });
    const client = fast([follower.url, other.url, leader.url]);
    await client.cluster();
    await client.put('k', 'v');
    expect(other.requests).toHaveLength(0);
    expect(leader.requests).toHaveLength(1);
    // fetch's own resend after a 421 must carry the body intact (nodejs/undici#2898 with redirect 'error').
    const puts = follower.requests.filter((r) => r.method === 'PUT');
    expect(puts.length).toBeGreaterThan(0);
    for (const put of [...puts, leader.requests[0]!]) expect([put.body, put.headers['keel-seq']]).toEqual(['v', '1']);
  });

  it('returns null for a missing key', async () => {
    const server = await servers.start((_request, response) => sendError(response, 'NotFound', 'no such key'));
    expect(await fast([server.url]).get('missing')).toBeNull();
    expect(server.requests).toHaveLength(1);
  });

  it('returns a found key, with the consistency asked for', async () => {
    const kv = { key: 'k', value: 'v', revision: 4, createRevision: 2, modRevision: 3, version: 2 };
    const server = await servers.start((_request, response) => sendJson(response, 200, kv));
    expect(await fast([server.url]).get('k', { consistency: 'serializable' })).toEqual(kv);
    expect(server.requests[0]!.query.get('consistency')).toBe('serializable');
  });

  it('turns an error body into a typed error and does not retry a 4xx', async () => {
    const server = await servers.start((_request, response) => sendError(response, 'Conflict', 'lease L9 does not exist'));
    const error = await caught(fast([server.url, server.url.replace('127.0.0.1', 'localhost')]).put('k', 'v', { lease: 'L9' }));
    expect(error).toMatchObject({ code: 'Conflict', status: 409, message: 'lease L9 does not exist', retryable: false, endpoint: server.url });
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a 400', async () => {
    const server = await servers.start((_request, response) => sendError(response, 'BadRequest', 'key too long'));
    const other = await servers.start((_request, response) => sendJson(response, 200, { revision: 1 }));
    const error = await caught(fast([server.url, other.url]).put('k', 'v'));
    expect(error.code).toBe('BadRequest');
    expect(server.requests).toHaveLength(1);
    expect(other.requests).toHaveLength(0);
  });

  it('maps a body that is not an error body by its status', async () => {
    const server = await servers.start((_request, response) => {
      response.writeHead(502, { 'content-type': 'text/html' });
      response.end('<h1>Bad Gateway</h1>');
    });
    const error = await caught(fast([server.url]).leases());
    expect(error).toMatchObject({ code: 'Internal', status: 502 });
    expect(error.message).toContain('Bad Gateway');
  });

  it('gives up after the retries with the last error, its leader hint and the attempt count', async () => {
    const server = await servers.start((_request, response) => sendError(response, 'NotLeader', 'election in progress', 'n2'));
    const error = await caught(fast([server.url], { retries: 2 }).get('k'));
    expect(error).toMatchObject({ code: 'NotLeader', leader: 'n2', status: 421, retryable: true });
    expect(error.message).toBe('election in progress (gave up after 3 attempts)');
    // fetch itself resends a request answered 421 once, on a new connection (Fetch standard).
    expect(server.requests).toHaveLength(6);
  });

  it('reports Network when no endpoint can be reached', async () => {
    const error = await caught(fast([await refusedEndpoint()], { retries: 1 }).get('k'));
    expect(error.code).toBe('Network');
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('times out an attempt and tries the next endpoint', async () => {
    const hanging = await servers.start(() => undefined);
    const good = await servers.start((_request, response) => sendJson(response, 200, { revision: 1, kvs: [], more: false }));
    const alone = await caught(fast([hanging.url], { timeoutMs: 100, retries: 0 }).list('p'));
    expect(alone).toMatchObject({ code: 'Timeout', endpoint: hanging.url });
    expect(alone.message).toContain('within 100 ms');
    const started = performance.now();
    await fast([hanging.url, good.url], { timeoutMs: 100, retries: 1 }).list('p');
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(good.requests).toHaveLength(1);
  });

  it('does not resend a membership change whose first attempt may have been applied', async () => {
    const slow = await servers.start(() => undefined);
    const other = await servers.start((_request, response) => sendJson(response, 200, {}));
    const client = fast([slow.url, other.url], { timeoutMs: 100 });
    const error = await caught(client.addMember({ id: 'n4', peerAddress: '127.0.0.1:7004' }));
    expect(error.code).toBe('Timeout');
    expect(other.requests).toHaveLength(0);
    // A refused connection had no effect: that one is retried elsewhere.
    const refusing = fast([await refusedEndpoint(), other.url]);
    await refusing.removeMember('n4');
    expect(other.requests[0]).toMatchObject({ method: 'DELETE', path: '/v1/cluster/members/n4' });
  });

  it('reads a node health from one endpoint, 503 included', async () => {
    const sick = await servers.start((_request, response) => sendJson(response, 503, { ok: false, id: 'n2', role: 'follower', leaderId: null, term: 3, appliedIndex: 10, reason: 'no leader' }));
    const client = fast([await refusedEndpoint()]);
    expect(await client.health(sick.url)).toMatchObject({ ok: false, reason: 'no leader' });
    expect(sick.requests[0]!.path).toBe('/healthz');
  });

  it('covers leases, txn and leader transfer', async () => {
    const server = await servers.start((request, response) => {
      if (request.path === '/v1/leases' && request.method === 'POST') sendJson(response, 200, { id: 'L1', ttlMs: 1000 });
      else if (request.path === '/v1/leases/L1/keepalive') sendJson(response, 200, { id: 'L1', ttlMs: 1000 });
      else if (request.path === '/v1/leases/L1') sendJson(response, 200, { revision: 8, deletedKeys: 2 });
      else if (request.path === '/v1/txn') sendJson(response, 200, { succeeded: false, revision: 8, results: [] });
      else if (request.path === '/v1/cluster/leader') sendJson(response, 200, { leaderId: 'n2' });
      else sendError(response, 'NotFound', 'no route');
    });
    const client = fast([server.url]);
    expect(await client.leaseGrant(1000)).toEqual({ id: 'L1', ttlMs: 1000 });
    await client.leaseKeepAlive('L1');
    expect(await client.leaseRevoke('L1')).toEqual({ revision: 8, deletedKeys: 2 });
    await client.txn({ compare: [{ key: 'k', target: 'version', op: '=', value: 0 }], success: [{ op: 'put', key: 'k', value: 'v' }] });
    expect(await client.transferLeader('n2')).toEqual({ leaderId: 'n2' });
    expect(server.requests.map((r) => r.headers['keel-seq'])).toEqual(['1', '2', '3', '4', undefined]);
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ ttlMs: 1000 });
    expect(JSON.parse(server.requests[4]!.body)).toEqual({ to: 'n2' });
  });

  it('rejects a malformed answer instead of passing it on', async () => {
    const server = await servers.start((_request, response) => sendJson(response, 200, { revision: 'seven' }));
    const error = await caught(fast([server.url]).put('k', 'v'));
    expect(error.code).toBe('Internal');
    expect(error.message).toContain('field revision is not number');
  });

  it('checks arguments before sending, without using a seq', async () => {
    const server = await servers.start((_request, response) => sendJson(response, 200, { revision: 1 }));
    const client = fast([server.url]);
    expect((await caught(client.put('', 'v'))).code).toBe('BadRequest');
    expect((await caught(client.leaseGrant(0))).code).toBe('BadRequest');
    await client.put('k', 'v');
    expect(server.requests.map((r) => r.headers['keel-seq'])).toEqual(['1']);
  });
});

describe('KeelClient options', () => {
  it('lists every problem at once', () => {
    const build = (): KeelClient => new KeelClient({ endpoints: ['ftp://x', 'http://a:1', 'a:1'], retries: -1, timeoutMs: 1.5, extra: true } as unknown as KeelClientOptions);
    expect(build).toThrow(KeelClientError);
    const message = (() => {
      try {
        build();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const part of ['unknown option "extra"', 'ftp://x', 'listed twice', 'timeoutMs', 'retries']) expect(message).toContain(part);
  });

  it('rejects an empty endpoint list and accepts bare host:port', () => {
    expect(() => new KeelClient({ endpoints: [] })).toThrow(/endpoints must be a non-empty array/);
    expect(() => new KeelClient({ endpoints: ['127.0.0.1:8001/'] })).not.toThrow();
    expect(new KeelClient({ endpoints: ['x:1'], clientId: 'me' }).clientId).toBe('me');
  });
});
