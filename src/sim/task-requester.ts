/**
 * Requests from a simulated worker or client to the cluster: a task command or query sent to the
 * node believed to lead (else a random one), retried on a refusal or a timeout until a result
 * comes back. A retried command may apply twice; the state machine makes that harmless (a
 * duplicate `complete` is acknowledged with `duplicate: true`, a duplicate submit is JOB_EXISTS).
 */
import type { Random } from '../ports/random.js';
import type { NodeId } from '../raft/types.js';
import type { TaskCommand, TaskQuery, TaskQueryResult, TaskResult } from '../tasks/index.js';
import type { TaskQueryReply, TaskReply } from './sim-node.js';

export interface RequesterHost {
  readonly random: Random;
  readonly nodeIds: readonly NodeId[];
  /** Sends over the simulated network; the reply comes back over it too (or never). */
  request(from: string, node: NodeId, command: TaskCommand, reply: (r: TaskReply) => void): void;
  query(from: string, node: NodeId, query: TaskQuery, reply: (r: TaskQueryReply) => void): void;
}

/** The owner's gate: a timer or reply runs only while the owner is alive, and waits while it is paused. */
export interface RequesterOwner {
  readonly endpoint: string;
  after(delayMs: number, run: () => void): void;
  enter(run: () => void): void;
}

const requestTimeoutMs = 300;
const refusedRetryMs = 25;

export class TaskRequester {
  private leaderHint: NodeId | undefined;

  constructor(private readonly host: RequesterHost, private readonly owner: RequesterOwner) {}

  send(command: TaskCommand, onResult: (result: TaskResult) => void): void {
    this.retrying<TaskResult>((node, reply) => this.host.request(this.owner.endpoint, node, command, reply), onResult);
  }

  query(query: TaskQuery, onResult: (result: TaskQueryResult) => void): void {
    this.retrying<TaskQueryResult>((node, reply) => this.host.query(this.owner.endpoint, node, query, reply), onResult);
  }

  private retrying<R>(
    call: (node: NodeId, reply: (r: { readonly kind: 'ok'; readonly result: R } | { readonly kind: 'fail'; readonly leader: NodeId | undefined }) => void) => void,
    onResult: (result: R) => void,
  ): void {
    let settled = false;
    let tries = 0;
    const attempt = (): void => {
      if (settled) return;
      tries += 1;
      const mine = tries;
      const target = this.leaderHint ?? this.host.nodeIds[this.host.random.int(this.host.nodeIds.length)]!;
      call(target, (reply) => this.owner.enter(() => {
        if (settled) return;
        if (reply.kind === 'fail') {
          this.leaderHint = reply.leader !== target ? reply.leader : undefined;
          if (tries === mine) this.owner.after(refusedRetryMs, () => { if (tries === mine) attempt(); });
          return;
        }
        this.leaderHint = target;
        settled = true;
        onResult(reply.result);
      }));
      this.owner.after(requestTimeoutMs, () => {
        if (settled || tries !== mine) return;
        this.leaderHint = undefined;
        attempt();
      });
    };
    attempt();
  }
}
