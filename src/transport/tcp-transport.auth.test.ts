import { Buffer } from 'node:buffer';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameReader } from './frame.js';
import { DialHandshake } from './handshake.js';
import { closed, Harness, heartbeat, inbox, introduce, sleep, waitFor } from './transport.test-kit.js';
import { decodeBody, encodeWire } from './wire.js';
import { parseWire } from './wire-parse.js';

const harness = new Harness();
afterEach(() => harness.close());

describe('TcpTransport: cluster authentication', () => {
  it('refuses a peer with the wrong secret: counted, logged, nothing delivered either way', async () => {
    const warnings: string[] = [];
    const logger = { info: () => undefined, warn: (_: object, msg: string) => warnings.push(msg), error: () => undefined };
    const n1 = await harness.start('n1', { secret: 'another-secret-entirely', logger });
    const n2 = await harness.start('n2');
    const box1 = inbox(n1);
    const box2 = inbox(n2);
    introduce([n1, n2]);
    // n1 dials, so n1 is the one that finds n2's proof wrong.
    await waitFor(() => n1.stats.authFailures >= 2, 'repeated auth failures');
    n1.send(heartbeat('n1', 'n2', 1));
    n2.send(heartbeat('n2', 'n1', 2));
    await sleep(100);
    expect(box1).toEqual([]);
    expect(box2).toEqual([]);
    expect(n1.connectedPeers()).toEqual([]);
    expect(n2.connectedPeers()).toEqual([]);
    expect(n2.stats.connects).toBe(0);
    expect(warnings).toContain('transport peer failed authentication');
  });

  it('refuses a dialler whose proof is wrong even if it claims a known id', async () => {
    const n2 = await harness.start('n2');
    n2.setPeer('n1', '127.0.0.1:9');
    const box = inbox(n2);
    const socket = await harness.raw(n2.address);
    // Speaks the protocol as n1 but signs with a secret n2 does not share.
    const handshake = new DialHandshake('n1', 'n2', Buffer.from('guessed-secret-is-wrong'));
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      for (let read = reader.next(4096); read.kind === 'frame'; read = reader.next(4096)) {
        const wire = parseWire(decodeBody(read.body));
        // Skip the dialler's own check of n2's proof (it would fail): send auth regardless.
        if (wire.kind === 'challenge') socket.write(encodeWire({ kind: 'auth', proof: new Uint8Array(32).fill(7) }));
      }
    });
    socket.write(encodeWire(handshake.hello()));
    await closed(socket);
    expect(n2.stats.authFailures).toBe(1);
    expect(n2.connectedPeers()).toEqual([]);
    socket.destroy();
    expect(box).toEqual([]);
  });

  it('refuses an impostor id that is not in the peer list, though it knows the secret', async () => {
    const n1 = await harness.start('n1');
    n1.setPeer('n2', '127.0.0.1:9');
    const impostor = await harness.start('n0');
    const box = inbox(n1);
    impostor.setPeer('n1', n1.address);
    await waitFor(() => n1.stats.authFailures >= 1, 'impostor refused');
    impostor.send(heartbeat('n0', 'n1', 1));
    await sleep(100);
    expect(box).toEqual([]);
    expect(n1.connectedPeers()).toEqual([]);
    expect(impostor.connectedPeers()).toEqual([]);
  });

  it('refuses a known peer that dials against the connection rule', async () => {
    const n1 = await harness.start('n1');
    n1.setPeer('n2', '127.0.0.1:9');
    // n2 > n1, so n2 must accept, never dial: a raw n2 that dials anyway is refused.
    await expect(harness.rawAuthenticated(n1.address, 'n2', 'n1')).rejects.toThrow();
    expect(n1.stats.handshakeFailures).toBe(1);
  });

  it('closes a socket that never finishes its handshake', async () => {
    const n1 = await harness.start('n1', { handshakeTimeoutMs: 100 });
    const socket = await harness.raw(n1.address);
    await closed(socket);
    expect(n1.stats.handshakeFailures).toBe(1);
  });

  it('closes incoming sockets beyond handshakesPendingMax at once', async () => {
    const n1 = await harness.start('n1', { handshakesPendingMax: 2 });
    await harness.raw(n1.address);
    await harness.raw(n1.address);
    const third = await harness.raw(n1.address);
    await closed(third);
    expect(n1.stats.rejectedConnections).toBe(1);
  });
});
