/** Shared helpers for the transport tests: clusters on loopback port 0, raw sockets, waiting. */
import { Buffer } from 'node:buffer';
import { connect, type Socket } from 'node:net';
import { seededRandom } from '../core/prng.js';
import type { Message, NodeId } from '../raft/types.js';
import { parseHostPort } from './address.js';
import { FrameReader } from './frame.js';
import { DialHandshake } from './handshake.js';
import { TcpTransport } from './tcp-transport.js';
import type { TcpTransportOptions } from './options.js';
import { decodeBody, encodeWire } from './wire.js';
import { parseWire } from './wire-parse.js';

export const secret = 'keel-test-cluster-secret';

type Overrides = Partial<Omit<TcpTransportOptions, 'id' | 'listen'>>;

/** Tracks every transport and raw socket a test opens, so afterEach can close them all. */
export class Harness {
  readonly transports: TcpTransport[] = [];
  readonly sockets: Socket[] = [];
  private seed = 1;

  async start(id: NodeId, overrides: Overrides = {}, listen = '127.0.0.1:0'): Promise<TcpTransport> {
    const transport = await TcpTransport.start({ id, listen, peers: new Map(), secret, random: seededRandom(this.seed++), ...overrides });
    this.transports.push(transport);
    return transport;
  }

  /** Starts `ids` and tells each about all the others. */
  async cluster(ids: readonly NodeId[], overrides: Overrides = {}): Promise<TcpTransport[]> {
    const transports = await Promise.all(ids.map((id) => this.start(id, overrides)));
    introduce(transports);
    return transports;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.transports.map((t) => t.close()));
    this.transports.length = 0;
    this.sockets.length = 0;
  }

  /** A raw socket to `address`, open once connected. */
  async raw(address: string): Promise<Socket> {
    const { host, port } = parseHostPort(address)!;
    const socket = connect({ host, port });
    socket.on('error', () => undefined); // the server may reset it: that is what these tests provoke
    this.sockets.push(socket);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    return socket;
  }

  /** A raw socket that completed the real handshake as `self` (so it can misbehave afterwards). */
  async rawAuthenticated(address: string, self: NodeId, peer: NodeId, key = secret): Promise<Socket> {
    const socket = await this.raw(address);
    const handshake = new DialHandshake(self, peer, Buffer.from(key));
    const reader = new FrameReader();
    socket.write(encodeWire(handshake.hello()));
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        reader.push(chunk);
        for (let read = reader.next(1 << 20); read.kind === 'frame'; read = reader.next(1 << 20)) {
          const step = handshake.receive(parseWire(decodeBody(read.body)));
          if (step.kind === 'reply') socket.write(encodeWire(step.wire));
          else if (step.kind === 'fail') reject(new Error(step.reason));
          else {
            socket.off('data', onData);
            resolve();
          }
        }
      };
      socket.on('data', onData);
      socket.once('close', () => reject(new Error('closed during handshake')));
    });
    return socket;
  }
}

export function introduce(transports: readonly TcpTransport[]): void {
  for (const a of transports) for (const b of transports) if (a !== b) a.setPeer(b.id, b.address);
}

/** Resolves when `socket` closes; fails the test if it stays open past `timeoutMs`. */
export function closed(socket: Socket, timeoutMs = 5_000): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function inbox(transport: TcpTransport): Message[] {
  const received: Message[] = [];
  transport.onMessage((message) => received.push(message));
  return received;
}

export function bytesOf(size: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  return Uint8Array.from({ length: size }, () => random.int(256));
}

/** One message of every kind, with byte fields and the largest safe integer among the numbers. */
export function everyKind(from: NodeId, to: NodeId, term = 3): Message[] {
  const e = { from, to, term };
  return [
    { kind: 'vote', ...e, preVote: true, lastIndex: 10, lastTerm: 2, transfer: false },
    { kind: 'voteResp', ...e, preVote: false, granted: true },
    {
      kind: 'append', ...e, prevIndex: 4, prevTerm: 2, commit: 4,
      entries: [
        { index: 5, term: 3, kind: 'normal', data: bytesOf(1000, term) },
        { index: 6, term: 3, kind: 'noop', data: new Uint8Array() },
        { index: 7, term: 3, kind: 'config', data: Uint8Array.of(1, 2, 3) },
      ],
    },
    { kind: 'appendResp', ...e, success: false, index: 9, hintIndex: 7, hintTerm: 1, recovering: true },
    { kind: 'heartbeat', ...e, commit: Number.MAX_SAFE_INTEGER, context: 2 },
    { kind: 'heartbeatResp', ...e, context: 2, recovering: false },
    {
      kind: 'snapshot', ...e, offset: 65_536, chunk: bytesOf(64 * 1024, term + 1), totalBytes: 200_000,
      meta: { index: 100, term: 3, membership: { voters: ['n1', 'n2', 'n3'], learners: ['n4'] } },
    },
    { kind: 'snapshotResp', ...e, index: 100, nextOffset: 131_072, done: false },
    { kind: 'timeoutNow', ...e },
    { kind: 'readIndex', ...e, requestId: 42 },
    { kind: 'readIndexResp', ...e, requestId: 42, index: 9, ok: true },
  ];
}

export function heartbeat(from: NodeId, to: NodeId, context: number): Message {
  return { kind: 'heartbeat', from, to, term: 1, commit: 0, context };
}

/** A frame with a hand-made header, for tests that lie about length or version. */
export function rawFrame(length: number, version: number, body: Uint8Array = new Uint8Array()): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(length, 0);
  header[4] = version;
  return Buffer.concat([header, body]);
}
