import type { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { describeError } from '../core/errors.js';
import type { NodeId } from '../raft/types.js';
import { describeInvalid } from './fields.js';
import { FrameReader } from './frame.js';
import { handshakeFrameSizeBytesMax } from './limits.js';
import type { TransportLogger } from './logger.js';
import type { MutableTransportStats } from './stats.js';
import { decodeBody, encodeWire, type Wire } from './wire.js';
import { parseWire } from './wire-parse.js';

export interface ConnectionEvents {
  wire(connection: Connection, wire: Wire): void;
  drain(connection: Connection): void;
  closed(connection: Connection): void;
}

const keepAliveDelayMs = 5_000;
const reasonSizeMax = 200;

/**
 * One socket cut into frames. Every byte a peer sends is untrusted: any frame that is too
 * large, of another version, undecodable or outside the Wire union closes this connection,
 * bumps `rejectedFrames` and is logged; nothing reaches the transport but parsed Wire values.
 */
export class Connection {
  /** Set once the handshake proved who is on the other side; lifts the frame size limit. */
  peer: NodeId | undefined;
  readonly remote: string;
  /** The last socket error, for the owner's log line when the socket closes. */
  lastError: string | undefined;
  private readonly reader = new FrameReader();
  private closing = false;

  constructor(
    private readonly socket: Socket,
    readonly role: 'dial' | 'accept',
    private readonly frameSizeBytesMax: number,
    private readonly stats: MutableTransportStats,
    private readonly logger: TransportLogger,
    private readonly events: ConnectionEvents,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, keepAliveDelayMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.events.drain(this));
    // Always followed by 'close', where the owner reacts; a listener must exist or it would throw.
    socket.on('error', (error) => {
      this.lastError = describeError(error);
      if (!this.closing && this.peer !== undefined) this.logger.info({ remote: this.remote, peer: this.peer, error: this.lastError }, 'transport socket error');
    });
    socket.on('close', () => {
      this.closing = true;
      this.events.closed(this);
    });
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** Bytes accepted by the socket but not yet handed to the kernel. */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  send(wire: Wire): void {
    this.writeFrame(encodeWire(wire));
  }

  /** Between cork and uncork, writes are gathered and leave as one writev. */
  cork(): void {
    if (!this.closing) this.socket.cork();
  }

  uncork(): void {
    if (!this.closing) this.socket.uncork();
  }

  writeFrame(frame: Uint8Array): void {
    if (this.closing) return;
    this.socket.write(frame);
    this.stats.framesOut++;
    this.stats.bytesOut += frame.length;
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.destroy();
  }

  /** Closes for a frame that breaks the protocol: counted and logged. */
  reject(reason: string): void {
    if (this.closing) return;
    this.stats.rejectedFrames++;
    // Reasons can quote peer bytes (decoder errors can echo values): bound the log line.
    this.logger.warn({ remote: this.remote, peer: this.peer, reason: reason.slice(0, reasonSizeMax) }, 'transport closed a connection on a rejected frame');
    this.close();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.stats.bytesIn += chunk.length;
    this.reader.push(chunk);
    while (!this.closing) {
      const read = this.reader.next(this.peer === undefined ? handshakeFrameSizeBytesMax : this.frameSizeBytesMax);
      if (read.kind === 'incomplete') return;
      if (read.kind === 'invalid') return this.reject(read.reason);
      this.stats.framesIn++;
      let value: unknown;
      try {
        value = decodeBody(read.body);
      } catch (error) {
        // The decoder throws plain Errors (even a stack overflow on deep nesting): all mean bad bytes.
        return this.reject(`undecodable frame: ${describeError(error)}`);
      }
      let wire: Wire;
      try {
        wire = parseWire(value);
      } catch (error) {
        return this.reject(`invalid frame: ${describeInvalid(error)}`);
      }
      this.events.wire(this, wire);
    }
  }
}
