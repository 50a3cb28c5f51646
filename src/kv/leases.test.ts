/** Leases: ids from the log, keepalive, revoke deleting attached keys at one revision, attachment rules. */
import { describe, expect, it } from 'vitest';
import { isKeelError } from '../core/errors.js';
import { KvStateMachine } from './kv-state-machine.js';
import { Driver, cas, del, put, session, txn } from './kv.test-kit.js';
import { leaseTtlMsMax, leaseTtlMsMin } from './limits.js';

const revoke = (id: string) => ({ kind: 'leaseRevoke' as const, id });
const keepAlive = (id: string) => ({ kind: 'leaseKeepAlive' as const, id });

describe('leases', () => {
  it('take the granting entry index as id and report it with the TTL on grant and keepalive', () => {
    const d = new Driver();
    d.run(put('x', '1'));
    expect(d.run({ kind: 'leaseGrant', ttlMs: 3000 })).toEqual({ kind: 'leaseGrant', id: '2', ttlMs: 3000 });
    expect(d.run(keepAlive('2'))).toEqual({ kind: 'leaseKeepAlive', id: '2', ttlMs: 3000 });
    expect(d.run(keepAlive('1'))).toMatchObject({ kind: 'error', code: 'LEASE_NOT_FOUND' });
    expect(d.machine.revision).toBe(1); // lease operations spend no revision
  });

  it('a retried grant (same session) returns the same id and grants nothing more', () => {
    const d = new Driver();
    const first = d.run({ kind: 'leaseGrant', ttlMs: 3000 }, session('c1', 1));
    expect(d.run({ kind: 'leaseGrant', ttlMs: 3000 }, session('c1', 1))).toEqual(first);
    expect(d.machine.leaseCount).toBe(1);
    expect(d.query({ kind: 'leases' })).toEqual({ kind: 'leases', leases: [{ id: '1', ttlMs: 3000, keys: 0 }] });
  });

  it('bound the TTL and the number of live leases', () => {
    const d = new Driver({ leasesMax: 2 });
    for (const ttlMs of [leaseTtlMsMin - 1, leaseTtlMsMax + 1, 0]) {
      expect(d.run({ kind: 'leaseGrant', ttlMs })).toMatchObject({ kind: 'error', code: 'LEASE_TTL_INVALID' });
    }
    expect(d.run({ kind: 'leaseGrant', ttlMs: 1.5 })).toMatchObject({ kind: 'error', code: 'COMMAND_MALFORMED' });
    const a = d.grant(leaseTtlMsMin);
    d.grant(leaseTtlMsMax);
    expect(d.run({ kind: 'leaseGrant', ttlMs: 1000 })).toMatchObject({ kind: 'error', code: 'LEASE_QUOTA_EXCEEDED' });
    d.run(revoke(a));
    expect(d.run({ kind: 'leaseGrant', ttlMs: 1000 })).toMatchObject({ kind: 'leaseGrant' });
  });

  it('revoke deletes every attached key at one new revision, in key order, and removes the lease', () => {
    const d = new Driver();
    const lease = d.grant(); // id "1"
    const other = d.grant(); // id "2"
    d.run(put('z', '1', lease));
    d.run(put('a', '2', lease));
    d.run(put('m', '3', other));
    d.run(put('free', '4'));
    expect(d.query({ kind: 'leases' })).toEqual({ kind: 'leases', leases: [{ id: '1', ttlMs: 5000, keys: 2 }, { id: '2', ttlMs: 5000, keys: 1 }] });
    expect(d.run(revoke(lease))).toEqual({ kind: 'leaseRevoke', id: lease, revision: 5, deletedKeys: 2 });
    expect(d.get('a').found).toBe(false);
    expect(d.get('z').found).toBe(false);
    expect(d.get('m')).toMatchObject({ found: true, lease: other });
    expect(d.get('free').found).toBe(true);
    expect(d.machine.eventsSince(5, { kind: 'prefix', prefix: '' }, 10)).toEqual({
      kind: 'events', nextRevision: 6, events: [{ type: 'delete', revision: 5, key: 'a' }, { type: 'delete', revision: 5, key: 'z' }],
    });
    expect(d.run(revoke(lease))).toMatchObject({ kind: 'error', code: 'LEASE_NOT_FOUND' });
    expect(d.run(put('q', 'v', lease))).toMatchObject({ kind: 'error', code: 'LEASE_NOT_FOUND' });
  });

  it('revoke of a lease without keys spends no revision', () => {
    const d = new Driver();
    const lease = d.grant();
    expect(d.run(revoke(lease))).toEqual({ kind: 'leaseRevoke', id: lease, revision: 0, deletedKeys: 0 });
    expect(d.machine.leaseCount).toBe(0);
  });

  it('a put without lease, a cas or a delete detaches the key; a put with another lease moves it', () => {
    const d = new Driver();
    const a = d.grant();
    const b = d.grant();
    for (const key of ['k1', 'k2', 'k3', 'k4']) d.run(put(key, 'v', a));
    d.run(put('k1', 'v')); // detached
    d.run(cas('k2', 'v', 'w')); // detached: a cas writes without lease
    d.run(del('k3'));
    d.run(txn([], [put('k4', 'v', b)])); // moved
    expect(d.get('k1')).not.toHaveProperty('lease');
    expect(d.get('k4')).toMatchObject({ lease: b });
    expect(d.query({ kind: 'leases' })).toMatchObject({ leases: [{ id: a, keys: 0 }, { id: b, keys: 1 }] });
    expect(d.run(revoke(a))).toMatchObject({ deletedKeys: 0 });
    expect(d.get('k1').found).toBe(true);
    expect(d.run(revoke(b))).toMatchObject({ deletedKeys: 1 });
    expect(d.get('k4').found).toBe(false);
  });

  it('refuses malformed lease ids as COMMAND_MALFORMED', () => {
    const d = new Driver();
    for (const id of ['0', '01', '-1', 'abc', '', '12345678901234567', '1.0']) {
      expect(d.run(keepAlive(id)), id).toMatchObject({ kind: 'error', code: 'COMMAND_MALFORMED' });
      expect(d.run(put('k', 'v', id)), id).toMatchObject({ kind: 'error', code: 'COMMAND_MALFORMED' });
    }
  });

  it('revoke deletes the same keys in the same order on a replica restored from a snapshot', () => {
    const build = () => {
      const d = new Driver();
      const lease = d.grant();
      for (const key of ['c', 'a', 'b']) d.run(put(key, 'v', lease));
      d.run(put('a', 'again', lease)); // re-attach: a moves to the end of the lease's Set
      return d;
    };
    const live = build();
    const restored = new Driver();
    restored.machine.restore(build().machine.snapshot(), live.machine.appliedIndex);
    live.run(revoke('1'));
    restored.run(revoke('1'));
    expect(restored.machine.snapshot()).toEqual(live.machine.snapshot());
    expect(live.machine.eventsSince(5, { kind: 'prefix', prefix: '' }, 10)).toMatchObject({ events: [{ key: 'a' }, { key: 'b' }, { key: 'c' }] });
  });

  it('a snapshot with more leases than leasesMax does not restore', () => {
    const d = new Driver();
    d.grant();
    d.grant();
    const m = new KvStateMachine({ leasesMax: 1 });
    let caught: unknown;
    try {
      m.restore(d.machine.snapshot(), d.machine.appliedIndex);
    } catch (error) {
      caught = error;
    }
    expect(isKeelError(caught, 'CONFIG_INVALID')).toBe(true);
  });
});
