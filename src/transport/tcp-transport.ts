import { connect, createServer, type Server, type Socket } from 'node:net';
import { assert, assertNever } from '../core/assert.js';
import { describeError, KeelError } from '../core/errors.js';
import type { PeerTransport, RpcHandler, RpcOptions } from '../ports/transport.js';
import type { Message, NodeId } from '../raft/types.js';
import { formatHostPort, parseHostPort, type HostPort } from './address.js';
import { backoffDelayMs } from './backoff.js';
import { Connection, type ConnectionEvents } from './connection.js';
import { frameLengthBytes } from './frame.js';
import { AcceptHandshake, DialHandshake, type HandshakeStep } from './handshake.js';
import { describeOptions, isNodeId, resolveTransportOptions, type ResolvedTransportOptions, type TcpTransportOptions } from './options.js';
import type { MessageClass } from './outbound-queue.js';
import { dialsTo, PeerLink } from './peer-link.js';
import { RpcClient } from './rpc-client.js';
import { RpcServer } from './rpc-server.js';
import { createStats, type TransportStats } from './stats.js';
import { encodeWire, type Wire } from './wire.js';

interface Handshaking {
  readonly handshake: DialHandshake | AcceptHandshake;
  readonly timer: NodeJS.Timeout;
}

/**
 * The peer transport over TCP (docs/transport.md): one authenticated connection per peer pair,
 * length-prefixed msgpack frames, a bounded outbound queue per peer, and RPCs on the same
 * connection. Nothing a peer sends can crash the node: bad frames close their connection.
 */
export class TcpTransport implements PeerTransport {
  readonly id: NodeId;
  /** The bound `host:port` (the real port when started on port 0). */
  readonly address: string;
  /** Live counters (docs/transport.md, "Stats"). */
  readonly stats: Readonly<TransportStats>;
  private readonly counters = createStats();
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly connections = new Set<Connection>();
  private readonly handshaking = new Map<Connection, Handshaking>();
  private readonly messageHandlers: ((message: Message) => void)[] = [];
  private readonly rpcClient: RpcClient;
  private readonly rpcServer: RpcServer;
  private readonly events: ConnectionEvents = {
    wire: (connection, wire) => this.onWire(connection, wire),
    drain: (connection) => this.linkOf(connection)?.flush(this.options.socketBufferSizeBytesMax),
    closed: (connection) => this.onClosed(connection),
  };
  private closing: Promise<void> | undefined;

  static async start(input: TcpTransportOptions): Promise<TcpTransport> {
    const options = resolveTransportOptions(input);
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listen.port, options.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((error: unknown) => {
      throw new KeelError('IO_ERROR', `transport cannot listen on ${formatHostPort(options.listen.host, options.listen.port)}: ${describeError(error)}`, { cause: error });
    });
    const transport = new TcpTransport(options, server);
    options.logger.info({ transport: describeOptions(options), address: transport.address }, 'transport listening');
    for (const link of transport.links.values()) transport.dial(link);
    return transport;
  }

  private constructor(
    private readonly options: ResolvedTransportOptions,
    private readonly server: Server,
  ) {
    this.id = options.id;
    this.stats = this.counters;
    const bound = server.address();
    assert(bound !== null && typeof bound === 'object', 'a TCP server listens on an address');
    this.address = formatHostPort(bound.address, bound.port);
    for (const [id, address] of options.peers) this.links.set(id, this.newLink(id, address));
    this.rpcClient = new RpcClient(options, this.counters, (peer, wire) => this.transmitRpc(peer, wire));
    this.rpcServer = new RpcServer(options);
    server.on('connection', (socket) => this.accept(socket));
    // Accept errors (EMFILE and the like) are transient; the server keeps listening.
    server.on('error', (error) => options.logger.error({ error: describeError(error) }, 'transport server error'));
  }

  send(message: Message): void {
    assert(message.from === this.id, `send: message from ${message.from} on the transport of ${this.id}`);
    const link = this.links.get(message.to);
    if (link === undefined || this.closing !== undefined) {
      this.counters.droppedMessages++;
      return;
    }
    const frame = encodeWire({ kind: 'raft', message });
    if (frame.length - frameLengthBytes > this.options.frameSizeBytesMax) {
      this.counters.droppedMessages++;
      this.options.logger.warn({ peer: message.to, kind: message.kind, sizeBytes: frame.length }, 'raft message larger than frameSizeBytesMax dropped');
      return;
    }
    this.enqueue(link, frame, classOf(message));
  }

  onMessage(handler: (message: Message) => void): void {
    this.messageHandlers.push(handler);
  }

  request(peer: NodeId, method: string, body: Uint8Array, options?: RpcOptions): Promise<Uint8Array> {
    return this.rpcClient.request(peer, method, body, options);
  }

  handle(method: string, handler: RpcHandler): void {
    this.rpcServer.handle(method, handler);
  }

  /** Throws CONFIG_INVALID for a malformed id or address; our own id is ignored. */
  setPeer(id: NodeId, address: string): void {
    const parsed = parseHostPort(address);
    if (!isNodeId(id) || parsed === undefined || parsed.port === 0) throw new KeelError('CONFIG_INVALID', `setPeer: invalid peer ${String(id)} at ${String(address)}`);
    if (id === this.id || this.closing !== undefined) return;
    const link = this.links.get(id);
    if (link === undefined) {
      const created = this.newLink(id, parsed);
      this.links.set(id, created);
      this.dial(created);
      return;
    }
    if (link.address.host === parsed.host && link.address.port === parsed.port) return;
    link.address = parsed;
    // A dialler moves to the new address; an acceptor waits for the peer to dial from it.
    if (link.dials) {
      link.dialing?.close();
      link.connection?.close();
    }
  }

  removePeer(id: NodeId): void {
    const link = this.links.get(id);
    if (link === undefined) return;
    this.links.delete(id);
    link.removed = true;
    link.cancelReconnect();
    link.queue.clear();
    link.dialing?.close();
    if (link.connection !== undefined) this.detach(link, link.connection);
  }

  /** Peers with an authenticated connection right now. */
  connectedPeers(): NodeId[] {
    return [...this.links.values()].filter((link) => link.connection !== undefined).map((link) => link.id);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.rpcClient.close();
    for (const link of this.links.values()) {
      link.cancelReconnect();
      link.queue.clear();
    }
    for (const { timer } of this.handshaking.values()) clearTimeout(timer);
    this.handshaking.clear();
    for (const connection of this.connections) connection.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.options.logger.info({ id: this.id }, 'transport closed');
  }

  private newLink(id: NodeId, address: HostPort): PeerLink {
    return new PeerLink(id, address, dialsTo(this.id, id), this.options.queueCountMax, this.options.queueSizeBytesMax);
  }

  private dial(link: PeerLink): void {
    if (this.closing !== undefined || link.removed || !link.dials || link.connection !== undefined || link.dialing !== undefined) return;
    const socket = connect({ host: link.address.host, port: link.address.port });
    const handshake = new DialHandshake(this.id, link.id, this.options.secret);
    const connection = this.track(socket, 'dial', handshake);
    link.dialing = connection;
    connection.send(handshake.hello()); // buffered by the socket until it connects
  }

  private accept(socket: Socket): void {
    const accepting = [...this.handshaking.keys()].filter((connection) => connection.role === 'accept').length;
    if (this.closing !== undefined || accepting >= this.options.handshakesPendingMax) {
      this.counters.rejectedConnections++;
      socket.destroy();
      return;
    }
    const rules = { isKnownPeer: (id: NodeId) => this.links.has(id), dialsTo: (id: NodeId) => dialsTo(id, this.id) };
    this.track(socket, 'accept', new AcceptHandshake(this.id, this.options.secret, rules));
  }

  private track(socket: Socket, role: 'dial' | 'accept', handshake: DialHandshake | AcceptHandshake): Connection {
    const connection = new Connection(socket, role, this.options.frameSizeBytesMax, this.counters, this.options.logger, this.events);
    this.connections.add(connection);
    const timer = setTimeout(() => {
      this.counters.handshakeFailures++;
      this.options.logger.warn({ remote: connection.remote, role }, 'transport handshake timed out');
      connection.close();
    }, this.options.handshakeTimeoutMs);
    this.handshaking.set(connection, { handshake, timer });
    return connection;
  }

  private onWire(connection: Connection, wire: Wire): void {
    const handshaking = this.handshaking.get(connection);
    if (handshaking !== undefined) return this.onHandshake(connection, handshaking, handshaking.handshake.receive(wire));
    const peer = connection.peer;
    assert(peer !== undefined, 'a connection past its handshake has a peer');
    switch (wire.kind) {
      case 'raft':
        if (wire.message.from !== peer || wire.message.to !== this.id) return connection.reject(`raft message ${wire.message.from}->${wire.message.to} on the connection of ${peer}`);
        for (const handler of this.messageHandlers) handler(wire.message);
        return;
      case 'request':
        return void this.rpcServer.serve(peer, wire, (frame) => this.reply(connection, frame));
      case 'response':
      case 'failure':
        return this.rpcClient.settle(peer, wire);
      case 'hello':
      case 'challenge':
      case 'auth':
      case 'welcome':
        return connection.reject(`${wire.kind} frame after the handshake`);
      default:
        return assertNever(wire);
    }
  }

  private onHandshake(connection: Connection, handshaking: Handshaking, step: HandshakeStep): void {
    if (step.kind === 'reply') return connection.send(step.wire);
    if (step.kind === 'fail') {
      if (step.auth) this.counters.authFailures++;
      else this.counters.handshakeFailures++;
      this.options.logger.warn({ remote: connection.remote, role: connection.role, reason: step.reason }, step.auth ? 'transport peer failed authentication' : 'transport handshake failed');
      return connection.close();
    }
    clearTimeout(handshaking.timer);
    this.handshaking.delete(connection);
    if (step.reply !== undefined) connection.send(step.reply);
    const link = this.links.get(step.peer);
    if (link === undefined) return connection.close(); // removed while the handshake ran
    if (link.dialing === connection) link.dialing = undefined;
    if (link.connection !== undefined) this.detach(link, link.connection); // the peer restarted or redialled
    connection.peer = step.peer;
    link.connection = connection;
    link.failedAttempts = 0;
    link.cancelReconnect();
    this.counters.connects++;
    this.options.logger.info({ peer: step.peer, remote: connection.remote, role: connection.role }, 'transport connected');
    link.flush(this.options.socketBufferSizeBytesMax);
  }

  private onClosed(connection: Connection): void {
    this.connections.delete(connection);
    const handshaking = this.handshaking.get(connection);
    if (handshaking !== undefined) {
      clearTimeout(handshaking.timer);
      this.handshaking.delete(connection);
    }
    for (const link of this.links.values()) {
      if (link.dialing !== connection) continue;
      link.dialing = undefined;
      if (link.failedAttempts === 0 && this.closing === undefined) {
        // Once per outage; the reconnects counter tells the rest.
        const address = formatHostPort(link.address.host, link.address.port);
        this.options.logger.warn({ peer: link.id, address, error: connection.lastError }, 'transport cannot reach peer; retrying with backoff');
      }
      this.scheduleReconnect(link);
    }
    const link = this.linkOf(connection);
    if (link !== undefined) this.detach(link, connection);
  }

  /** Forgets `connection` as the link's connection: fails its RPCs, drops their frames, redials. */
  private detach(link: PeerLink, connection: Connection): void {
    if (link.connection !== connection) return;
    link.connection = undefined;
    connection.close();
    this.counters.disconnects++;
    this.counters.droppedMessages += link.queue.purge('rpc');
    this.rpcClient.failPeer(link.id);
    if (this.closing === undefined) this.options.logger.info({ peer: link.id }, 'transport disconnected');
    this.scheduleReconnect(link);
  }

  private scheduleReconnect(link: PeerLink): void {
    if (this.closing !== undefined || link.removed || !link.dials || link.reconnectTimer !== undefined || link.connection !== undefined) return;
    const delayMs = backoffDelayMs(link.failedAttempts, this.options.reconnectBaseMs, this.options.reconnectCapMs, this.options.random);
    link.failedAttempts++;
    this.counters.reconnects++;
    link.reconnectTimer = setTimeout(() => {
      link.reconnectTimer = undefined;
      this.dial(link);
    }, delayMs);
  }

  private linkOf(connection: Connection): PeerLink | undefined {
    const link = connection.peer === undefined ? undefined : this.links.get(connection.peer);
    return link?.connection === connection ? link : undefined;
  }

  private enqueue(link: PeerLink, frame: Uint8Array, cls: MessageClass): boolean {
    const pushed = link.queue.push({ frame, cls });
    this.counters.droppedMessages += pushed.dropped;
    // Everything sent in this turn of the event loop (a driver pass sends all of a Ready at once)
    // leaves in one flush: one writev instead of a write syscall per frame.
    if (!link.flushScheduled) {
      link.flushScheduled = true;
      queueMicrotask(() => {
        link.flushScheduled = false;
        link.flush(this.options.socketBufferSizeBytesMax);
      });
    }
    return pushed.accepted;
  }

  private transmitRpc(peer: NodeId, wire: Wire): KeelError | undefined {
    const link = this.links.get(peer);
    if (link?.connection === undefined) return new KeelError('UNAVAILABLE', `not connected to ${peer}`, { retryable: true, data: { peer } });
    const frame = encodeWire(wire);
    if (frame.length - frameLengthBytes > this.options.frameSizeBytesMax) {
      return new KeelError('TOO_LARGE', `request of ${frame.length} bytes exceeds frameSizeBytesMax (${this.options.frameSizeBytesMax})`);
    }
    if (!this.enqueue(link, frame, 'rpc')) return new KeelError('UNAVAILABLE', `outbound queue to ${peer} is full`, { retryable: true, data: { peer } });
    return undefined;
  }

  /** A reply goes back on the connection its request came on, or nowhere. */
  private reply(connection: Connection, frame: Uint8Array): void {
    const link = this.linkOf(connection);
    if (link === undefined) return;
    this.enqueue(link, frame, 'rpc');
  }
}

function classOf(message: Message): MessageClass {
  return message.kind === 'heartbeat' || message.kind === 'heartbeatResp' ? 'heartbeat' : 'data';
}

