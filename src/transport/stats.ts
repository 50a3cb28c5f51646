/** Counters of one transport since start; the metrics layer reads and exports them. */
export interface TransportStats {
  /** Frames and bytes (headers included) read from and written to sockets, handshakes included. */
  readonly framesIn: number;
  readonly framesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Frames that closed their connection: bad length, unknown version, undecodable or invalid content. */
  readonly rejectedFrames: number;
  /** Handshakes refused for a wrong proof or a node id outside the peer list. */
  readonly authFailures: number;
  /** Handshakes that timed out or broke the protocol (wrong order, misaddressed, wrong dial direction). */
  readonly handshakeFailures: number;
  /** Incoming sockets closed at once because too many handshakes were pending. */
  readonly rejectedConnections: number;
  /** Authenticated connections established and lost. */
  readonly connects: number;
  readonly disconnects: number;
  /** Dial attempts made after a failed attempt or a lost connection. */
  readonly reconnects: number;
  /** Outbound messages dropped: queue full, unknown peer, or too large for a frame. */
  readonly droppedMessages: number;
  /** RPC attempts that timed out, and attempts retried. */
  readonly rpcTimeouts: number;
  readonly rpcRetries: number;
}

export type MutableTransportStats = { -readonly [K in keyof TransportStats]: number };

export function createStats(): MutableTransportStats {
  return {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    rejectedFrames: 0,
    authFailures: 0,
    handshakeFailures: 0,
    rejectedConnections: 0,
    connects: 0,
    disconnects: 0,
    reconnects: 0,
    droppedMessages: 0,
    rpcTimeouts: 0,
    rpcRetries: 0,
  };
}
