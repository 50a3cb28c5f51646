/**
 * Results of the KV state machine and its error codes. Field names follow the HTTP wire types
 * (src/api/wire.ts) so the API maps them one to one; discriminants are `kind` (`type` for events).
 */
import type { KvCommandKind } from './commands.js';

/** A key with its revisions; `lease` only when the key is attached to one. */
export interface KeyValue {
  readonly key: string;
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  readonly lease?: string;
}

export type KvGetResult =
  | { readonly kind: 'get'; readonly revision: number; readonly found: false }
  | {
    readonly kind: 'get'; readonly revision: number; readonly found: true;
    readonly value: string; readonly createRevision: number; readonly modRevision: number; readonly version: number;
    readonly lease?: string;
  };

/** `more`: keys matched beyond those returned (by `limit` or by resultKvBytesMax); page on with `after`. */
export interface KvRangeResult {
  readonly kind: 'range';
  readonly revision: number;
  readonly kvs: readonly KeyValue[];
  readonly more: boolean;
}

/** The result of one txn op, in op order. A put's revision is the txn's. */
export type KvTxnOpResult =
  | { readonly kind: 'put'; readonly revision: number }
  | { readonly kind: 'delete'; readonly deleted: boolean }
  | { readonly kind: 'get'; readonly kv: KeyValue | null }
  | { readonly kind: 'range'; readonly kvs: readonly KeyValue[]; readonly more: boolean };

export interface KvLeaseInfo {
  readonly id: string;
  readonly ttlMs: number;
  /** Keys attached. */
  readonly keys: number;
}

/** `revision` is always the store revision after the command (unchanged when it mutated nothing). */
export type KvResult =
  | { readonly kind: 'put'; readonly revision: number }
  | { readonly kind: 'delete'; readonly revision: number; readonly deleted: boolean }
  /** `value` is the key's value after the command: the new value on success, the current one (or null) on failure. */
  | { readonly kind: 'cas'; readonly succeeded: boolean; readonly revision: number; readonly value: string | null }
  | KvGetResult
  | KvRangeResult
  | { readonly kind: 'txn'; readonly succeeded: boolean; readonly revision: number; readonly results: readonly KvTxnOpResult[] }
  | { readonly kind: 'leaseGrant'; readonly id: string; readonly ttlMs: number }
  | { readonly kind: 'leaseKeepAlive'; readonly id: string; readonly ttlMs: number }
  | { readonly kind: 'leaseRevoke'; readonly id: string; readonly revision: number; readonly deletedKeys: number }
  /** Sorted by id as a number (= grant order). */
  | { readonly kind: 'leases'; readonly leases: readonly KvLeaseInfo[] }
  | { readonly kind: 'noop'; readonly revision: number }
  | KvErrorResult;

export type KvResultKind = KvResult['kind'];

/** The result a command of kind `K` can produce (every command kind names its result kind). */
export type KvResultFor<K extends KvCommandKind> = Extract<KvResult, { readonly kind: K }> | KvErrorResult;

export type KvErrorCode =
  /** The bytes are not a command envelope (not UTF-8, not JSON, wrong shape, unknown kind or field). */
  | 'COMMAND_MALFORMED'
  /** The command bytes exceed `commandBytesMax`; not parsed. */
  | 'COMMAND_TOO_LARGE'
  | 'KEY_EMPTY'
  | 'KEY_TOO_LARGE'
  | 'VALUE_TOO_LARGE'
  /** A range `limit` above rangeLimitMax. */
  | 'RANGE_LIMIT_TOO_LARGE'
  /** A txn with more than txnOpsMax compares, success ops or failure ops. */
  | 'TXN_TOO_LARGE'
  /** A txn branch writes (puts or deletes) the same key twice; etcd refuses it too. */
  | 'TXN_DUPLICATE_KEY'
  /** The gets of a txn do not fit resultKvBytesMax; nothing was applied. */
  | 'RESULT_TOO_LARGE'
  /** The write would take the store's keys and values above `dataBytesMax`. */
  | 'QUOTA_EXCEEDED'
  /** No live lease has this id (never granted, revoked, or expired through a revoke). */
  | 'LEASE_NOT_FOUND'
  /** A lease TTL outside leaseTtlMsMin..leaseTtlMsMax. */
  | 'LEASE_TTL_INVALID'
  /** A grant beyond `leasesMax` live leases. */
  | 'LEASE_QUOTA_EXCEEDED'
  /** The session has already applied a later seq: the client moved on, this is a stale retry. */
  | 'SESSION_EXPIRED_SEQ'
  /** `query` got a command that is not a read, or one with a session. */
  | 'QUERY_UNSUPPORTED'
  /** `decodeResult` got bytes that are not a result. */
  | 'RESULT_MALFORMED';

export interface KvErrorResult {
  readonly kind: 'error';
  readonly code: KvErrorCode;
  readonly message: string;
}

/**
 * Whether resending the same command can succeed. None can: the state machine is deterministic,
 * so the same command against the same state fails the same way. (Retryable failures such as
 * NOT_LEADER or a timeout come from the layers around it.) The quota errors and LEASE_NOT_FOUND
 * depend on the state, so they may pass later, after other commands; that is not a retry.
 */
export const kvErrorRetryable: Readonly<Record<KvErrorCode, boolean>> = Object.freeze({
  COMMAND_MALFORMED: false,
  COMMAND_TOO_LARGE: false,
  KEY_EMPTY: false,
  KEY_TOO_LARGE: false,
  VALUE_TOO_LARGE: false,
  RANGE_LIMIT_TOO_LARGE: false,
  TXN_TOO_LARGE: false,
  TXN_DUPLICATE_KEY: false,
  RESULT_TOO_LARGE: false,
  QUOTA_EXCEEDED: false,
  LEASE_NOT_FOUND: false,
  LEASE_TTL_INVALID: false,
  LEASE_QUOTA_EXCEEDED: false,
  SESSION_EXPIRED_SEQ: false,
  QUERY_UNSUPPORTED: false,
  RESULT_MALFORMED: false,
});

export function kvError(code: KvErrorCode, message: string): KvErrorResult {
  return { kind: 'error', code, message };
}

/** Result of a decoder that never throws. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: KvErrorResult };
