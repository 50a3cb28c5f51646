/**
 * Lease expiry, decided by the leader alone and carried out through the log (the KV state
 * machine has no clock). On becoming leader every lease gets a full TTL from now (etcd's rule):
 * a lease may outlive its TTL by up to one election, but no replica ever drops it early.
 * Grants and keep-alives applied while leading restart a lease's timer; when a timer runs out
 * the leader proposes `leaseRevoke`, which deletes the attached keys on every replica.
 */
import { describeError } from '../core/errors.js';
import { decodeResult, encodeQuery } from '../kv/index.js';
import type { Clock, Timers } from '../ports/clock.js';
import type { KeelNode } from './keel-node.js';
import type { Logger } from './logger.js';

const checkEveryMs = 50;
const decoder = new TextDecoder();

export class Lessor {
  private readonly deadlines = new Map<string, number>();
  private readonly revoking = new Set<string>();
  private leading = false;
  private cancel: (() => void) | undefined;
  expired = 0;

  constructor(private readonly node: KeelNode, private readonly clock: Clock, private readonly timers: Timers, private readonly logger: Logger) {
    node.on({
      onLeaderChange: (leader) => this.onLeaderChange(leader === node.id),
      onApplied: (_entry, result) => {
        if (this.leading) this.onResult(result);
      },
    });
  }

  start(): void {
    const round = (): void => {
      this.expire();
      if (this.cancel !== undefined) this.cancel = this.timers.after(checkEveryMs, round);
    };
    this.cancel = this.timers.after(checkEveryMs, round);
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  /** Milliseconds until `id` expires on this leader (undefined when not leading or unknown). */
  remainingMs(id: string): number | undefined {
    const deadline = this.deadlines.get(id);
    return deadline === undefined ? undefined : Math.max(0, deadline - this.clock.now());
  }

  private onLeaderChange(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.deadlines.clear();
    this.revoking.clear();
    if (!leading) return;
    const listed = decodeResult(this.node.stateMachine.query(encodeQuery({ kind: 'leases' })));
    if (listed.kind !== 'leases') return;
    const now = this.clock.now();
    for (const lease of listed.leases) this.deadlines.set(lease.id, now + lease.ttlMs);
  }

  private onResult(bytes: Uint8Array): void {
    // Cheap filter before decoding: results are JSON with `kind` first, and only lease results matter.
    if (!decoder.decode(bytes.subarray(0, 16)).startsWith('{"kind":"lease')) return;
    const result = decodeResult(bytes);
    if (result.kind === 'leaseGrant' || result.kind === 'leaseKeepAlive') this.deadlines.set(result.id, this.clock.now() + result.ttlMs);
    else if (result.kind === 'leaseRevoke') {
      this.deadlines.delete(result.id);
      this.revoking.delete(result.id);
    }
  }

  private expire(): void {
    if (!this.leading) return;
    const now = this.clock.now();
    for (const [id, deadline] of this.deadlines) {
      if (deadline > now || this.revoking.has(id)) continue;
      this.revoking.add(id);
      this.expired += 1;
      this.logger.info({ lease: id }, 'lease expired: revoking it and its keys');
      void this.node.write({ command: { kind: 'leaseRevoke', id } }).then(
        (result) => {
          if (result.kind === 'error') this.deadlines.delete(id); // LEASE_NOT_FOUND: revoked already
          this.revoking.delete(id);
        },
        (error: unknown) => {
          // Not leader any more, or a timeout: the next leader (or the next round) retries.
          this.revoking.delete(id);
          this.logger.debug({ lease: id, error: describeError(error) }, 'lease revoke failed; will retry');
        },
      );
    }
  }
}
