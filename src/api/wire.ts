/**
 * The HTTP API v1 wire types: what travels as JSON between `keel` nodes and clients (the
 * TypeScript client, the CLI, the dashboard). Types only; the routes validate every input.
 * See docs/api.md for routes, status codes and examples.
 */
import type { KeyValue } from '../kv/results.js';

/** Error codes on the wire (DESIGN.md), each with a fixed HTTP status (see `errorStatus`). */
export type ApiErrorCode =
  | 'BadRequest' | 'NotFound' | 'Conflict' | 'Compacted' | 'TooLarge' | 'QuotaExceeded'
  | 'NotLeader' | 'Unavailable' | 'Timeout' | 'ShuttingDown' | 'Internal';

export interface ApiErrorBody {
  readonly error: {
    readonly code: ApiErrorCode; readonly message: string; readonly leader?: string;
    /** The state machine's own code when it refused the request (STALE_ATTEMPT, JOB_EXISTS, WORKER_DOWN...). */
    readonly reason?: string;
  };
}

export const errorStatus: Readonly<Record<ApiErrorCode, number>> = {
  BadRequest: 400, NotFound: 404, Conflict: 409, Compacted: 410, TooLarge: 413, QuotaExceeded: 507,
  NotLeader: 421, Unavailable: 503, Timeout: 504, ShuttingDown: 503, Internal: 500,
};

/** Headers that make a retried write idempotent: same pair, applied once, first result returned. */
export const clientIdHeader = 'keel-client-id';
export const seqHeader = 'keel-seq';

export type Consistency = 'linearizable' | 'serializable';

/** A key with its revisions and, when attached, its lease: the state machine's own record. */
export type { KeyValue };

/** PUT /v1/kv/{key} (raw body = value; `?lease=ID` attaches it to a lease). */
export interface PutResponse { readonly revision: number }
/** GET /v1/kv/{key}?consistency= */
export interface GetResponse extends KeyValue { readonly revision: number }
/** DELETE /v1/kv/{key} */
export interface DeleteResponse { readonly revision: number; readonly deleted: boolean }
/** GET /v1/kv?prefix=p&limit=n&consistency= (keys in byte order) */
export interface RangeResponse { readonly revision: number; readonly kvs: readonly KeyValue[]; readonly more: boolean }
/** POST /v1/kv/{key}/cas */
export interface CasRequest { readonly expect: string | null; readonly value: string }
export interface CasResponse { readonly succeeded: boolean; readonly revision: number; readonly value: string | null }

/** POST /v1/txn: if every compare holds, run `success`, else `failure` (like etcd's Txn). */
export interface TxnRequest {
  readonly compare: readonly TxnCompare[];
  readonly success: readonly TxnOp[];
  readonly failure?: readonly TxnOp[];
}
export interface TxnCompare {
  readonly key: string;
  /** What to compare; an absent key has value null and version/revisions 0. */
  readonly target: 'value' | 'version' | 'createRevision' | 'modRevision';
  readonly op: '=' | '!=' | '<' | '>';
  readonly value: string | number | null;
}
export type TxnOp =
  | { readonly op: 'put'; readonly key: string; readonly value: string; readonly lease?: string }
  | { readonly op: 'delete'; readonly key: string }
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'range'; readonly prefix: string; readonly limit?: number };
export type TxnOpResult =
  | { readonly op: 'put'; readonly revision: number }
  | { readonly op: 'delete'; readonly deleted: boolean }
  | { readonly op: 'get'; readonly kv: KeyValue | null }
  | { readonly op: 'range'; readonly kvs: readonly KeyValue[]; readonly more: boolean };
export interface TxnResponse { readonly succeeded: boolean; readonly revision: number; readonly results: readonly TxnOpResult[] }

/** POST /v1/leases {ttlMs}; POST /v1/leases/{id}/keepalive; DELETE /v1/leases/{id}; GET /v1/leases */
export interface LeaseGrantRequest { readonly ttlMs: number }
export interface LeaseResponse { readonly id: string; readonly ttlMs: number }
export interface LeaseRevokeResponse { readonly revision: number; readonly deletedKeys: number }
export interface LeaseListResponse { readonly leases: readonly { readonly id: string; readonly ttlMs: number; readonly keys: number }[] }

/**
 * GET /v1/watch?prefix=p&fromRevision=r (or key=k) as server-sent events. Each change is an
 * event named `put` or `delete` whose id is its revision and whose data is a `WatchEvent`;
 * `compacted` (data `{ compactRevision }`) ends the stream when `fromRevision` is too old;
 * comment lines (`: ping`) keep idle connections open.
 */
export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly key: string;
  readonly revision: number;
  /** Present on put. */
  readonly kv?: KeyValue;
}

export type MemberRole = 'leader' | 'follower' | 'candidate' | 'learner' | 'unknown';
export interface MemberStatus {
  readonly id: string;
  readonly role: MemberRole;
  readonly voter: boolean;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** Since the leader last heard from this member (0 for the leader itself); null when unknown. */
  readonly lastHeartbeatMs: number | null;
  readonly healthy: boolean;
  readonly peerAddress: string;
  readonly httpAddress: string | null;
}
/** GET /v1/cluster */
export interface ClusterResponse { readonly leaderId: string | null; readonly term: number; readonly members: readonly MemberStatus[] }
/** POST /v1/cluster/members: a new member joins as a learner and is promoted once caught up. */
export interface MemberAddRequest { readonly id: string; readonly peerAddress: string; readonly httpAddress?: string; readonly learner?: boolean }
/** POST /v1/cluster/leader: hand leadership to `to` (or the most caught-up voter). */
export interface LeaderTransferRequest { readonly to?: string }
export interface LeaderTransferResponse { readonly leaderId: string }

/** GET /healthz: 200 when the node serves, 503 otherwise. */
export interface HealthResponse {
  readonly ok: boolean;
  readonly id: string;
  readonly role: MemberRole;
  readonly leaderId: string | null;
  readonly term: number;
  readonly appliedIndex: number;
  /** Why the node does not serve (recovering, diverged, no leader), when `ok` is false. */
  readonly reason?: string;
}
