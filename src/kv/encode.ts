/**
 * Canonical encoding of commands and results: JSON in UTF-8, built field by field in a fixed
 * order (optional fields last, only when present), so a value has exactly one encoding whatever
 * the field order of the object passed in. Unknown fields are dropped.
 */
import { assertNever } from '../core/assert.js';
import { utf8 } from '../core/bytes.js';
import type { KvCommand, KvCompare, KvEnvelope, KvQuery, KvRange, KvTxnOp } from './commands.js';
import type { KeyValue, KvResult, KvTxnOpResult } from './results.js';

export function encodeCommand(envelope: KvEnvelope): Uint8Array {
  const command = canonicalCommand(envelope.command);
  const canonical = envelope.session === undefined
    ? { command }
    : { session: { clientId: envelope.session.clientId, seq: envelope.session.seq }, command };
  return utf8(JSON.stringify(canonical));
}

/** Canonical bytes of a read for `StateMachine.query`. */
export function encodeQuery(query: KvQuery): Uint8Array {
  return encodeCommand({ command: query });
}

export function encodeResult(result: KvResult): Uint8Array {
  return utf8(resultJson(result));
}

/** The canonical JSON text of a result (also embedded in snapshots). */
export function resultJson(result: KvResult): string {
  return JSON.stringify(canonicalResult(result));
}

function canonicalCommand(command: KvCommand): KvCommand {
  switch (command.kind) {
    case 'put':
    case 'delete':
    case 'get':
    case 'range': return canonicalOp(command);
    case 'cas': return { kind: 'cas', key: command.key, expected: command.expected, value: command.value };
    case 'txn':
      return { kind: 'txn', compare: command.compare.map(canonicalCompare), success: command.success.map(canonicalOp), failure: command.failure.map(canonicalOp) };
    case 'leaseGrant': return { kind: 'leaseGrant', ttlMs: command.ttlMs };
    case 'leaseKeepAlive': return { kind: 'leaseKeepAlive', id: command.id };
    case 'leaseRevoke': return { kind: 'leaseRevoke', id: command.id };
    case 'leases': return { kind: 'leases' };
    case 'noop': return { kind: 'noop' };
    default: return assertNever(command);
  }
}

function canonicalOp(op: KvTxnOp): KvTxnOp {
  switch (op.kind) {
    case 'put': return { kind: 'put', key: op.key, value: op.value, ...(op.lease === undefined ? {} : { lease: op.lease }) };
    case 'delete': return { kind: 'delete', key: op.key };
    case 'get': return { kind: 'get', key: op.key };
    case 'range': return canonicalRange(op);
    default: return assertNever(op);
  }
}

function canonicalRange(range: KvRange): KvRange {
  return {
    kind: 'range', prefix: range.prefix,
    ...(range.limit === undefined ? {} : { limit: range.limit }),
    ...(range.after === undefined ? {} : { after: range.after }),
  };
}

function canonicalCompare(c: KvCompare): KvCompare {
  return { key: c.key, target: c.target, op: c.op, value: c.value };
}

export function canonicalKeyValue(kv: KeyValue): KeyValue {
  return {
    key: kv.key, value: kv.value, createRevision: kv.createRevision, modRevision: kv.modRevision, version: kv.version,
    ...(kv.lease === undefined ? {} : { lease: kv.lease }),
  };
}

function canonicalResult(result: KvResult): KvResult {
  switch (result.kind) {
    case 'put': return { kind: 'put', revision: result.revision };
    case 'delete': return { kind: 'delete', revision: result.revision, deleted: result.deleted };
    case 'cas': return { kind: 'cas', succeeded: result.succeeded, revision: result.revision, value: result.value };
    case 'get':
      return result.found
        ? {
          kind: 'get', revision: result.revision, found: true, value: result.value,
          createRevision: result.createRevision, modRevision: result.modRevision, version: result.version,
          ...(result.lease === undefined ? {} : { lease: result.lease }),
        }
        : { kind: 'get', revision: result.revision, found: false };
    case 'range': return { kind: 'range', revision: result.revision, kvs: result.kvs.map(canonicalKeyValue), more: result.more };
    case 'txn': return { kind: 'txn', succeeded: result.succeeded, revision: result.revision, results: result.results.map(canonicalOpResult) };
    case 'leaseGrant':
    case 'leaseKeepAlive': return { kind: result.kind, id: result.id, ttlMs: result.ttlMs };
    case 'leaseRevoke': return { kind: 'leaseRevoke', id: result.id, revision: result.revision, deletedKeys: result.deletedKeys };
    case 'leases': return { kind: 'leases', leases: result.leases.map((l) => ({ id: l.id, ttlMs: l.ttlMs, keys: l.keys })) };
    case 'noop': return { kind: 'noop', revision: result.revision };
    case 'error': return { kind: 'error', code: result.code, message: result.message };
    default: return assertNever(result);
  }
}

function canonicalOpResult(result: KvTxnOpResult): KvTxnOpResult {
  switch (result.kind) {
    case 'put': return { kind: 'put', revision: result.revision };
    case 'delete': return { kind: 'delete', deleted: result.deleted };
    case 'get': return { kind: 'get', kv: result.kv === null ? null : canonicalKeyValue(result.kv) };
    case 'range': return { kind: 'range', kvs: result.kvs.map(canonicalKeyValue), more: result.more };
    default: return assertNever(result);
  }
}
