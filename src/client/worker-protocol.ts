/**
 * The worker's side of the protocol (docs/api.md, "Worker protocol"): register with any node,
 * heartbeat and hold a lease stream at the leader (a follower answers NotLeader naming it, and
 * the pool follows), and report checkpoints and results through any node. Completing or failing
 * an attempt twice is safe (the second answer says `duplicate`), so all of them retry.
 */
import type {
  CheckpointRequest, CheckpointResponse, CompleteRequest, CompleteResponse, FailRequest, FailResponse, HeartbeatResponse,
  RegisterWorkerRequest, RegisterWorkerResponse, WorkerStreamEvent,
} from '../api/wire-tasks.js';
import { jsonBody } from './body.js';
import type { Caller } from './caller.js';
import type { EndpointPool } from './endpoints.js';
import { KeelClientError, isKeelClientError } from './errors.js';
import { eventData, eventStream } from './event-stream.js';
import type { ResolvedClientOptions } from './options.js';
import { expectShape } from './shape.js';

export interface WorkerProtocolDeps {
  readonly caller: Caller;
  readonly pool: EndpointPool;
  readonly options: ResolvedClientOptions;
  /** Refreshes the pool's member endpoints (GET /v1/cluster), so NotLeader hints can be followed. */
  readonly learnMembers: () => Promise<unknown>;
}

const taskPath = (taskId: string): string => {
  const slash = taskId.indexOf('/');
  return `/v1/tasks/${encodeURIComponent(taskId.slice(0, slash))}/${encodeURIComponent(taskId.slice(slash + 1))}`;
};

export class WorkerProtocol {
  constructor(private readonly deps: WorkerProtocolDeps) {}

  async register(request: RegisterWorkerRequest): Promise<RegisterWorkerResponse> {
    const result = await this.deps.caller.call({ method: 'POST', path: '/v1/workers', body: jsonBody(request), retry: 'idempotent' });
    return expectShape(result.body, 'register answer', { workerId: 'string' }, result.endpoint);
  }

  /** One heartbeat, sent to the leader (learned from NotLeader answers); a single quick attempt per endpoint. */
  async heartbeat(workerId: string, timeoutMs: number): Promise<HeartbeatResponse> {
    const endpoint = this.deps.pool.preferred;
    try {
      const result = await this.deps.caller.call({ method: 'POST', path: `/v1/workers/${encodeURIComponent(workerId)}/heartbeat`, retry: 'unsent', endpoint, timeoutMs });
      this.deps.pool.succeeded(endpoint);
      return expectShape(result.body, 'heartbeat answer', { status: 'string' }, result.endpoint);
    } catch (error) {
      await this.moveOn(endpoint, error);
      throw error;
    }
  }

  /** The lease stream from the leader: yields events until it ends; throws on errors (the caller reconnects). */
  async *leases(workerId: string, signal: AbortSignal): AsyncGenerator<WorkerStreamEvent, void, undefined> {
    const endpoint = this.deps.pool.preferred;
    try {
      for await (const sse of eventStream(endpoint, `/v1/workers/${encodeURIComponent(workerId)}/stream`, {
        connectTimeoutMs: this.deps.options.timeoutMs, idleTimeoutMs: this.deps.options.watchIdleTimeoutMs, signal,
      })) {
        this.deps.pool.succeeded(endpoint);
        yield expectShape<WorkerStreamEvent>(eventData(sse, endpoint), `${sse.event} event`, { type: 'string' }, endpoint);
      }
    } catch (error) {
      if (!signal.aborted) await this.moveOn(endpoint, error);
      throw error;
    }
  }

  async checkpoint(taskId: string, request: CheckpointRequest): Promise<CheckpointResponse> {
    const result = await this.deps.caller.call({ method: 'POST', path: `${taskPath(taskId)}/checkpoint`, body: jsonBody(request), retry: 'idempotent' });
    return expectShape(result.body, 'checkpoint answer', { taskId: 'string', attempt: 'number' }, result.endpoint);
  }

  async complete(taskId: string, request: CompleteRequest): Promise<CompleteResponse> {
    const result = await this.deps.caller.call({ method: 'POST', path: `${taskPath(taskId)}/complete`, body: jsonBody(request), retry: 'idempotent' });
    return expectShape(result.body, 'complete answer', { taskId: 'string', duplicate: 'boolean' }, result.endpoint);
  }

  async fail(taskId: string, request: FailRequest): Promise<FailResponse> {
    const result = await this.deps.caller.call({ method: 'POST', path: `${taskPath(taskId)}/fail`, body: jsonBody(request), retry: 'idempotent' });
    return expectShape(result.body, 'fail answer', { taskId: 'string', duplicate: 'boolean' }, result.endpoint);
  }

  /** After a failure at `endpoint`: the leader it named, else the next node; learn member endpoints once per miss. */
  private async moveOn(endpoint: string, error: unknown): Promise<void> {
    const hint = isKeelClientError(error) ? error.leader : undefined;
    let next = this.deps.pool.next(endpoint, hint);
    if (hint !== undefined && next !== endpoint && !this.deps.pool.knows(hint)) {
      await this.deps.learnMembers().catch(() => undefined);
      next = this.deps.pool.next(endpoint, hint);
    }
    this.deps.pool.succeeded(next);
  }
}

export function isStaleAttempt(error: unknown): boolean {
  return error instanceof KeelClientError && error.reason === 'STALE_ATTEMPT';
}
