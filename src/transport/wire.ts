import type { Buffer } from 'node:buffer';
import { Packr, Unpackr } from 'msgpackr';
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

// Plain maps only: no records (msgpackr's shared structures), no extension types on the way out.
const packr = new Packr({ useRecords: false, moreTypes: false });
// Decoding keeps no state between frames without `structures`, so one peer cannot shape another's.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/** The complete frame for `wire`; throws only if `wire` holds something msgpack cannot encode. */
export function encodeWire(wire: Wire): Buffer {
  return frameOf(packr.pack(wire));
}

/** Throws on anything that is not exactly one msgpack value. */
export function decodeBody(body: Uint8Array): unknown {
  return unpackr.unpack(body);
}
