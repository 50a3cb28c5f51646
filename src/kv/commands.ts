/**
 * Commands of the KV state machine: what a log entry carries. Results are in results.ts, the
 * encoding in encode.ts and decode.ts, the size checks in validate.ts.
 *
 * Commands are data (STYLE.md): discriminated on `kind`, readonly, no methods. A new kind is
 * added to the union; an exhaustive `switch` elsewhere then fails to compile until it handles it.
 */
import { leaseIdDigitsMax } from './limits.js';

/** `lease` attaches the key to a live lease; a put without it detaches the key from any lease. */
export interface KvPut {
  readonly kind: 'put';
  readonly key: string;
  readonly value: string;
  readonly lease?: string;
}

export interface KvDelete {
  readonly kind: 'delete';
  readonly key: string;
}

export interface KvGet {
  readonly kind: 'get';
  readonly key: string;
}

/** Keys starting with `prefix` ('' for all), in UTF-8 byte order, after `after` if given (paging). */
export interface KvRange {
  readonly kind: 'range';
  readonly prefix: string;
  /** 1..rangeLimitMax; rangeLimitMax when absent. */
  readonly limit?: number;
  /** Only keys ordered after this one: the last key of the previous page. */
  readonly after?: string;
}

/** An operation inside a txn: the same shapes as the top-level commands. */
export type KvTxnOp = KvPut | KvDelete | KvGet | KvRange;

export type KvCompareTarget = 'value' | 'version' | 'createRevision' | 'modRevision';
export type KvCompareOp = '=' | '!=' | '<' | '>';

/**
 * A txn condition on one key. An absent key has value null and version and revisions 0. `value`
 * is a string or null for target 'value' (null only with '=' or '!='), a non-negative integer
 * for the others.
 */
export interface KvCompare {
  readonly key: string;
  readonly target: KvCompareTarget;
  readonly op: KvCompareOp;
  readonly value: string | number | null;
}

export type KvCommand =
  | KvPut
  | KvDelete
  /** Sets `value` (without lease) only if the current value is `expected`; `expected: null` means "key absent". */
  | { readonly kind: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string }
  /** A read through the log (linearizable without ReadIndex); `query` serves the same read locally. */
  | KvGet
  | KvRange
  /** If every compare holds, runs `success`, else `failure`; all writes share one new revision. */
  | {
    readonly kind: 'txn'; readonly compare: readonly KvCompare[];
    readonly success: readonly KvTxnOp[]; readonly failure: readonly KvTxnOp[];
  }
  /** A new lease whose id is the index of the entry that grants it, as a decimal string. */
  | { readonly kind: 'leaseGrant'; readonly ttlMs: number }
  /** Applied so the leader's lessor restarts the lease's timer; changes nothing here. */
  | { readonly kind: 'leaseKeepAlive'; readonly id: string }
  /** Deletes the lease and every key attached to it (at one new revision if there are any). */
  | { readonly kind: 'leaseRevoke'; readonly id: string }
  /** Lists live leases (for a new leader's lessor). */
  | { readonly kind: 'leases' }
  | { readonly kind: 'noop' };

export type KvCommandKind = KvCommand['kind'];

/** The read-only commands `query` accepts. */
export type KvQuery = Extract<KvCommand, { readonly kind: 'get' | 'range' | 'leases' }>;

/** A client session for exactly-once application (Raft dissertation §6.3). `seq` starts at 1. */
export interface ClientSession {
  readonly clientId: string;
  readonly seq: number;
}

/** What a log entry carries. */
export interface KvEnvelope {
  readonly session?: ClientSession;
  readonly command: KvCommand;
}

const leaseIdPattern = new RegExp(`^[1-9][0-9]{0,${leaseIdDigitsMax - 1}}$`);

/** Whether `id` is a lease id in canonical form: a positive safe integer in decimal, no leading zero. */
export function isLeaseId(id: string): boolean {
  return leaseIdPattern.test(id) && Number.isSafeInteger(Number(id));
}

/** The id of the lease granted by the entry at `index`. */
export function leaseIdAt(index: number): string {
  return String(index);
}
