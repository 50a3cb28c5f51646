/**
 * The KV surface end to end through the TypeScript client against three real nodes: ranges,
 * transactions, leases (expiry decided by the leader, also across a leader change) and watches.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KeelClient, type WatchEvent } from '../src/client/index.js';
import { TestCluster } from './server.test-kit.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

function clientFor(c: TestCluster, ids = ['n1', 'n2', 'n3']): KeelClient {
  return new KeelClient({ endpoints: ids.map((id) => c.url(id, '')), timeoutMs: 3_000, retries: 10 });
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

describe('KV service through the client (3 nodes in-process)', () => {
  it('ranges by prefix in key order with limits, and runs etcd-style transactions', async () => {
    cluster = await TestCluster.start(3);
    await cluster.leader();
    const client = clientFor(cluster);
    for (const k of ['app/b', 'app/a', 'app/c', 'other/x']) await client.put(k, k.toUpperCase());
    const all = await client.list('app/');
    expect(all.kvs.map((kv) => kv.key)).toEqual(['app/a', 'app/b', 'app/c']);
    const page = await client.list('app/', { limit: 2 });
    expect(page.kvs.map((kv) => kv.key)).toEqual(['app/a', 'app/b']);
    expect(page.more).toBe(true);

    const before = (await client.get('app/a'))!;
    const txn = await client.txn({
      compare: [{ key: 'app/a', target: 'modRevision', op: '=', value: before.modRevision }],
      success: [{ op: 'put', key: 'app/a', value: 'A2' }, { op: 'delete', key: 'app/c' }, { op: 'get', key: 'app/b' }],
      failure: [{ op: 'get', key: 'app/a' }],
    });
    expect(txn.succeeded).toBe(true);
    expect(txn.results[2]).toMatchObject({ op: 'get', kv: { key: 'app/b', value: 'APP/B' } });
    // Both writes of the transaction carry the same, single new revision.
    expect(txn.revision).toBe(before.revision + 1);
    expect((await client.get('app/a'))!.modRevision).toBe(txn.revision);
    expect(await client.get('app/c')).toBeNull();
    const stale = await client.txn({ compare: [{ key: 'app/a', target: 'modRevision', op: '=', value: before.modRevision }], success: [{ op: 'put', key: 'app/a', value: 'lost' }], failure: [{ op: 'get', key: 'app/a' }] });
    expect(stale.succeeded).toBe(false);
    expect(stale.results[0]).toMatchObject({ op: 'get', kv: { value: 'A2' } });
  }, 30_000);

  it('expires a lease on the leader\'s clock and deletes its keys everywhere; keep-alive holds it', async () => {
    cluster = await TestCluster.start(3);
    await cluster.leader();
    const client = clientFor(cluster);
    const short = await client.leaseGrant(600);
    const kept = await client.leaseGrant(600);
    await client.put('lock/short', 'holder-1', { lease: short.id });
    await client.put('lock/kept', 'holder-2', { lease: kept.id });
    expect((await client.get('lock/short'))!.lease).toBe(short.id);
    for (let i = 0; i < 8; i++) {
      await sleep(200);
      await client.leaseKeepAlive(kept.id);
    }
    expect(await client.get('lock/short')).toBeNull();
    expect((await client.get('lock/kept'))!.value).toBe('holder-2');
    const leases = await client.leases();
    expect(leases.leases.map((l) => l.id)).toEqual([kept.id]);
    const revoked = await client.leaseRevoke(kept.id);
    expect(revoked.deletedKeys).toBe(1);
    expect(await client.get('lock/kept')).toBeNull();
  }, 30_000);

  it('a new leader takes over lease expiry (leases never expire early, and do expire)', async () => {
    cluster = await TestCluster.start(3);
    const leader = await cluster.leader();
    const client = clientFor(cluster);
    const lease = await client.leaseGrant(1_500);
    await client.put('session/x', 'alive', { lease: lease.id });
    await cluster.stopNode(leader);
    const survivors = ['n1', 'n2', 'n3'].filter((id) => id !== leader);
    const next = await cluster.leader();
    const survivorClient = clientFor(cluster, survivors);
    // The new leader restarts the lease's full TTL: still there shortly after the change.
    expect((await survivorClient.get('session/x'))?.value).toBe('alive');
    const remaining = cluster.nodes.get(next)!.lessor.remainingMs(lease.id);
    expect(remaining).toBeGreaterThan(0);
    await sleep(2_500);
    expect(await survivorClient.get('session/x')).toBeNull();
  }, 30_000);

  it('streams watch events from a past revision and then live ones, in revision order', async () => {
    cluster = await TestCluster.start(3);
    await cluster.leader();
    const client = clientFor(cluster);
    const first = await client.put('cfg/a', '1');
    await client.put('cfg/b', '2');
    await client.put('elsewhere', 'x');
    const seen: WatchEvent[] = [];
    const controller = new AbortController();
    const watching = (async () => {
      for await (const event of client.watch({ prefix: 'cfg/', fromRevision: first.revision, signal: controller.signal })) {
        seen.push(event);
        if (seen.length === 4) controller.abort();
      }
    })().catch((error: unknown) => {
      if (!controller.signal.aborted) throw error;
    });
    await sleep(300);
    await client.put('cfg/a', '3');
    await client.delete('cfg/b');
    await watching;
    expect(seen.map((e) => `${e.type} ${e.key}`)).toEqual(['put cfg/a', 'put cfg/b', 'put cfg/a', 'delete cfg/b']);
    expect(seen[2]!.kv?.value).toBe('3');
    const revisions = seen.map((e) => e.revision);
    expect([...revisions].sort((a, b) => a - b)).toEqual(revisions);
  }, 30_000);

  it('rejects malformed watch requests with a JSON 400', async () => {
    cluster = await TestCluster.start(3);
    await cluster.leader();
    const response = await fetch(cluster.url('n1', '/v1/watch?prefix=&fromRevision=0'));
    expect(response.status).toBe(400);
    const bad = await fetch(cluster.url('n1', '/v1/watch?key=a&prefix=b'));
    expect(bad.status).toBe(400);
  }, 30_000);
});

describe('membership through the API', () => {
  it('adds a joining node as a learner, promotes it once caught up, then removes it', async () => {
    cluster = await TestCluster.start(3);
    await cluster.leader();
    const client = clientFor(cluster);
    for (let i = 0; i < 30; i++) await client.put(`m/${i}`, String(i));
    const joiner = await cluster.startJoiner('n4');
    await client.addMember({ id: 'n4', peerAddress: joiner.peer, httpAddress: joiner.http });
    const view = await client.cluster();
    expect(view.members.find((m) => m.id === 'n4')).toMatchObject({ voter: true });
    expect(joiner.running.node.raft.membership.voters).toContain('n4');
    // The new voter holds the data written before it joined.
    const local = new KeelClient({ endpoints: [`http://${joiner.http}`], timeoutMs: 3_000, retries: 10 });
    expect((await local.get('m/7', { consistency: 'serializable' }))?.value).toBe('7');
    await client.removeMember('n4');
    const after = await client.cluster();
    expect(after.members.map((m) => m.id).sort()).toEqual(['n1', 'n2', 'n3']);
    await expect(client.removeMember('n9')).rejects.toMatchObject({ code: 'NotFound' });
  }, 40_000);
});
