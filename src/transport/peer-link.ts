import type { NodeId } from '../raft/types.js';
import type { HostPort } from './address.js';
import type { Connection } from './connection.js';
import { OutboundQueue } from './outbound-queue.js';

/**
 * Everything this node holds for one peer: where it is, whether we dial it, the authenticated
 * connection (at most one), the socket being dialled, the reconnect timer and the outbound queue.
 */
export class PeerLink {
  connection: Connection | undefined;
  dialing: Connection | undefined;
  reconnectTimer: NodeJS.Timeout | undefined;
  /** Dial attempts since the last successful handshake; drives the backoff. */
  failedAttempts = 0;
  removed = false;
  /** A flush is queued for the end of this turn (batching frames into one write). */
  flushScheduled = false;
  readonly queue: OutboundQueue;

  constructor(
    readonly id: NodeId,
    public address: HostPort,
    /** One connection per pair: the smaller id dials, the larger accepts. */
    readonly dials: boolean,
    queueCountMax: number,
    queueSizeBytesMax: number,
  ) {
    this.queue = new OutboundQueue(queueCountMax, queueSizeBytesMax);
  }

  /** Moves queued frames into the socket until it holds `socketBufferSizeBytesMax`; 'drain' resumes. */
  flush(socketBufferSizeBytesMax: number): void {
    const connection = this.connection;
    if (connection === undefined || connection.isClosing) return;
    connection.cork();
    try {
      while (connection.bufferedBytes < socketBufferSizeBytesMax) {
        const item = this.queue.shift();
        if (item === undefined) return;
        connection.writeFrame(item.frame);
      }
    } finally {
      connection.uncork();
    }
  }

  cancelReconnect(): void {
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }
}

/** The connection rule, in one place: of two ids, the smaller (UTF-16 code unit order) dials. */
export function dialsTo(self: NodeId, peer: NodeId): boolean {
  return self < peer;
}
