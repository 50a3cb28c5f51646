/**
 * Live leases and the keys attached to each. Expiry is not decided here (the state machine has no
 * clock): the leader's lessor proposes a leaseRevoke when a lease's timer runs out. See docs/kv.md.
 *
 * Ids are the indexes of the granting entries, which strictly increase, so the Map's insertion
 * order is numeric id order on every replica (asserted in `grant`); listing needs no sort. The
 * keys of one lease are a Set whose order depends on history (a restored replica rebuilds it in
 * key order), so whoever iterates it for output must sort.
 */
import { assert } from '../core/assert.js';
import type { KvLeaseInfo } from './results.js';

export interface Lease {
  readonly id: string;
  readonly ttlMs: number;
}

interface LiveLease extends Lease {
  readonly keys: Set<string>;
}

export class LeaseTable {
  private readonly leases = new Map<string, LiveLease>();
  private lastIdNumber = 0;

  /** From leases in increasing id order (a validated snapshot); keys are attached afterwards. */
  static from(leases: readonly Lease[]): LeaseTable {
    const table = new LeaseTable();
    for (const lease of leases) table.grant(lease.id, lease.ttlMs);
    return table;
  }

  get count(): number {
    return this.leases.size;
  }

  get(id: string): Lease | undefined {
    return this.leases.get(id);
  }

  has(id: string): boolean {
    return this.leases.has(id);
  }

  /** Keys attached to the lease, in no particular order. */
  keysOf(id: string): ReadonlySet<string> {
    return this.live(id).keys;
  }

  grant(id: string, ttlMs: number): void {
    const idNumber = Number(id);
    assert(idNumber > this.lastIdNumber, `lease ${id} granted after lease ${this.lastIdNumber}: ids must increase`);
    this.leases.set(id, { id, ttlMs, keys: new Set() });
    this.lastIdNumber = idNumber;
  }

  attach(id: string, key: string): void {
    const keys = this.live(id).keys;
    assert(!keys.has(key), `key ${JSON.stringify(key)} attached twice to lease ${id}`);
    keys.add(key);
  }

  detach(id: string, key: string): void {
    assert(this.live(id).keys.delete(key), `key ${JSON.stringify(key)} detached from lease ${id} it was not attached to`);
  }

  /** Removes a lease whose keys have all been detached (deleted). */
  remove(id: string): void {
    assert(this.live(id).keys.size === 0, `lease ${id} removed with keys still attached`);
    this.leases.delete(id);
  }

  /** Leases in id order, with their key counts. */
  list(): KvLeaseInfo[] {
    return [...this.leases.values()].map((l) => ({ id: l.id, ttlMs: l.ttlMs, keys: l.keys.size }));
  }

  private live(id: string): LiveLease {
    const lease = this.leases.get(id);
    assert(lease !== undefined, `lease ${id} is not live`);
    return lease;
  }
}
