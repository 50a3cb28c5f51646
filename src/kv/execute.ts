/**
 * Applies one decoded command to the state and returns its result. Deterministic: the outcome
 * depends only on the state, the command and the entry index (which names a granted lease).
 * Invalid input is an error result, never a throw.
 */
import { assert, assertNever } from '../core/assert.js';
import { leaseIdAt, type KvCommand } from './commands.js';
import { compareKeys } from './keys.js';
import { resultKvBytesMax } from './limits.js';
import type { KvOptions } from './options.js';
import { collectRange } from './reads.js';
import { kvError, type KvGetResult, type KvResult } from './results.js';
import type { KvState } from './state.js';
import type { KeyView } from './store.js';
import { executeTxn, runOps } from './txn.js';
import { validateCommand } from './validate.js';

type Command<K extends KvCommand['kind']> = Extract<KvCommand, { readonly kind: K }>;

export function execute(state: KvState, command: KvCommand, index: number, options: KvOptions): KvResult {
  const invalid = validateCommand(command);
  if (invalid !== undefined) return invalid;
  switch (command.kind) {
    case 'put': {
      const outcome = runOps(state, [command], options.dataBytesMax);
      return outcome.kind === 'error' ? outcome : { kind: 'put', revision: outcome.revision };
    }
    case 'delete': {
      const outcome = runOps(state, [command], options.dataBytesMax);
      if (outcome.kind === 'error') return outcome;
      const [result] = outcome.results;
      assert(result?.kind === 'delete', 'a delete op gives a delete result');
      return { kind: 'delete', revision: outcome.revision, deleted: result.deleted };
    }
    case 'cas': return onCas(state, command, options.dataBytesMax);
    case 'get': return readKey(state.store, command.key, state.revision);
    case 'range': return readRange(state, command);
    case 'txn': return executeTxn(state, command, options.dataBytesMax);
    case 'leaseGrant': return onLeaseGrant(state, command, index, options.leasesMax);
    case 'leaseKeepAlive': {
      const lease = state.leases.get(command.id);
      return lease === undefined ? leaseNotFound(command.id) : { kind: 'leaseKeepAlive', id: lease.id, ttlMs: lease.ttlMs };
    }
    case 'leaseRevoke': return onLeaseRevoke(state, command.id);
    case 'leases': return { kind: 'leases', leases: state.leases.list() };
    case 'noop': return { kind: 'noop', revision: state.revision };
    default: return assertNever(command);
  }
}

/** A get as a top-level command or query: the key with its lease, if attached. */
export function readKey(view: KeyView, key: string, revision: number): KvGetResult {
  const record = view.get(key);
  if (record === undefined) return { kind: 'get', revision, found: false };
  return {
    kind: 'get', revision, found: true,
    value: record.value, createRevision: record.createRevision, modRevision: record.modRevision, version: record.version,
    ...(record.lease === undefined ? {} : { lease: record.lease }),
  };
}

export function readRange(state: KvState, range: Command<'range'>): KvResult {
  return { kind: 'range', revision: state.revision, ...collectRange(state.store, range, { bytesLeft: resultKvBytesMax }) };
}

function onCas(state: KvState, command: Command<'cas'>, dataBytesMax: number): KvResult {
  const current = state.store.get(command.key)?.value ?? null;
  if (current !== command.expected) return { kind: 'cas', succeeded: false, revision: state.revision, value: current };
  const outcome = runOps(state, [{ kind: 'put', key: command.key, value: command.value }], dataBytesMax);
  return outcome.kind === 'error' ? outcome : { kind: 'cas', succeeded: true, revision: outcome.revision, value: command.value };
}

/** The lease id is the entry index: unique, the same on every replica, and a retry (same session) gets the stored result. */
function onLeaseGrant(state: KvState, command: Command<'leaseGrant'>, index: number, leasesMax: number): KvResult {
  if (state.leases.count >= leasesMax) return kvError('LEASE_QUOTA_EXCEEDED', `${state.leases.count} leases live, leasesMax is ${leasesMax}`);
  const id = leaseIdAt(index);
  state.leases.grant(id, command.ttlMs);
  return { kind: 'leaseGrant', id, ttlMs: command.ttlMs };
}

/** Deletes the attached keys in key order (the Set's order differs after a restore) at one revision. */
function onLeaseRevoke(state: KvState, id: string): KvResult {
  if (!state.leases.has(id)) return leaseNotFound(id);
  const keys = [...state.leases.keysOf(id)].sort(compareKeys);
  const revision = keys.length === 0 ? state.revision : state.commit(keys.map((key) => ({ key, record: null })));
  state.leases.remove(id);
  return { kind: 'leaseRevoke', id, revision, deletedKeys: keys.length };
}

function leaseNotFound(id: string) {
  return kvError('LEASE_NOT_FOUND', `lease ${id} not found`);
}
