import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Buffer } from 'node:buffer';
import type { NodeId } from '../raft/types.js';
import { nonceSizeBytes } from './limits.js';
import type { Wire } from './wire.js';

/**
 * Mutual challenge-response over the cluster secret (see docs/transport.md):
 *   dialer -> hello { from, to, nonce_d }
 *   acceptor -> challenge { from, nonce_a, proof_a = HMAC(secret, "accept", d, a, nonce_d, nonce_a) }
 *   dialer -> auth { proof_d = HMAC(secret, "dial", d, a, nonce_d, nonce_a) }
 *   acceptor -> welcome
 * Each side proves the secret over a nonce the other chose fresh, so recorded proofs are
 * useless later; the role label keeps a proof from being reflected back to its author.
 */
export type HandshakeStep =
  | { readonly kind: 'reply'; readonly wire: Wire }
  | { readonly kind: 'done'; readonly peer: NodeId; readonly reply: Wire | undefined }
  /** `auth`: a wrong proof or an unknown id (counted as authFailures), else a protocol error. */
  | { readonly kind: 'fail'; readonly reason: string; readonly auth: boolean };

export interface AcceptorRules {
  /** Whether `id` may connect to us (a known peer whose turn it is to dial). */
  isKnownPeer(id: NodeId): boolean;
  /** Whether `id` is the side that dials (one connection per pair). */
  dialsTo(id: NodeId): boolean;
}

export class DialHandshake {
  private readonly nonce = randomBytes(nonceSizeBytes);
  private state: 'start' | 'awaitChallenge' | 'awaitWelcome' = 'start';

  constructor(
    private readonly self: NodeId,
    private readonly peer: NodeId,
    private readonly secret: Uint8Array,
  ) {}

  hello(): Wire {
    this.state = 'awaitChallenge';
    return { kind: 'hello', from: this.self, to: this.peer, nonce: this.nonce };
  }

  receive(wire: Wire): HandshakeStep {
    if (this.state === 'awaitChallenge' && wire.kind === 'challenge') {
      if (wire.from !== this.peer) return fail(`expected ${this.peer} at this address, ${wire.from} answered`, false);
      const expected = proof(this.secret, 'accept', this.self, this.peer, this.nonce, wire.nonce);
      if (!proofsEqual(expected, wire.proof)) return fail(`${this.peer} did not prove the cluster secret`, true);
      this.state = 'awaitWelcome';
      return { kind: 'reply', wire: { kind: 'auth', proof: proof(this.secret, 'dial', this.self, this.peer, this.nonce, wire.nonce) } };
    }
    if (this.state === 'awaitWelcome' && wire.kind === 'welcome') return { kind: 'done', peer: this.peer, reply: undefined };
    return fail(`unexpected ${wire.kind} frame in handshake state ${this.state}`, false);
  }
}

export class AcceptHandshake {
  private readonly nonce = randomBytes(nonceSizeBytes);
  private state: { readonly kind: 'awaitHello' } | { readonly kind: 'awaitAuth'; readonly peer: NodeId; readonly peerNonce: Uint8Array } = { kind: 'awaitHello' };

  constructor(
    private readonly self: NodeId,
    private readonly secret: Uint8Array,
    private readonly rules: AcceptorRules,
  ) {}

  receive(wire: Wire): HandshakeStep {
    const state = this.state;
    if (state.kind === 'awaitHello' && wire.kind === 'hello') {
      if (wire.to !== this.self) return fail(`hello addressed to ${wire.to}, this is ${this.self}`, false);
      if (!this.rules.isKnownPeer(wire.from)) return fail(`${wire.from} is not a known peer`, true);
      if (!this.rules.dialsTo(wire.from)) return fail(`${wire.from} dialled but ${this.self} is the side that dials`, false);
      this.state = { kind: 'awaitAuth', peer: wire.from, peerNonce: wire.nonce };
      const acceptProof = proof(this.secret, 'accept', wire.from, this.self, wire.nonce, this.nonce);
      return { kind: 'reply', wire: { kind: 'challenge', from: this.self, nonce: this.nonce, proof: acceptProof } };
    }
    if (state.kind === 'awaitAuth' && wire.kind === 'auth') {
      const expected = proof(this.secret, 'dial', state.peer, this.self, state.peerNonce, this.nonce);
      if (!proofsEqual(expected, wire.proof)) return fail(`${state.peer} did not prove the cluster secret`, true);
      return { kind: 'done', peer: state.peer, reply: { kind: 'welcome' } };
    }
    return fail(`unexpected ${wire.kind} frame in handshake state ${state.kind}`, false);
  }
}

/** HMAC-SHA256 over length-prefixed parts, so no two different part lists hash the same input. */
export function proof(secret: Uint8Array, role: 'dial' | 'accept', dialer: NodeId, acceptor: NodeId, dialerNonce: Uint8Array, acceptorNonce: Uint8Array): Uint8Array {
  const hmac = createHmac('sha256', secret);
  for (const part of ['keel-transport-v1', role, dialer, acceptor, dialerNonce, acceptorNonce]) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(bytes.length, 0);
    hmac.update(length);
    hmac.update(bytes);
  }
  return hmac.digest();
}

function proofsEqual(expected: Uint8Array, received: Uint8Array): boolean {
  return expected.length === received.length && timingSafeEqual(expected, received);
}

function fail(reason: string, auth: boolean): HandshakeStep {
  return { kind: 'fail', reason, auth };
}
