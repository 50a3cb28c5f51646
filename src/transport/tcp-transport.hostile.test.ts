import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { encode } from '@msgpack/msgpack';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { frameOf, frameVersion } from './frame.js';
import type { TcpTransport } from './tcp-transport.js';
import { closed, Harness, heartbeat, inbox, introduce, rawFrame, waitFor } from './transport.test-kit.js';
import { encodeWire } from './wire.js';

const harness = new Harness();
let node: TcpTransport;
const frameSizeBytesMax = 64 * 1024;

beforeEach(async () => {
  node = await harness.start('n2', { frameSizeBytesMax, handshakeTimeoutMs: 300 });
  node.setPeer('n1', '127.0.0.1:9'); // n1 may dial us; nothing listens at its address
});
afterEach(() => harness.close());

/** Every way a connection can be refused: each hostile connection must bump one of them. */
function refusals(t: TcpTransport): number {
  return t.stats.rejectedFrames + t.stats.authFailures + t.stats.handshakeFailures;
}

/** The node still works: a real peer connects and a message gets through. */
async function stillServes(): Promise<void> {
  const n1 = await harness.start('n1');
  const box = inbox(node);
  introduce([n1, node]);
  n1.send(heartbeat('n1', 'n2', 1));
  await waitFor(() => box.length === 1, 'delivery after the abuse');
}

async function sendAndExpectClose(bytes: Uint8Array): Promise<void> {
  const socket = await harness.raw(node.address);
  socket.write(bytes);
  await closed(socket);
}

describe('TcpTransport: hostile bytes before authentication', () => {
  it.each([
    ['an oversized length header', rawFrame(0xffff_ffff, frameVersion), 'rejectedFrames'],
    ['a length above the handshake limit', rawFrame(5000, frameVersion), 'rejectedFrames'],
    ['a zero length', rawFrame(0, frameVersion), 'rejectedFrames'],
    ['an unknown version', rawFrame(2, 9, Uint8Array.of(0x80)), 'rejectedFrames'],
    ['bytes that are not msgpack', frameOf(Uint8Array.of(0xc1, 0xc1)), 'rejectedFrames'],
    ['truncated msgpack', frameOf(Uint8Array.of(0xdc, 0xff, 0xff, 0x01)), 'rejectedFrames'],
    ['msgpack that is not a frame body', frameOf(encode([1, 2, 3])), 'rejectedFrames'],
    ['a record extension defining odd keys', frameOf(Uint8Array.of(0xd4, 0x72, 0x40, 0x91, 0xa9, ...Buffer.from('__proto__'), 0x01)), 'rejectedFrames'],
    // Well-formed but out of order: a protocol error of the handshake.
    ['a raft message before the handshake', encodeWire({ kind: 'raft', message: heartbeat('n1', 'n2', 1) }), 'handshakeFailures'],
  ] as const)('closes the connection on %s and counts it in %s', async (_name, bytes, stat) => {
    await sendAndExpectClose(bytes);
    expect(node.stats[stat]).toBe(1);
    expect(refusals(node)).toBe(1);
    await stillServes();
  });

  it('survives random garbage: each connection is closed and counted', async () => {
    const garbage = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 512 }),
      fc.uint8Array({ maxLength: 512 }).map((body) => new Uint8Array(frameOf(body))),
      fc.object({ maxDepth: 3 }).map((value) => new Uint8Array(frameOf(encode(value)))),
      fc.record({ kind: fc.constantFrom('hello', 'challenge', 'auth', 'raft', 'request'), from: fc.string(), nonce: fc.uint8Array() }).map((v) => new Uint8Array(frameOf(encode(v)))),
    );
    await fc.assert(
      fc.asyncProperty(garbage, async (bytes) => {
        const before = refusals(node);
        await sendAndExpectClose(bytes);
        expect(refusals(node)).toBeGreaterThan(before);
      }),
      { numRuns: 40 },
    );
    expect(node.connectedPeers()).toEqual([]);
    await stillServes();
  });
});

describe('TcpTransport: hostile frames from an authenticated peer', () => {
  const badFrames: [string, () => Uint8Array][] = [
    ['a frame over frameSizeBytesMax', () => rawFrame(frameSizeBytesMax + 1, frameVersion)],
    ['a raft message of unknown kind', () => frameOf(encode({ kind: 'raft', message: { ...heartbeat('n1', 'n2', 1), kind: 'gossip' } }))],
    ['a raft message with a string term', () => frameOf(encode({ kind: 'raft', message: { ...heartbeat('n1', 'n2', 1), term: '1' } }))],
    ['a raft message with a negative index', () => frameOf(encode({ kind: 'raft', message: { kind: 'readIndexResp', from: 'n1', to: 'n2', term: 1, requestId: 1, index: -1, ok: true } }))],
    ['a snapshot chunk that is not bytes', () => frameOf(encode({ kind: 'raft', message: { kind: 'snapshot', from: 'n1', to: 'n2', term: 1, meta: { index: 1, term: 1, membership: { voters: [], learners: [] } }, offset: 0, chunk: [1, 2], totalBytes: 2 } }))],
    ['a raft message addressed to another node', () => encodeWire({ kind: 'raft', message: heartbeat('n1', 'n3', 1) })],
    ['a raft message forging its sender', () => encodeWire({ kind: 'raft', message: heartbeat('n3', 'n2', 1) })],
    ['a second hello', () => encodeWire({ kind: 'hello', from: 'n1', to: 'n2', nonce: new Uint8Array(32) })],
  ];

  it.each(badFrames)('closes the connection on %s, delivers nothing, and keeps serving', async (_name, frame) => {
    const box = inbox(node);
    const socket = await harness.rawAuthenticated(node.address, 'n1', 'n2');
    await waitFor(() => node.connectedPeers().length === 1, 'authenticated');
    socket.write(frame());
    await closed(socket);
    expect(node.stats.rejectedFrames).toBe(1);
    expect(box).toEqual([]);
    await stillServes();
  });

  it('delivers a valid message sent by hand, so the cases above fail for their fault alone', async () => {
    const box = inbox(node);
    const socket = await harness.rawAuthenticated(node.address, 'n1', 'n2');
    socket.write(encodeWire({ kind: 'raft', message: heartbeat('n1', 'n2', 4) }));
    await waitFor(() => box.length === 1, 'delivery');
    expect(node.stats.rejectedFrames).toBe(0);
  });
});
