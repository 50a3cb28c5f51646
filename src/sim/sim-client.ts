/**
 * Simulated clients: each runs one operation at a time over the simulated network and records it
 * in kv-history v1 (shared/history-format.md). A write that gets no answer is retried with the
 * same session (clientId, seq), so the state machine's exactly-once rule is exercised; a reply of
 * failure is recorded as `fail` only when no other attempt of the same op can still take effect.
 * An op that never settles is `info` and retires the logical client id, as the format requires.
 */
import { AssertionError } from '../core/assert.js';
import type { HistoryOp } from '../check/index.js';
import type { KvCommand } from '../kv/index.js';
import type { Random } from '../ports/random.js';
import type { NodeId } from '../raft/types.js';
import type { ClientReply } from './sim-node.js';

export interface ClientHost {
  readonly now: () => number;
  readonly random: Random;
  readonly nodeIds: readonly NodeId[];
  /** Sends a request to a node over the network; `reply` arrives over the network too. */
  request(clientEndpoint: string, node: NodeId, command: KvCommand, session: { clientId: string; seq: number } | undefined, reply: (r: ClientReply) => void): void;
  schedule(delayMs: number, run: () => void): void;
  record(op: HistoryOp): void;
  nextLogicalClient(): number;
  keyFor(random: Random): string;
  readonly stopIssuingAtMs: number;
}

const toNs = (ms: number): number => Math.round(ms * 1_000_000);
const ATTEMPTS_MAX = 3;

export class SimClient {
  private logical: number;
  private seq = 0;
  private counter = 0;
  private leaderHint: NodeId | undefined;

  constructor(private readonly host: ClientHost, readonly endpoint: string, private readonly timeoutMs: number) {
    this.logical = host.nextLogicalClient();
  }

  start(): void {
    this.host.schedule(this.host.random.next() * 20, () => this.issue());
  }

  /** Issues one op now: a random one, or `command` (the final reads), then `onDone`. */
  issue(command?: KvCommand, onDone?: () => void): void {
    if (command === undefined && this.host.now() >= this.host.stopIssuingAtMs) return;
    const cmd = command ?? this.randomCommand();
    const session = cmd.kind === 'get' ? undefined : { clientId: `c${this.logical}`, seq: ++this.seq };
    const call = this.host.now();
    let finished = false;
    let attempts = 0;
    let target: NodeId = this.pickTarget();
    const finish = (fields: Record<string, unknown>): void => {
      if (finished) return;
      finished = true;
      const { error, ...outcome } = fields;
      this.host.record({ client: this.logical, call: toNs(call), ...opFields(cmd), ...outcome, meta: { node: target, attempts, ...(error === undefined ? {} : { error }) } } as unknown as HistoryOp);
      if (fields.status === 'info') {
        this.logical = this.host.nextLogicalClient();
        this.seq = 0;
        this.leaderHint = undefined;
      }
      if (onDone) onDone();
      else this.host.schedule(20 + this.host.random.next() * 40, () => this.issue());
    };
    const attempt = (): void => {
      attempts += 1;
      const mine = attempts;
      this.host.request(this.endpoint, target, cmd, session, (reply) => {
        if (finished) return;
        const ret = toNs(this.host.now());
        if (reply.kind === 'fail') {
          this.leaderHint = reply.leader !== target ? reply.leader : undefined;
          // Definite only if no earlier attempt of this op may still be applied.
          if (mine === 1 && attempts === 1) return finish({ status: 'fail', return: ret });
          return retry();
        }
        this.leaderHint = target;
        const result = reply.result;
        switch (result.kind) {
          case 'get': return finish({ status: 'ok', return: ret, output: result.found ? result.value : null });
          case 'cas': return finish({ status: 'ok', return: ret, output: result.succeeded });
          case 'put':
          case 'delete':
          case 'noop': return finish({ status: 'ok', return: ret });
          case 'error': return finish({ status: attempts === 1 ? 'fail' : 'info', return: attempts === 1 ? ret : null, error: result.code });
          default: throw new AssertionError(`unexpected ${result.kind} result for a register operation`);
        }
      });
      this.host.schedule(this.timeoutMs / ATTEMPTS_MAX, () => {
        if (!finished && attempts === mine) retry();
      });
    };
    const retry = (): void => {
      if (attempts >= ATTEMPTS_MAX) return finish({ status: 'info', return: null });
      target = this.leaderHint ?? this.host.nodeIds[this.host.random.int(this.host.nodeIds.length)]!;
      attempt();
    };
    attempt();
  }

  private pickTarget(): NodeId {
    return this.leaderHint ?? this.host.nodeIds[this.host.random.int(this.host.nodeIds.length)]!;
  }

  private randomCommand(): KvCommand {
    const key = this.host.keyFor(this.host.random);
    const value = `c${this.logical}-${++this.counter}`;
    const roll = this.host.random.next();
    if (roll < 0.4) return { kind: 'get', key };
    if (roll < 0.7) return { kind: 'put', key, value };
    if (roll < 0.92) return { kind: 'cas', key, expected: this.host.random.next() < 0.3 ? null : `c${this.host.random.int(Math.max(1, this.logical))}-${1 + this.host.random.int(Math.max(1, this.counter))}`, value };
    return { kind: 'delete', key };
  }
}

function opFields(cmd: KvCommand): Record<string, unknown> {
  switch (cmd.kind) {
    case 'get': return { op: 'get', key: cmd.key };
    case 'put': return { op: 'put', key: cmd.key, value: cmd.value };
    case 'delete': return { op: 'delete', key: cmd.key };
    case 'cas': return { op: 'cas', key: cmd.key, expected: cmd.expected, value: cmd.value };
    case 'noop': return { op: 'get', key: '' };
    // The simulated clients issue only the register operations above (see randomCommand).
    default: throw new AssertionError(`the simulator's clients never issue ${cmd.kind}`);
  }
}
