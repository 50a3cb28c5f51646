import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeServers, refusedEndpoint, sendError, sendJson, startSse } from '../../client/fake-server.test-kit.js';
import { registerClientCommands } from './index.js';
import { parseEndpoints, UsageError } from './common.js';

const servers = new FakeServers();
afterEach(async () => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  await servers.closeAll();
});

class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`);
  }
}

interface Run { readonly stdout: string; readonly stderr: string; readonly exitCode: number }

/** Runs `keel <args>` in process, capturing output and the exit code. */
async function keel(...args: string[]): Promise<Run> {
  const program = new Command().name('keel');
  registerClientCommands(program);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => stdout.push(String(chunk)) > 0);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => stderr.push(String(chunk)) > 0);
  vi.spyOn(process, 'exit').mockImplementation((code?: string | number | null) => {
    throw new ExitCalled(Number(code ?? 0));
  });
  process.exitCode = undefined;
  let exitCode: number;
  try {
    await program.parseAsync(['node', 'keel', ...args]);
    exitCode = Number(process.exitCode ?? 0);
  } catch (error) {
    if (!(error instanceof ExitCalled)) throw error;
    exitCode = error.code;
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
  return { stdout: stdout.join(''), stderr: stderr.join(''), exitCode };
}

const member = (id: string, role: string) => ({
  id, role, voter: true, term: 2, commitIndex: 10, appliedIndex: 10, lastHeartbeatMs: 5, healthy: true, peerAddress: '127.0.0.1:7001', httpAddress: null,
});

describe('keel client commands', () => {
  it('status prints the member table, or JSON', async () => {
    const cluster = { leaderId: 'n1', term: 2, members: [member('n1', 'leader'), member('n2', 'follower')] };
    const server = await servers.start((_request, response) => sendJson(response, 200, cluster));
    const table = await keel('status', '--endpoints', server.url);
    expect(table).toMatchObject({ exitCode: 0, stderr: '' });
    expect(table.stdout.split('\n').slice(0, 3)).toEqual([
      'leader n1, term 2, 2 members',
      'ID  ROLE      TERM  COMMIT  APPLIED  HEALTH  LAST-HEARTBEAT-MS',
      'n1  leader       2      10       10  ok                      5',
    ]);
    expect(JSON.parse((await keel('status', '--json', '--endpoints', server.url)).stdout)).toEqual(cluster);
  });

  it('kv put sends the value with a lease and prints the revision', async () => {
    const server = await servers.start((_request, response) => sendJson(response, 200, { revision: 12 }));
    const run = await keel('kv', 'put', 'greeting', 'hello world', '--lease', 'L7', '--endpoints', `${server.url}`);
    expect(run).toEqual({ stdout: 'revision 12\n', stderr: '', exitCode: 0 });
    expect(server.requests[0]).toMatchObject({ method: 'PUT', path: '/v1/kv/greeting', body: 'hello world' });
    expect(server.requests[0]!.query.get('lease')).toBe('L7');
    expect(server.requests[0]!.headers['keel-seq']).toBe('1');
  });

  it('kv get prints the raw value; a missing key is an error line and exit 1', async () => {
    const server = await servers.start((request, response) => {
      if (request.path === '/v1/kv/here') sendJson(response, 200, { key: 'here', value: 'v 1', revision: 3, createRevision: 2, modRevision: 3, version: 1 });
      else sendError(response, 'NotFound', 'no such key');
    });
    expect(await keel('kv', 'get', 'here', '--serializable', '--endpoints', server.url)).toEqual({ stdout: 'v 1\n', stderr: '', exitCode: 0 });
    expect(server.requests[0]!.query.get('consistency')).toBe('serializable');
    expect(JSON.parse((await keel('kv', 'get', 'here', '--json', '--endpoints', server.url)).stdout)).toMatchObject({ value: 'v 1', modRevision: 3 });
    expect(await keel('kv', 'get', 'gone', '--endpoints', server.url)).toEqual({ stdout: '', stderr: 'error: NotFound: key gone not found\n', exitCode: 1 });
  });

  it('prints a server error as one line and exits 1', async () => {
    const server = await servers.start((_request, response) => sendError(response, 'QuotaExceeded', 'the store is full\n(8 GiB)'));
    expect(await keel('kv', 'put', 'k', 'v', '--endpoints', server.url)).toEqual({ stdout: '', stderr: 'error: QuotaExceeded: the store is full (8 GiB)\n', exitCode: 1 });
  });

  it('reports an unreachable cluster as Network', async () => {
    const run = await keel('kv', 'del', 'k', '--endpoints', await refusedEndpoint(), '--timeout-ms', '500');
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^error: Network: cannot reach http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED.* \(gave up after 6 attempts\)\n$/);
  });

  it('kv del and kv list print one line per answer, and note a cut list', async () => {
    const server = await servers.start((request, response) => {
      if (request.method === 'DELETE') sendJson(response, 200, { revision: 4, deleted: false });
      else sendJson(response, 200, { revision: 4, more: true, kvs: [{ key: 'a/1', value: 'x', createRevision: 1, modRevision: 1, version: 1 }] });
    });
    expect((await keel('kv', 'del', 'a/9', '--endpoints', server.url)).stdout).toBe('not found (revision 4)\n');
    expect(await keel('kv', 'list', 'a/', '--limit', '1', '--endpoints', server.url)).toEqual({ stdout: 'a/1 x\n', stderr: '(more keys after these: raise --limit)\n', exitCode: 0 });
    expect(Object.fromEntries(server.requests[1]!.query)).toEqual({ prefix: 'a/', limit: '1' });
  });

  it('kv watch prints one line per event until the stream ends in error', async () => {
    const server = await servers.start((_request, response) => {
      startSse(response);
      const kv = { key: 'a', value: 'v', createRevision: 5, modRevision: 5, version: 1 };
      response.write(`event: put\nid: 5\ndata: ${JSON.stringify({ type: 'put', key: 'a', revision: 5, kv })}\n\n`);
      response.write(`event: delete\nid: 6\ndata: ${JSON.stringify({ type: 'delete', key: 'a', revision: 6 })}\n\n`);
      response.write('event: compacted\ndata: {"compactRevision":9}\n\n');
    });
    const run = await keel('kv', 'watch', 'a', '--from-revision', '5', '--endpoints', server.url);
    expect(run.stdout).toBe('5 put a v\n6 delete a\n');
    expect(run.stderr).toMatch(/^error: Compacted: /);
    expect(run.exitCode).toBe(1);
    expect(Object.fromEntries(server.requests[0]!.query)).toEqual({ prefix: 'a', fromRevision: '5' });
  });

  it('member add, member remove and leader transfer', async () => {
    const server = await servers.start((request, response) => {
      if (request.path === '/v1/cluster/leader') sendJson(response, 200, { leaderId: 'n2' });
      else sendJson(response, 200, {});
    });
    expect((await keel('member', 'add', 'n4', '127.0.0.1:7004', '--http', '127.0.0.1:8004', '--endpoints', server.url)).stdout).toBe('member n4 added\n');
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ id: 'n4', peerAddress: '127.0.0.1:7004', httpAddress: '127.0.0.1:8004' });
    expect((await keel('member', 'remove', 'n4', '--endpoints', server.url)).stdout).toBe('member n4 removed\n');
    expect(server.requests[1]).toMatchObject({ method: 'DELETE', path: '/v1/cluster/members/n4' });
    expect((await keel('leader', 'transfer', '--endpoints', server.url)).stdout).toBe('leader is n2\n');
    expect(JSON.parse(server.requests[2]!.body)).toEqual({});
  });

  it('exits 2 on bad usage', async () => {
    const missing = await keel('kv', 'get');
    expect(missing).toMatchObject({ exitCode: 2, stderr: "error: Usage: missing required argument 'key'\n" });
    expect((await keel('kv', 'list', '--limit', 'ten')).exitCode).toBe(2);
    expect(await keel('kv', 'get', 'k', '--endpoints', 'ftp://x')).toMatchObject({ exitCode: 2, stderr: 'error: Usage: --endpoints: endpoint "ftp://x" must use http or https\n' });
    expect((await keel('kv')).exitCode).toBe(2);
    expect((await keel('member', 'add', 'n4')).exitCode).toBe(2);
  });
});

describe('parseEndpoints', () => {
  it('normalizes, drops duplicates and empty items', () => {
    expect(parseEndpoints(' 127.0.0.1:8001, http://127.0.0.1:8001/ ,,https://h:9/')).toEqual(['http://127.0.0.1:8001', 'https://h:9']);
    expect(() => parseEndpoints(' , ')).toThrow(UsageError);
  });
});
