/**
 * Three real nodes in this process (real WAL on disk, real TCP, real HTTP): the service end to
 * end. Crash-at-any-instant is tested with separate processes in cluster-process.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCommand } from '../src/kv/index.js';
import { TestCluster, http } from './server.test-kit.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('keel node service (3 nodes in-process)', () => {
  it('serves put, get, cas, delete on every node; followers forward writes to the leader', async () => {
    cluster = await TestCluster.start(3);
    const leader = await cluster.leader();
    const follower = ['n1', 'n2', 'n3'].find((id) => id !== leader)!;
    const put = await http('PUT', cluster.url(follower, '/v1/kv/app/config'), 'v1');
    expect(put.status).toBe(200);
    expect(put.json.revision).toBeGreaterThan(0);
    for (const id of ['n1', 'n2', 'n3']) {
      const got = await http('GET', cluster.url(id, '/v1/kv/app/config'));
      expect(got.json).toMatchObject({ key: 'app/config', value: 'v1', version: 1 });
    }
    const cas = await http('POST', cluster.url(follower, '/v1/kv/app/config/cas'), { expect: 'v1', value: 'v2' });
    expect(cas.json).toMatchObject({ succeeded: true, value: 'v2' });
    const casFail = await http('POST', cluster.url(leader, '/v1/kv/app/config/cas'), { expect: 'v1', value: 'v3' });
    expect(casFail.json).toMatchObject({ succeeded: false, value: 'v2' });
    const del = await http('DELETE', cluster.url(follower, '/v1/kv/app/config'));
    expect(del.json.deleted).toBe(true);
    const gone = await http('GET', cluster.url(follower, '/v1/kv/app/config'));
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe('NotFound');
  }, 30_000);

  it('applies a retried write once and returns the first result (Keel-Client-Id + Keel-Seq)', async () => {
    cluster = await TestCluster.start(3);
    await cluster.leader();
    const headers = { 'keel-client-id': 'c-42', 'keel-seq': '1' };
    const first = await http('PUT', cluster.url('n1', '/v1/kv/counter'), 'a', headers);
    const retry = await http('PUT', cluster.url('n2', '/v1/kv/counter'), 'a', headers);
    expect(retry.json.revision).toBe(first.json.revision);
    const got = await http('GET', cluster.url('n3', '/v1/kv/counter'));
    expect(got.json.version).toBe(1);
  }, 30_000);

  it('answers bad input with a JSON 4xx and keeps serving', async () => {
    cluster = await TestCluster.start(3);
    await cluster.leader();
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/v1/kv/k/cas', '{"expect": 1', 400, 'BadRequest'],
      ['POST', '/v1/kv/k/cas', { expect: 3, value: 'x' }, 400, 'BadRequest'],
      ['POST', '/v1/kv/k/cas', { expect: null, value: 'x', extra: true }, 400, 'BadRequest'],
      ['PUT', '/v1/kv/k', 'x'.repeat(3 * 1024 * 1024), 413, 'TooLarge'],
      ['GET', '/v1/kv/k?consistency=sometimes', undefined, 400, 'BadRequest'],
      ['GET', '/v1/nothing', undefined, 404, 'NotFound'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const headers: Record<string, string> = typeof body === 'string' && method === 'POST' ? { 'content-type': 'application/json' } : {};
      const response = await http(method, cluster.url('n2', path), body, headers);
      expect([path, response.status, response.json?.error?.code]).toEqual([path, status, code]);
    }
    const bad = await http('PUT', cluster.url('n1', '/v1/kv/k'), 'v', { 'keel-client-id': 'x', 'keel-seq': '-1' });
    expect(bad.status).toBe(400);
    const ok = await http('PUT', cluster.url('n1', '/v1/kv/k'), 'fine');
    expect(ok.status).toBe(200);
  }, 30_000);

  it('survives the leader stopping: a new leader is elected and nothing acknowledged is lost', async () => {
    cluster = await TestCluster.start(3, { snapshotEveryEntries: 50 });
    const leader = await cluster.leader();
    for (let i = 0; i < 120; i++) expect((await http('PUT', cluster.url(leader, `/v1/kv/k${i}`), `v${i}`)).status).toBe(200);
    await cluster.stopNode(leader);
    const next = await cluster.leader();
    expect(next).not.toBe(leader);
    for (let i = 0; i < 120; i += 7) expect((await http('GET', cluster.url(next, `/v1/kv/k${i}`))).json.value).toBe(`v${i}`);
    // The old leader restarts from its checkpoint plus WAL redo and catches up.
    const restarted = await cluster.startNode(leader);
    expect((await http('PUT', cluster.url(next, '/v1/kv/after'), 'restart')).status).toBe(200);
    await eventually(() => (restarted.node.raft.log.applied >= cluster!.nodes.get(next)!.node.raft.log.applied ? true : undefined));
    const local = await http('GET', cluster.url(leader, '/v1/kv/after?consistency=serializable'));
    expect(local.json.value).toBe('restart');
  }, 40_000);

  it('a graceful stop of the leader hands leadership over first', async () => {
    cluster = await TestCluster.start(3);
    const leader = await cluster.leader();
    const term = cluster.nodes.get(leader)!.node.raft.currentTerm;
    await cluster.stopNode(leader, true);
    const next = await cluster.leader();
    // A transfer elects in the next term directly (no pre-vote round, no timeout wait).
    expect(cluster.nodes.get(next)!.node.raft.currentTerm).toBe(term + 1);
  }, 30_000);

  it('detects a replica whose state diverged, takes it out of serving and rebuilds it from the leader', async () => {
    cluster = await TestCluster.start(3, { digestEveryEntries: 5, digestCheckMs: 200 });
    const leader = await cluster.leader();
    const victim = ['n1', 'n2', 'n3'].find((id) => id !== leader)!;
    for (let i = 0; i < 12; i++) await http('PUT', cluster.url(leader, `/v1/kv/d${i}`), 'x');
    // A non-deterministic apply on one replica: the next entry it applies becomes a write nobody made.
    const node = cluster.nodes.get(victim)!.node;
    const sm = node.stateMachine;
    const original = sm.apply.bind(sm);
    sm.apply = (entry) => {
      sm.apply = original;
      return original({ ...entry, command: encodeCommand({ command: { kind: 'put', key: 'evil', value: '!' } }) });
    };
    for (let i = 0; i < 10; i++) await http('PUT', cluster.url(leader, `/v1/kv/e${i}`), 'y');
    const leaderNode = cluster.nodes.get(leader)!;
    await eventually(() => (leaderNode.node.digests.mismatches > 0 ? true : undefined));
    expect(await leaderNode.metrics.registry.getSingleMetricAsString('keel_replica_divergence_total')).toMatch(/keel_replica_divergence_total [1-9]/);
    // Rebuilt from the leader's state: the forged key is gone and the digests agree again.
    await eventually(async () => {
      const r = await http('GET', cluster!.url(victim, '/v1/kv/evil?consistency=serializable'));
      return r.status === 404 && node.serving.serving ? true : undefined;
    });
    const before = leaderNode.node.digests.mismatches;
    for (let i = 0; i < 10; i++) await http('PUT', cluster.url(leader, `/v1/kv/f${i}`), 'z');
    await new Promise((r) => setTimeout(r, 600));
    expect(leaderNode.node.digests.mismatches).toBe(before);
    expect(leaderNode.node.digests.checks).toBeGreaterThan(0);
  }, 40_000);

  it('replicates task-engine commands through the same log, forwarded from any node, into every replica\'s task state', async () => {
    cluster = await TestCluster.start(3);
    const leader = await cluster.leader();
    const follower = cluster.nodes.get(['n1', 'n2', 'n3'].find((id) => id !== leader)!)!.node;
    const registered = await follower.writeTasks({ kind: 'registerWorker', workerId: 'w1', capacity: 2, handlers: ['count'] });
    expect(registered.kind).toBe('registerWorker');
    const submitted = await follower.writeTasks({ kind: 'submitJob', jobId: 'j1', tasks: [{ id: 't1', handler: 'count', input: { text: 'a b' } }] });
    expect(submitted).toMatchObject({ kind: 'submitJob', jobId: 'j1' });
    await http('PUT', cluster.url(leader, '/v1/kv/after-tasks'), 'x');
    const nodes = [...cluster.nodes.values()].map((n) => n.node);
    await eventually(() => (nodes.every((n) => n.raft.log.applied === nodes[0]!.raft.log.applied) ? true : undefined));
    // Every replica holds the job, and the digest (KV and tasks together) agrees everywhere.
    for (const n of nodes) expect([...n.tasks.view.jobs.keys()].map(String)).toContain('j1');
    expect(new Set(nodes.map((n) => n.machines.digest())).size).toBe(1);
    expect(nodes[0]!.machines.digest()).toMatch(/^kv:.*,tasks:/);
  }, 30_000);

  it('reports cluster status and health from any node', async () => {
    cluster = await TestCluster.start(3);
    const leader = await cluster.leader();
    const status = await eventually(async () => {
      const s = await http('GET', cluster!.url('n3', '/v1/cluster'));
      return s.json.members?.every((m: { healthy: boolean; httpAddress: string | null }) => m.healthy && m.httpAddress !== null) ? s : undefined;
    });
    expect(status.json.leaderId).toBe(leader);
    expect(status.json.members.map((m: { id: string }) => m.id).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(status.json.members.find((m: { id: string }) => m.id === leader).role).toBe('leader');
    const health = await http('GET', cluster.url('n2', '/healthz'));
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ ok: true, id: 'n2', leaderId: leader });
    const metrics = await fetch(cluster.url('n1', '/metrics')).then((r) => r.text());
    expect(metrics).toContain('keel_raft_term');
    expect(metrics).toContain('keel_transport{stat=');
    expect(metrics).toContain('keel_leases_expired');
  }, 30_000);
});
