import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../raft/types.js';
import { everyKind, Harness, heartbeat, inbox, introduce, sleep, waitFor } from './transport.test-kit.js';

const harness = new Harness();
afterEach(() => harness.close());

describe('TcpTransport: delivery', () => {
  it('delivers every kind of Raft message between three nodes, in order, field for field', async () => {
    const nodes = await harness.cluster(['n1', 'n2', 'n3']);
    const inboxes = nodes.map(inbox);
    await waitFor(() => nodes.every((n) => n.connectedPeers().length === 2), 'full mesh');
    const sent = new Map<string, Message[]>();
    for (const from of nodes) {
      for (const to of nodes) {
        if (from === to) continue;
        const messages = everyKind(from.id, to.id, sent.size + 1);
        sent.set(`${from.id}->${to.id}`, messages);
        for (const message of messages) from.send(message);
      }
    }
    await waitFor(() => inboxes.every((box) => box.length === 2 * 11), 'all messages');
    for (const [i, node] of nodes.entries()) {
      for (const from of nodes) {
        if (from === node) continue;
        const received = inboxes[i]!.filter((m) => m.from === from.id);
        expect(received).toEqual(sent.get(`${from.id}->${node.id}`));
      }
    }
    // One connection per pair: three handshakes in all, one per pair, seen from both ends.
    expect(nodes.map((n) => n.stats.connects)).toEqual([2, 2, 2]);
    expect(nodes.reduce((sum, n) => sum + n.stats.rejectedFrames + n.stats.authFailures + n.stats.handshakeFailures, 0)).toBe(0);
    expect(nodes[0]!.stats.framesOut).toBeGreaterThanOrEqual(22);
  });

  it('queues messages until the peer is reachable, then delivers them', async () => {
    const n1 = await harness.start('n1');
    n1.setPeer('n2', '127.0.0.1:1'); // nothing listens there yet
    n1.send(heartbeat('n1', 'n2', 1));
    await waitFor(() => n1.stats.reconnects >= 2, 'dial retries');
    const n2 = await harness.start('n2');
    const box = inbox(n2);
    n2.setPeer('n1', n1.address);
    n1.setPeer('n2', n2.address); // moves the dialler to the real address
    await waitFor(() => box.length === 1, 'queued message delivered');
    expect(box[0]).toEqual(heartbeat('n1', 'n2', 1));
  });

  it('drops messages to unknown peers and counts them', async () => {
    const n1 = await harness.start('n1');
    n1.send(heartbeat('n1', 'nobody', 1));
    expect(n1.stats.droppedMessages).toBe(1);
  });
});

describe('TcpTransport: reconnect', () => {
  it('reconnects after the accepting peer restarts on the same address, and delivery resumes', async () => {
    const [n1, n2] = await harness.cluster(['n1', 'n2']);
    await waitFor(() => n1!.connectedPeers().length === 1, 'connected');
    const address = n2!.address;
    await n2!.close();
    await waitFor(() => n1!.connectedPeers().length === 0, 'disconnect seen');
    n1!.send(heartbeat('n1', 'n2', 7)); // queued while n2 is down
    const restarted = await harness.start('n2', {}, address);
    const box = inbox(restarted);
    restarted.setPeer('n1', n1!.address);
    await waitFor(() => box.length === 1, 'delivery after restart');
    n1!.send(heartbeat('n1', 'n2', 8));
    restarted.send(heartbeat('n2', 'n1', 9));
    await waitFor(() => box.length === 2, 'delivery resumed');
    expect(box.map((m) => (m.kind === 'heartbeat' ? m.context : -1))).toEqual([7, 8]);
    expect(n1!.stats.reconnects).toBeGreaterThan(0);
    expect(n1!.stats.disconnects).toBe(1);
  });

  it('is redialled when the dialling peer restarts, and delivery resumes both ways', async () => {
    const [n1, n2] = await harness.cluster(['n1', 'n2']);
    const box2 = inbox(n2!);
    await waitFor(() => n2!.connectedPeers().length === 1, 'connected');
    await n1!.close();
    await waitFor(() => n2!.connectedPeers().length === 0, 'disconnect seen');
    const restarted = await harness.start('n1', {}, n1!.address);
    const box1 = inbox(restarted);
    restarted.setPeer('n2', n2!.address);
    await waitFor(() => n2!.connectedPeers().length === 1, 'reconnected');
    restarted.send(heartbeat('n1', 'n2', 1));
    n2!.send(heartbeat('n2', 'n1', 2));
    await waitFor(() => box1.length === 1 && box2.length === 1, 'both directions');
  });

  it('replaces an old connection when the same peer authenticates again', async () => {
    // The old n1 must not redial within the test: its backoff is pinned near a minute.
    const [old, n2] = await harness.cluster(['n1', 'n2'], { reconnectBaseMs: 60_000, reconnectCapMs: 60_000, random: { next: () => 0.99, int: () => 0 } });
    await waitFor(() => n2!.connectedPeers().length === 1, 'connected');
    const fresh = await harness.start('n1');
    const box = inbox(fresh);
    fresh.setPeer('n2', n2!.address);
    await waitFor(() => old!.connectedPeers().length === 0, 'old connection closed');
    expect(n2!.stats.disconnects).toBe(1);
    n2!.send(heartbeat('n2', 'n1', 5));
    await waitFor(() => box.length === 1, 'delivered to the new connection');
  });

  it('removePeer closes the connection and stops redialling', async () => {
    const [n1, n2] = await harness.cluster(['n1', 'n2']);
    await waitFor(() => n1!.connectedPeers().length === 1, 'connected');
    n1!.removePeer('n2');
    await waitFor(() => n2!.connectedPeers().length === 0, 'peer saw the close');
    await sleep(100);
    expect(n1!.connectedPeers()).toEqual([]);
    expect(n2!.stats.connects).toBe(1);
    n1!.send(heartbeat('n1', 'n2', 1));
    expect(n1!.stats.droppedMessages).toBe(1);
  });
});

describe('TcpTransport: lifecycle', () => {
  it('close() is idempotent and leaves no peer connected', async () => {
    const nodes = await harness.cluster(['n1', 'n2', 'n3']);
    await waitFor(() => nodes.every((n) => n.connectedPeers().length === 2), 'full mesh');
    await Promise.all([nodes[0]!.close(), nodes[0]!.close()]);
    await waitFor(() => nodes.slice(1).every((n) => n.connectedPeers().length === 1), 'others notice');
    expect(nodes[0]!.connectedPeers()).toEqual([]);
  });

  it('leaves no socket, server or timer behind after close, even with RPCs and garbage in flight', async () => {
    const count = (): Map<string, number> => {
      const counts = new Map<string, number>();
      for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
      return counts;
    };
    const before = count();
    const nodes = await harness.cluster(['n1', 'n2', 'n3'], { reconnectBaseMs: 5_000, reconnectCapMs: 5_000 });
    await waitFor(() => nodes.every((n) => n.connectedPeers().length === 2), 'full mesh');
    nodes[1]!.handle('hang', () => new Promise<Uint8Array>(() => undefined));
    const pending = nodes[0]!.request('n2', 'hang', new Uint8Array(), { timeoutMs: 5_000, retries: 2 });
    nodes[0]!.send(heartbeat('n1', 'n2', 1));
    (await harness.raw(nodes[0]!.address)).write('half a frame');
    await nodes[2]!.close();
    await waitFor(() => nodes[0]!.stats.reconnects > 0 && nodes[1]!.stats.reconnects > 0, 'reconnect timers armed at n1 and n2');
    await harness.close();
    await expect(pending).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    await sleep(20); // socket handles are released on the next turns of the loop
    for (const [kind, n] of count()) expect({ kind, n }).toEqual({ kind, n: Math.min(n, before.get(kind) ?? 0) });
  });

  it('reports its bound address and refuses a taken one with IO_ERROR', async () => {
    const n1 = await harness.start('n1');
    expect(n1.address).toMatch(/^127\.0\.0\.1:\d+$/);
    await expect(harness.start('n2', {}, n1.address)).rejects.toMatchObject({ code: 'IO_ERROR' });
  });

  it('setPeer rejects a malformed address and ignores its own id', async () => {
    const n1 = await harness.start('n1');
    expect(() => n1.setPeer('n2', 'no-port')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }) as Error);
    n1.setPeer('n1', '127.0.0.1:9');
    expect(n1.connectedPeers()).toEqual([]);
  });

  it('introduce() makes a mesh regardless of start order', async () => {
    const later = await harness.start('n9');
    const earlier = await harness.start('n0');
    introduce([later, earlier]);
    await waitFor(() => later.connectedPeers().length === 1 && earlier.connectedPeers().length === 1, 'connected');
  });
});
