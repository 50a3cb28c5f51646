import { assertNever } from '../core/assert.js';
import { isErrorCode } from './error-codes.js';
import { bool, bytes, Invalid, preview, record, text, uint, type Fields } from './fields.js';
import { errorMessageSizeMax, methodSizeMax, nodeIdSizeMax, nonceSizeBytes, proofSizeBytes } from './limits.js';
import { parseRaftMessage } from './raft-message.js';
import type { Wire, WireKind } from './wire.js';

const kinds: ReadonlySet<string> = new Set<WireKind>(['hello', 'challenge', 'auth', 'welcome', 'raft', 'request', 'response', 'failure']);

/** Checks a decoded frame body against the Wire union and rebuilds it; throws Invalid. */
export function parseWire(value: unknown): Wire {
  const f = record(value, 'frame body');
  const kind = f['kind'];
  if (typeof kind !== 'string' || !kinds.has(kind)) throw new Invalid(`unknown frame kind ${preview(kind)}`);
  const k = kind as WireKind;
  switch (k) {
    case 'hello':
      return { kind: k, from: text(f, 'from', nodeIdSizeMax, 1), to: text(f, 'to', nodeIdSizeMax, 1), nonce: bytes(f, 'nonce', nonceSizeBytes) };
    case 'challenge':
      return { kind: k, from: text(f, 'from', nodeIdSizeMax, 1), nonce: bytes(f, 'nonce', nonceSizeBytes), proof: bytes(f, 'proof', proofSizeBytes) };
    case 'auth':
      return { kind: k, proof: bytes(f, 'proof', proofSizeBytes) };
    case 'welcome':
      return { kind: k };
    case 'raft':
      return { kind: k, message: parseRaftMessage(f['message']) };
    case 'request':
      return { kind: k, id: uint(f, 'id'), method: text(f, 'method', methodSizeMax, 1), body: bytes(f, 'body') };
    case 'response':
      return { kind: k, id: uint(f, 'id'), body: bytes(f, 'body') };
    case 'failure':
      return failure(f);
    default:
      return assertNever(k);
  }
}

function failure(f: Fields): Wire {
  const code = f['code'];
  if (!isErrorCode(code)) throw new Invalid(`unknown error code ${preview(code)}`);
  const data = f['data'] === undefined ? {} : { ...record(f['data'], 'error data') };
  return { kind: 'failure', id: uint(f, 'id'), code, message: text(f, 'message', errorMessageSizeMax), retryable: bool(f, 'retryable'), data };
}
