import type { Buffer } from 'node:buffer';
import { Decoder, Encoder } from '@msgpack/msgpack';
import type { ErrorCode } from '../core/errors.js';
import type { Message, NodeId } from '../raft/types.js';
import { frameOf } from './frame.js';

/**
 * What one frame body carries (msgpack maps with these fields). The first four kinds are the
 * handshake (handshake.ts); the rest flow only once both sides are authenticated.
 */
export type Wire =
  | { readonly kind: 'hello'; readonly from: NodeId; readonly to: NodeId; readonly nonce: Uint8Array }
  | { readonly kind: 'challenge'; readonly from: NodeId; readonly nonce: Uint8Array; readonly proof: Uint8Array }
  | { readonly kind: 'auth'; readonly proof: Uint8Array }
  | { readonly kind: 'welcome' }
  | { readonly kind: 'raft'; readonly message: Message }
  | { readonly kind: 'request'; readonly id: number; readonly method: string; readonly body: Uint8Array }
  | { readonly kind: 'response'; readonly id: number; readonly body: Uint8Array }
  | {
      readonly kind: 'failure';
      readonly id: number;
      readonly code: ErrorCode;
      readonly message: string;
      readonly retryable: boolean;
      readonly data: Readonly<Record<string, unknown>>;
    };

export type WireKind = Wire['kind'];

// Plain maps only; an absent optional field is left out, not sent as nil.
const encoder = new Encoder({ ignoreUndefined: true });
// Stateless between frames, so one peer cannot shape how another's frames decode.
const decoder = new Decoder();

/** The complete frame for `wire`; throws only if `wire` holds something msgpack cannot encode. */
export function encodeWire(wire: Wire): Buffer {
  return frameOf(encoder.encode(wire));
}

/** Throws on anything that is not exactly one msgpack value. */
export function decodeBody(body: Uint8Array): unknown {
  return decoder.decode(body);
}
