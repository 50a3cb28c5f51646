/**
 * Real processes: three `keel start` nodes, a writer, and kill -9 of the leader (then of a
 * follower) in the middle of the load. Every acknowledged write must be readable afterwards from
 * every node, including the killed ones after their restart (checkpoint + WAL redo).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KeelClient } from '../src/client/index.js';
import { ProcessCluster } from './process.test-kit.js';

const nodeArgs = ['--snapshot-every', '200'];
let cluster: ProcessCluster | undefined;

afterEach(() => {
  cluster?.close();
  cluster = undefined;
});

describe('a real 3-process cluster under kill -9', () => {
  it('loses no acknowledged write when the leader and then a follower are killed mid-load', async () => {
    cluster = await ProcessCluster.start(3, nodeArgs);
    const { layout, endpoints } = cluster;
    const firstLeader = await cluster.leader();

    const acknowledged = new Map<string, string>();
    let running = true;
    let failures = 0;
    let acks = 0;
    const writer = (async () => {
      const client = new KeelClient({ endpoints, timeoutMs: 2_000, retries: 30 });
      for (let i = 0; running; i++) {
        const key = `w/${i % 50}`;
        const value = `v${i}`;
        try {
          await client.put(key, value);
          acknowledged.set(key, value);
          acks += 1;
        } catch {
          failures += 1; // outcome unknown: not acknowledged, so not checked
        }
      }
    })();

    await new Promise((r) => setTimeout(r, 1_500));
    const before = acks;
    cluster.nodes.get(firstLeader)!.kill('SIGKILL');
    const killedAt = Date.now();
    const secondLeader = await cluster.leader(firstLeader);
    const failoverMs = Date.now() - killedAt;
    await new Promise((r) => setTimeout(r, 1_500));
    cluster.startNode(firstLeader, nodeArgs);
    const follower = layout.map((n) => n.id).find((id) => id !== firstLeader && id !== secondLeader)!;
    await new Promise((r) => setTimeout(r, 1_500));
    cluster.nodes.get(follower)!.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1_000));
    cluster.startNode(follower, nodeArgs);
    await new Promise((r) => setTimeout(r, 1_500));
    running = false;
    await writer;

    expect(acks).toBeGreaterThan(before);
    expect(failoverMs).toBeLessThan(10_000);
    // Every node, the restarted ones included, holds every acknowledged value once caught up.
    for (const node of layout) {
      const local = new KeelClient({ endpoints: [`http://${node.http}`], timeoutMs: 2_000, retries: 40 });
      for (const [key, value] of acknowledged) {
        const got = await local.get(key, { consistency: 'linearizable' });
        expect([node.id, key, got?.value]).toEqual([node.id, key, value]);
      }
    }
    expect(failures).toBeLessThan(5);
    console.log(JSON.stringify({ acknowledgedWrites: acks, unknownOutcome: failures, failoverMs }));
  }, 90_000);
});
