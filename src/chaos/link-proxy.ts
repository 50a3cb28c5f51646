/**
 * A userspace TCP proxy the chaos harness puts on a peer link (dialer -> proxy -> target) to
 * inject network faults without root: per-direction blackholes and added latency.
 *
 * Invariants:
 * - 'pass' delivers every byte of a direction, in order, after `delayMs`; the source socket is
 *   paused while its sink needs `drain` or while `queueSizeBytesMax` bytes wait out a delay.
 * - 'drop' reads and discards (a blackhole: no RST, no FIN, the connection stays open). A FIN
 *   arriving while its direction drops is lost too, as on a real partition.
 * - Dropping part of a framed stream desynchronizes it, so when a direction goes from 'drop' back
 *   to 'pass' every proxied connection is destroyed (both sockets) and the peers reconnect with
 *   clean framing (`stats.resets`).
 * - A connection accepted while both directions drop is held without dialling the target (the
 *   SYN would be lost); the heal that follows resets it like any other.
 * - An error on either socket destroys its pair; nothing thrown out of a socket callback.
 * - `close()` ends the server, every socket and every timer.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { assert } from '../core/assert.js';
import { KeelError } from '../core/errors.js';
import { formatHostPort, parseHostPort, type HostPort } from '../transport/address.js';

export type LinkMode = 'pass' | 'drop';

/** 'forward' = dialer -> target, 'backward' = target -> dialer. */
export interface LinkSetting {
  readonly forward: LinkMode;
  readonly backward: LinkMode;
  readonly delayMs: number;
}

export interface LinkProxyOptions {
  /** host:port to listen on; default 127.0.0.1:0 (see `address` for the port picked). */
  readonly listen?: string;
  /** host:port of the real peer. */
  readonly target: string;
  /** Names the link in error messages, e.g. "n1->n2". */
  readonly label?: string;
}

/** Counters since start (live object). */
export interface LinkProxyStats {
  /** Connections accepted (held ones included, rejected ones not). */
  connections: number;
  bytesForward: number;
  bytesBackward: number;
  droppedForward: number;
  droppedBackward: number;
  /** Connections destroyed because a direction went from 'drop' to 'pass'. */
  resets: number;
  /** Connections refused over `connectionsMax`. */
  rejectedConnections: number;
  /** Socket or server errors (connect refused, reset by peer, ...); each destroys its pair. */
  socketErrors: number;
}

export const linkProxyLimits = Object.freeze({
  connectionsMax: 256,
  delayMsMax: 60_000,
  /** Per connection and direction: bytes waiting out a delay before the source is paused. */
  queueSizeBytesMax: 1024 * 1024,
});

const optionKeys: ReadonlySet<string> = new Set(['listen', 'target', 'label']);
const settingKeys: ReadonlySet<string> = new Set(['forward', 'backward', 'delayMs']);
const modes: ReadonlySet<unknown> = new Set<LinkMode>(['pass', 'drop']);

type Direction = 'forward' | 'backward';

interface Shared {
  readonly setting: () => LinkSetting;
  readonly stats: LinkProxyStats;
}

export class LinkProxy {
  readonly address: string;
  readonly label: string;
  private readonly counters: LinkProxyStats = {
    connections: 0, bytesForward: 0, bytesBackward: 0, droppedForward: 0, droppedBackward: 0, resets: 0, rejectedConnections: 0, socketErrors: 0,
  };
  private current: LinkSetting = Object.freeze({ forward: 'pass', backward: 'pass', delayMs: 0 });
  private readonly pairs = new Set<Pair>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: net.Server,
    private readonly target: HostPort,
    label: string,
  ) {
    const bound = server.address();
    assert(bound !== null && typeof bound === 'object', 'a listening TCP server has an address');
    this.address = formatHostPort(bound.address, bound.port);
    this.label = label;
    server.on('connection', (socket) => this.onConnection(socket));
    server.on('error', () => { this.counters.socketErrors += 1; }); // after listen: accept errors (EMFILE); the server keeps going
  }

  static async start(options: LinkProxyOptions): Promise<LinkProxy> {
    const { listen, target, label } = resolveOptions(options);
    const server = net.createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((error: unknown) => {
      throw new KeelError('IO_ERROR', `link proxy ${label} cannot listen on ${formatHostPort(listen.host, listen.port)}: ${String(error)}`, { cause: error });
    });
    return new LinkProxy(server, target, label);
  }

  get stats(): Readonly<LinkProxyStats> {
    return this.counters;
  }

  get setting(): LinkSetting {
    return this.current;
  }

  /** Proxied connections currently open (or held). */
  get openConnections(): number {
    return this.pairs.size;
  }

  /** Changes the fault; fields left out keep their value. Throws CONFIG_INVALID on a bad value. */
  set(change: Partial<LinkSetting>): void {
    const next = resolveSetting(this.current, change, this.label);
    const healed = (this.current.forward === 'drop' && next.forward === 'pass') || (this.current.backward === 'drop' && next.backward === 'pass');
    this.current = next;
    if (healed) {
      for (const pair of [...this.pairs]) {
        this.counters.resets += 1;
        pair.destroy();
      }
      assert(this.pairs.size === 0, 'a heal resets every connection');
      return;
    }
    for (const pair of this.pairs) pair.settingChanged();
  }

  /** Stops listening and destroys every connection and timer. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error === undefined ? resolve() : reject(error)));
      for (const pair of [...this.pairs]) pair.destroy();
    });
    return this.closing;
  }

  private onConnection(client: net.Socket): void {
    if (this.closing !== undefined) {
      client.destroy();
      return;
    }
    if (this.pairs.size >= linkProxyLimits.connectionsMax) {
      this.counters.rejectedConnections += 1;
      client.destroy();
      return;
    }
    this.counters.connections += 1;
    const held = this.current.forward === 'drop' && this.current.backward === 'drop';
    const upstream = held ? null : net.connect({ host: this.target.host, port: this.target.port, allowHalfOpen: true });
    const shared: Shared = { setting: () => this.current, stats: this.counters };
    const pair = new Pair(client, upstream, shared, () => this.pairs.delete(pair));
    this.pairs.add(pair);
  }
}

/** One proxied connection: the dialer's socket and, unless held, the socket to the target. */
class Pair {
  private readonly forward: Channel;
  private readonly backward: Channel | null;
  private destroyed = false;

  constructor(
    private readonly client: net.Socket,
    private readonly upstream: net.Socket | null,
    private readonly shared: Shared,
    private readonly onGone: () => void,
  ) {
    this.forward = new Channel('forward', client, upstream, shared);
    this.backward = upstream === null ? null : new Channel('backward', upstream, client, shared);
    for (const socket of upstream === null ? [client] : [client, upstream]) {
      socket.setNoDelay(true);
      socket.on('error', () => this.fail());
      socket.on('close', () => this.onSocketClose());
    }
  }

  settingChanged(): void {
    this.forward.settingChanged();
    this.backward?.settingChanged();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.forward.dispose();
    this.backward?.dispose();
    this.client.destroy();
    this.upstream?.destroy();
    this.onGone();
  }

  private fail(): void {
    this.shared.stats.socketErrors += 1;
    this.destroy();
  }

  /** A clean close follows FINs both ways, already carried by the channels; only the bookkeeping is left. */
  private onSocketClose(): void {
    if (this.client.destroyed && (this.upstream === null || this.upstream.destroyed)) this.destroy();
  }
}

/** Items waiting to go out in one direction; a null chunk is the source's FIN. */
interface Pending {
  readonly chunk: Buffer | null;
  readonly dueMs: number;
}

/** One direction of a pair: drop, or deliver in order after the delay, with backpressure. */
class Channel {
  private queue: Pending[] = [];
  private queuedSizeBytes = 0;
  private lastDueMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private awaitingDrain = false;
  private disposed = false;

  constructor(
    private readonly direction: Direction,
    private readonly source: net.Socket,
    private readonly sink: net.Socket | null,
    private readonly shared: Shared,
  ) {
    source.on('data', (chunk: Buffer) => this.onData(chunk));
    source.on('end', () => this.onEnd());
    sink?.on('drain', () => {
      this.awaitingDrain = false;
      this.pump();
    });
  }

  settingChanged(): void {
    if (this.mode() === 'drop') this.discardQueue();
    this.pump();
  }

  dispose(): void {
    this.disposed = true;
    this.clearTimer();
    this.queue = [];
    this.queuedSizeBytes = 0;
  }

  private mode(): LinkMode {
    return this.shared.setting()[this.direction];
  }

  private onData(chunk: Buffer): void {
    if (this.disposed) return;
    if (this.mode() === 'drop' || this.sink === null) {
      this.countDropped(chunk.length);
      return;
    }
    this.enqueue(chunk);
    this.queuedSizeBytes += chunk.length;
    this.pump();
  }

  /** The source's FIN travels like data; in a dropping direction it is lost and the socket stays half-open. */
  private onEnd(): void {
    if (this.disposed || this.mode() === 'drop' || this.sink === null) return;
    this.enqueue(null);
    this.pump();
  }

  private enqueue(chunk: Buffer | null): void {
    // Due times never go backwards, so a delay lowered mid-stream cannot reorder bytes.
    this.lastDueMs = Math.max(performance.now() + this.shared.setting().delayMs, this.lastDueMs);
    this.queue.push({ chunk, dueMs: this.lastDueMs });
  }

  /** Writes every item that is due, unless the sink asked to wait; then sets the source's flow. */
  private pump(): void {
    if (this.disposed) return;
    this.clearTimer();
    const sink = this.sink;
    while (sink !== null && this.queue.length > 0 && !this.awaitingDrain) {
      const head = this.queue[0]!;
      const waitMs = head.dueMs - performance.now();
      if (waitMs > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, Math.ceil(waitMs));
        break;
      }
      this.queue.shift();
      if (head.chunk === null) {
        sink.end();
        continue;
      }
      this.queuedSizeBytes -= head.chunk.length;
      assert(this.queuedSizeBytes >= 0, 'queued size never goes negative');
      this.countDelivered(head.chunk.length);
      if (!sink.write(head.chunk)) this.awaitingDrain = true;
    }
    this.updateFlow();
  }

  private updateFlow(): void {
    const hold = this.mode() === 'pass' && (this.awaitingDrain || this.queuedSizeBytes >= linkProxyLimits.queueSizeBytesMax);
    if (hold && !this.source.isPaused()) this.source.pause();
    else if (!hold && this.source.isPaused()) this.source.resume();
  }

  private discardQueue(): void {
    this.clearTimer();
    this.countDropped(this.queuedSizeBytes);
    this.queue = [];
    this.queuedSizeBytes = 0;
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private countDelivered(sizeBytes: number): void {
    if (this.direction === 'forward') this.shared.stats.bytesForward += sizeBytes;
    else this.shared.stats.bytesBackward += sizeBytes;
  }

  private countDropped(sizeBytes: number): void {
    if (this.direction === 'forward') this.shared.stats.droppedForward += sizeBytes;
    else this.shared.stats.droppedBackward += sizeBytes;
  }
}

function resolveOptions(options: LinkProxyOptions): { listen: HostPort; target: HostPort; label: string } {
  const problems: string[] = [];
  for (const key of Object.keys(options)) if (!optionKeys.has(key)) problems.push(`unknown option "${key}"`);
  const listen = parseHostPort(options.listen ?? '127.0.0.1:0');
  if (listen === undefined) problems.push(`listen: not host:port: ${JSON.stringify(options.listen)}`);
  const target = typeof options.target === 'string' ? parseHostPort(options.target) : undefined;
  if (target === undefined || target.port === 0) problems.push(`target: not host:port: ${JSON.stringify(options.target)}`);
  const label = options.label ?? options.target;
  if (typeof label !== 'string' || label.length === 0 || label.length > 128) problems.push('label: 1..128 characters');
  if (problems.length > 0 || listen === undefined || target === undefined) {
    throw new KeelError('CONFIG_INVALID', `link proxy options invalid: ${problems.join('; ')}`, { data: { problems } });
  }
  return { listen, target, label };
}

function resolveSetting(current: LinkSetting, change: Partial<LinkSetting>, label: string): LinkSetting {
  const problems: string[] = [];
  for (const key of Object.keys(change)) if (!settingKeys.has(key)) problems.push(`unknown field "${key}"`);
  const next = { ...current, ...change };
  if (!modes.has(next.forward)) problems.push(`forward: 'pass' or 'drop', not ${JSON.stringify(next.forward)}`);
  if (!modes.has(next.backward)) problems.push(`backward: 'pass' or 'drop', not ${JSON.stringify(next.backward)}`);
  if (!Number.isFinite(next.delayMs) || next.delayMs < 0 || next.delayMs > linkProxyLimits.delayMsMax) {
    problems.push(`delayMs: 0..${linkProxyLimits.delayMsMax}, not ${String(next.delayMs)}`);
  }
  if (problems.length > 0) throw new KeelError('CONFIG_INVALID', `link proxy ${label}: ${problems.join('; ')}`, { data: { problems } });
  return Object.freeze(next);
}
