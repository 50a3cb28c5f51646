import { isKeelError, KeelError } from '../core/errors.js';
import type { RpcOptions } from '../ports/transport.js';
import type { Random } from '../ports/random.js';
import type { NodeId } from '../raft/types.js';
import { backoffDelayMs } from './backoff.js';
import { methodSizeMax } from './limits.js';
import type { MutableTransportStats } from './stats.js';
import type { Wire } from './wire.js';

export interface RpcClientConfig {
  readonly rpcTimeoutMs: number;
  readonly rpcRetriesMax: number;
  readonly rpcRetryBaseMs: number;
  readonly rpcRetryCapMs: number;
  readonly rpcPendingMax: number;
  readonly random: Random;
}

/** Queues a request frame to `peer`; returns why it cannot, if it cannot. */
export type Transmit = (peer: NodeId, wire: Wire) => KeelError | undefined;

interface Pending {
  readonly peer: NodeId;
  readonly resolve: (body: Uint8Array) => void;
  readonly reject: (error: KeelError) => void;
  readonly timer: NodeJS.Timeout;
}

const timeoutMsMax = 10 * 60 * 1000;

/**
 * The calling side of RPCs. Each attempt has its own id and timer; a response is matched by id
 * and by the peer it came from. Only transient failures are retried (TIMEOUT and UNAVAILABLE
 * marked retryable, whether raised here or by the remote); other remote errors return at once.
 */
export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly sleeping = new Set<{ readonly timer: NodeJS.Timeout; readonly reject: (error: KeelError) => void }>();
  private closed = false;

  constructor(
    private readonly config: RpcClientConfig,
    private readonly stats: MutableTransportStats,
    private readonly transmit: Transmit,
  ) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  async request(peer: NodeId, method: string, body: Uint8Array, options: RpcOptions = {}): Promise<Uint8Array> {
    const timeoutMs = options.timeoutMs ?? this.config.rpcTimeoutMs;
    const retries = options.retries ?? 0;
    const problem = checkCall(method, body, timeoutMs, retries, this.config.rpcRetriesMax);
    if (problem !== undefined) throw new KeelError('BAD_REQUEST', problem);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(peer, method, body, timeoutMs);
      } catch (error) {
        if (attempt >= retries || !isTransient(error) || this.closed) throw error;
        this.stats.rpcRetries++;
        await this.sleep(backoffDelayMs(attempt, this.config.rpcRetryBaseMs, this.config.rpcRetryCapMs, this.config.random));
      }
    }
  }

  /** A response or failure frame from `peer`; unknown ids (late or foreign) are ignored. */
  settle(peer: NodeId, wire: Extract<Wire, { kind: 'response' | 'failure' }>): void {
    const pending = this.pending.get(wire.id);
    if (pending?.peer !== peer) return;
    this.finish(wire.id, pending);
    if (wire.kind === 'response') pending.resolve(wire.body);
    else pending.reject(new KeelError(wire.code, wire.message, { retryable: wire.retryable, data: wire.data }));
  }

  /** The connection to `peer` is gone: its requests can no longer be answered. */
  failPeer(peer: NodeId): void {
    for (const [id, pending] of this.pending) {
      if (pending.peer !== peer) continue;
      this.finish(id, pending);
      pending.reject(new KeelError('UNAVAILABLE', `connection to ${peer} lost with the request in flight (it may have run)`, { retryable: true, data: { peer } }));
    }
  }

  close(): void {
    this.closed = true;
    for (const [id, pending] of this.pending) {
      this.finish(id, pending);
      pending.reject(shuttingDown());
    }
    for (const sleep of this.sleeping) {
      clearTimeout(sleep.timer);
      sleep.reject(shuttingDown());
    }
    this.sleeping.clear();
  }

  private attempt(peer: NodeId, method: string, body: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(shuttingDown());
    if (this.pending.size >= this.config.rpcPendingMax) {
      return Promise.reject(new KeelError('UNAVAILABLE', `${this.pending.size} RPCs already pending (rpcPendingMax)`, { retryable: true }));
    }
    const id = this.nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.stats.rpcTimeouts++;
        reject(new KeelError('TIMEOUT', `RPC ${method} to ${peer} timed out after ${timeoutMs} ms`, { retryable: true, data: { peer, method } }));
      }, timeoutMs);
      const pending: Pending = { peer, resolve, reject, timer };
      this.pending.set(id, pending);
      const failure = this.transmit(peer, { kind: 'request', id, method, body });
      if (failure === undefined) return;
      this.finish(id, pending);
      reject(failure);
    });
  }

  private finish(id: number, pending: Pending): void {
    clearTimeout(pending.timer);
    this.pending.delete(id);
  }

  private sleep(delayMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const sleep = {
        timer: setTimeout(() => {
          this.sleeping.delete(sleep);
          resolve();
        }, delayMs),
        reject,
      };
      this.sleeping.add(sleep);
    });
  }
}

function isTransient(error: unknown): boolean {
  return (isKeelError(error, 'TIMEOUT') || isKeelError(error, 'UNAVAILABLE')) && error.retryable;
}

function shuttingDown(): KeelError {
  return new KeelError('SHUTTING_DOWN', 'transport closed', { retryable: false });
}

function checkCall(method: string, body: Uint8Array, timeoutMs: number, retries: number, retriesMax: number): string | undefined {
  if (typeof method !== 'string' || method.length === 0 || method.length > methodSizeMax) return `method must be a string of 1..${methodSizeMax} characters`;
  if (!(body instanceof Uint8Array)) return 'body must be a Uint8Array';
  if (!(Number.isSafeInteger(timeoutMs) && timeoutMs > 0 && timeoutMs <= timeoutMsMax)) return `timeoutMs must be an integer in 1..${timeoutMsMax}, got ${timeoutMs}`;
  if (!(Number.isSafeInteger(retries) && retries >= 0 && retries <= retriesMax)) return `retries must be an integer in 0..${retriesMax} (rpcRetriesMax), got ${retries}`;
  return undefined;
}
