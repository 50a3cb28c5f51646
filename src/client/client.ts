/** KeelClient: the HTTP API v1 with endpoint failover, retries, and exactly-once writes. */
import {
  clientIdHeader, seqHeader,
  type CasRequest, type CasResponse, type ClusterResponse, type Consistency, type DeleteResponse, type GetResponse, type HealthResponse,
  type LeaderTransferRequest, type LeaderTransferResponse, type LeaseGrantRequest, type LeaseListResponse, type LeaseResponse,
  type LeaseRevokeResponse, type MemberAddRequest, type PutResponse, type RangeResponse, type TxnRequest, type TxnResponse, type WatchEvent,
} from '../api/wire.js';
import type { WorkerListResponse } from '../api/wire-tasks.js';
import { jsonBody } from './body.js';
import { Caller, type CallResult, type CallSpec } from './caller.js';
import { EndpointPool } from './endpoints.js';
import { JobsApi } from './jobs.js';
import { WorkerProtocol } from './worker-protocol.js';
import { KeelClientError } from './errors.js';
import { normalizeEndpoint, resolveClientOptions, type KeelClientOptions, type ResolvedClientOptions } from './options.js';
import { expectShape } from './shape.js';
import { watchEvents, type WatchOptions, type WatchSelector } from './watch.js';

export interface ReadOptions {
  /** `linearizable` (the server's default) or `serializable` (may be stale, served by any node). */
  readonly consistency?: Consistency;
}
export interface ListOptions extends ReadOptions {
  readonly limit?: number;
}
export interface PutOptions {
  /** Attach the key to this lease: it vanishes when the lease expires or is revoked. */
  readonly lease?: string;
}

type WriteSpec = Omit<CallSpec, 'headers' | 'retry'>;

const kvPath = (key: string): string => `/v1/kv/${encodeURIComponent(checkKey(key))}`;
const noop = (): void => undefined;

export class KeelClient {
  /** The session id sent with every write. */
  readonly clientId: string;
  private readonly options: ResolvedClientOptions;
  private readonly pool: EndpointPool;
  private readonly caller: Caller;
  /** Jobs: submit, status, results, events, cancel. */
  readonly jobs: JobsApi;
  /** The worker protocol (used by `keel worker`; applications rarely need it). */
  readonly workerProtocol: WorkerProtocol;
  private lastSeq = 0;
  private writeTail: Promise<void> = Promise.resolve();

  constructor(options: KeelClientOptions) {
    this.options = resolveClientOptions(options, () => crypto.randomUUID());
    this.clientId = this.options.clientId;
    this.pool = new EndpointPool(this.options.endpoints);
    this.caller = new Caller(this.options, this.pool);
    this.jobs = new JobsApi({ caller: this.caller, pool: this.pool, options: this.options, newId: () => crypto.randomUUID() });
    this.workerProtocol = new WorkerProtocol({ caller: this.caller, pool: this.pool, options: this.options, learnMembers: () => this.cluster() });
  }

  async put(key: string, value: string, options: PutOptions = {}): Promise<PutResponse> {
    checkString('value', value);
    const query = options.lease === undefined ? '' : `?lease=${encodeURIComponent(checkId('lease', options.lease))}`;
    // text/plain: the raw value is the body, and every HTTP framework parses text without setup.
    const result = await this.write({ method: 'PUT', path: `${kvPath(key)}${query}`, body: { contentType: 'text/plain; charset=utf-8', text: value } });
    return expectShape(result.body, 'put answer', { revision: 'number' }, result.endpoint);
  }

  /** The key's value and metadata, or null when the key does not exist. */
  async get(key: string, options: ReadOptions = {}): Promise<GetResponse | null> {
    const result = await this.read({ method: 'GET', path: `${kvPath(key)}${readQuery(options)}`, acceptStatuses: [404] });
    if (result.status === 404) return null;
    return expectShape(result.body, 'get answer', { key: 'string', value: 'string', revision: 'number', modRevision: 'number', createRevision: 'number', version: 'number' }, result.endpoint);
  }

  async delete(key: string): Promise<DeleteResponse> {
    const result = await this.write({ method: 'DELETE', path: kvPath(key) });
    return expectShape(result.body, 'delete answer', { revision: 'number', deleted: 'boolean' }, result.endpoint);
  }

  /** Keys under `prefix` in byte order; `more` says the limit cut the list. */
  async list(prefix: string, options: ListOptions = {}): Promise<RangeResponse> {
    checkString('prefix', prefix);
    const query = new URLSearchParams({ prefix });
    if (options.limit !== undefined) query.set('limit', String(checkPositiveInt('limit', options.limit)));
    if (options.consistency !== undefined) query.set('consistency', checkConsistency(options.consistency));
    const result = await this.read({ method: 'GET', path: `/v1/kv?${query.toString()}` });
    return expectShape(result.body, 'list answer', { revision: 'number', kvs: 'array', more: 'boolean' }, result.endpoint);
  }

  /** Sets `value` if the current value is `expect` (null: the key must be absent). */
  async cas(key: string, expect: string | null, value: string): Promise<CasResponse> {
    if (expect !== null) checkString('expect', expect);
    checkString('value', value);
    const request: CasRequest = { expect, value };
    const result = await this.write({ method: 'POST', path: `${kvPath(key)}/cas`, body: jsonBody(request) });
    return expectShape(result.body, 'cas answer', { succeeded: 'boolean', revision: 'number', value: 'string|null' }, result.endpoint);
  }

  async txn(request: TxnRequest): Promise<TxnResponse> {
    const result = await this.write({ method: 'POST', path: '/v1/txn', body: jsonBody(request) });
    return expectShape(result.body, 'txn answer', { succeeded: 'boolean', revision: 'number', results: 'array' }, result.endpoint);
  }

  async leaseGrant(ttlMs: number): Promise<LeaseResponse> {
    const request: LeaseGrantRequest = { ttlMs: checkPositiveInt('ttlMs', ttlMs) };
    const result = await this.write({ method: 'POST', path: '/v1/leases', body: jsonBody(request) });
    return expectShape(result.body, 'lease answer', { id: 'string', ttlMs: 'number' }, result.endpoint);
  }

  async leaseKeepAlive(id: string): Promise<LeaseResponse> {
    const result = await this.write({ method: 'POST', path: `/v1/leases/${encodeURIComponent(checkId('lease', id))}/keepalive` });
    return expectShape(result.body, 'keepalive answer', { id: 'string', ttlMs: 'number' }, result.endpoint);
  }

  async leaseRevoke(id: string): Promise<LeaseRevokeResponse> {
    const result = await this.write({ method: 'DELETE', path: `/v1/leases/${encodeURIComponent(checkId('lease', id))}` });
    return expectShape(result.body, 'revoke answer', { revision: 'number', deletedKeys: 'number' }, result.endpoint);
  }

  async leases(): Promise<LeaseListResponse> {
    const result = await this.read({ method: 'GET', path: '/v1/leases' });
    return expectShape(result.body, 'lease list', { leases: 'array' }, result.endpoint);
  }

  /** Changes under a prefix (or to one key) as they commit; see watch.ts for the resume rule. */
  watch(options: WatchOptions = {}): AsyncIterable<WatchEvent> {
    return watchEvents({ options: this.options, pool: this.pool, backoffMs: (i) => this.caller.backoffMs(i), currentRevision: (s) => this.currentRevision(s) }, options);
  }

  /** Members and their state; also teaches the client each member's endpoint, to follow leader hints. */
  async cluster(): Promise<ClusterResponse> {
    const result = await this.read({ method: 'GET', path: '/v1/cluster' });
    const cluster = expectShape<ClusterResponse>(result.body, 'cluster answer', { leaderId: 'string|null', term: 'number', members: 'array' }, result.endpoint);
    for (const member of cluster.members) expectShape(member, 'cluster member', { id: 'string', role: 'string', httpAddress: 'string|null' }, result.endpoint);
    this.pool.learn(cluster.members);
    return cluster;
  }

  /** Registered workers with their status and load. */
  async workersList(): Promise<WorkerListResponse> {
    const result = await this.read({ method: 'GET', path: '/v1/workers' });
    return expectShape(result.body, 'worker list', { workers: 'array' }, result.endpoint);
  }

  /** Adds a member (it joins as a learner and is promoted once caught up). */
  async addMember(request: MemberAddRequest): Promise<void> {
    checkId('member id', request.id);
    checkId('peerAddress', request.peerAddress);
    await this.caller.call({ method: 'POST', path: '/v1/cluster/members', body: jsonBody(request), retry: 'unsent' });
  }

  async removeMember(id: string): Promise<void> {
    await this.caller.call({ method: 'DELETE', path: `/v1/cluster/members/${encodeURIComponent(checkId('member id', id))}`, retry: 'unsent' });
  }

  /** Hands leadership to `to`, or to the most caught-up voter. */
  async transferLeader(to?: string): Promise<LeaderTransferResponse> {
    const request: LeaderTransferRequest = to === undefined ? {} : { to: checkId('member id', to) };
    const result = await this.caller.call({ method: 'POST', path: '/v1/cluster/leader', body: jsonBody(request), retry: 'unsent' });
    return expectShape(result.body, 'leader transfer answer', { leaderId: 'string' }, result.endpoint);
  }

  /**
   * One node's health (503 answers too: `ok` is false and `reason` says why). With an endpoint,
   * asks that node once; without, the first node that answers.
   */
  async health(endpoint?: string): Promise<HealthResponse> {
    let pinned: string | undefined;
    if (endpoint !== undefined) {
      const normalized = normalizeEndpoint(endpoint);
      if ('problem' in normalized) throw new KeelClientError('BadRequest', normalized.problem);
      pinned = normalized.endpoint;
    }
    const result = await this.caller.call({ method: 'GET', path: '/healthz', retry: 'idempotent', acceptStatuses: [503], ...(pinned === undefined ? {} : { endpoint: pinned }) });
    return expectShape(result.body, 'health answer', { ok: 'boolean', id: 'string', role: 'string', term: 'number' }, result.endpoint);
  }

  private read(spec: Omit<CallSpec, 'retry'>): Promise<CallResult> {
    return this.caller.call({ ...spec, retry: 'idempotent' });
  }

  /**
   * Writes go one at a time, each with the next seq; its retries reuse that seq so the server
   * applies it once. One at a time because the server keeps one seq per client: a later seq
   * overtaking a retry would make the retry stale (rejected).
   */
  private write(spec: WriteSpec): Promise<CallResult> {
    const run = this.writeTail.then(() => {
      this.lastSeq += 1;
      const headers = { [clientIdHeader]: this.clientId, [seqHeader]: String(this.lastSeq) };
      return this.caller.call({ ...spec, headers, retry: 'idempotent' });
    });
    // The next write waits for this one to settle; its outcome reaches the caller through `run`.
    this.writeTail = run.then(noop, noop);
    return run;
  }

  private async currentRevision(selector: WatchSelector): Promise<number> {
    const range = await this.list(selector.kind === 'key' ? selector.key : selector.prefix, { limit: 1 });
    return range.revision;
  }
}

function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new KeelClientError('BadRequest', `${name} must be a string`);
  return value;
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key === '') throw new KeelClientError('BadRequest', 'key must be a non-empty string');
  return key;
}

function checkId(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new KeelClientError('BadRequest', `${name} must be a non-empty string`);
  return value;
}

function checkPositiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new KeelClientError('BadRequest', `${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function checkConsistency(value: unknown): Consistency {
  if (value !== 'linearizable' && value !== 'serializable') throw new KeelClientError('BadRequest', `consistency must be linearizable or serializable, got ${String(value)}`);
  return value;
}

function readQuery(options: ReadOptions): string {
  return options.consistency === undefined ? '' : `?consistency=${checkConsistency(options.consistency)}`;
}
