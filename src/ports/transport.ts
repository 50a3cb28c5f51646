/**
 * How a node talks to its peers: one-way Raft messages and request/response RPCs (forwarded
 * client requests, digest checks). The TCP implementation lives in src/transport; the simulator
 * has its own network. Delivery is best effort: Raft retransmits, RPC callers retry.
 */
import type { Message, NodeId } from '../raft/types.js';

export interface RpcOptions {
  /** Per attempt; the call fails with code Timeout after the last attempt. */
  readonly timeoutMs?: number;
  /** Extra attempts after the first (with exponential backoff and jitter); 0 for non-idempotent calls. */
  readonly retries?: number;
}

/** A handler for one RPC method; a thrown KeelError travels back to the caller with its code. */
export type RpcHandler = (from: NodeId, body: Uint8Array) => Promise<Uint8Array>;

export interface PeerTransport {
  /** Fire-and-forget; dropped if the peer is unknown, unreachable or its queue is full. */
  send(message: Message): void;
  /** Called for every Raft message received from an authenticated peer. */
  onMessage(handler: (message: Message) => void): void;
  /** Calls `method` on `peer`; rejects with a KeelError (Timeout, Unavailable, or the remote's code). */
  request(peer: NodeId, method: string, body: Uint8Array, options?: RpcOptions): Promise<Uint8Array>;
  handle(method: string, handler: RpcHandler): void;
  /** Adds or replaces a peer's address (membership changes). */
  setPeer(id: NodeId, address: string): void;
  removePeer(id: NodeId): void;
  close(): Promise<void>;
}
