/**
 * Decoding of commands and results. Checks a closed shape (unknown fields, wrong types, unknown
 * kinds are refused) and never throws on input: malformed bytes become an error result, because
 * every replica must apply every committed entry, including garbage, to the same outcome.
 * Checks that need more than JSON types (sizes, compare forms) are in validate.ts.
 */
import { assertNever } from '../core/assert.js';
import { fromUtf8 } from '../core/bytes.js';
import {
  isLeaseId, type ClientSession, type KvCommand, type KvCommandKind, type KvCompare, type KvCompareOp, type KvCompareTarget,
  type KvEnvelope, type KvRange, type KvTxnOp,
} from './commands.js';
import { clipText, utf8Length } from './keys.js';
import { clientIdBytesMax, commandBytesMax, resultBytesMax } from './limits.js';
import {
  kvError, kvErrorRetryable, type Decoded, type KeyValue, type KvErrorCode, type KvGetResult, type KvLeaseInfo, type KvResult,
  type KvResultKind, type KvTxnOpResult,
} from './results.js';
import {
  ShapeError, anyObject, arrayField, booleanField, closedObject, integerField, literalField, nullableStringField, optionalField,
  stringField, type JsonObject,
} from './shape.js';

const commandKinds: readonly KvCommandKind[] = ['put', 'delete', 'cas', 'get', 'range', 'txn', 'leaseGrant', 'leaseKeepAlive', 'leaseRevoke', 'leases', 'noop'];
const opKinds: readonly KvTxnOp['kind'][] = ['put', 'delete', 'get', 'range'];
const compareTargets: readonly KvCompareTarget[] = ['value', 'version', 'createRevision', 'modRevision'];
const compareOps: readonly KvCompareOp[] = ['=', '!=', '<', '>'];
const resultKinds: readonly KvResultKind[] = [...commandKinds, 'error'];
const errorCodes = Object.keys(kvErrorRetryable) as KvErrorCode[];
/** Of a decode failure's message, in UTF-16 units. */
const messageLengthMax = 256;

/** Decodes an envelope; malformed or oversized bytes give an error, never a throw. */
export function decodeCommand(bytes: Uint8Array): Decoded<KvEnvelope> {
  if (bytes.length > commandBytesMax) {
    return { ok: false, error: kvError('COMMAND_TOO_LARGE', `command is ${bytes.length} bytes, commandBytesMax is ${commandBytesMax}`) };
  }
  try {
    return { ok: true, value: envelopeFrom(parseJson(bytes)) };
  } catch (error) {
    // The message may quote input (a field name, a JSON snippet): clipped, it stays small and well-formed.
    if (isDecodeFailure(error)) return { ok: false, error: kvError('COMMAND_MALFORMED', `malformed command: ${clipText(error.message, messageLengthMax)}`) };
    throw error;
  }
}

/** Decodes and validates a result; malformed bytes give a `RESULT_MALFORMED` error result. */
export function decodeResult(bytes: Uint8Array): KvResult {
  if (bytes.length > resultBytesMax) return kvError('RESULT_MALFORMED', `result is ${bytes.length} bytes, resultBytesMax is ${resultBytesMax}`);
  try {
    return resultFrom(parseJson(bytes), 'result');
  } catch (error) {
    if (isDecodeFailure(error)) return kvError('RESULT_MALFORMED', `malformed result: ${clipText(error.message, messageLengthMax)}`);
    throw error;
  }
}

/** Bytes to a JSON value; throws TypeError (not UTF-8) or SyntaxError (not JSON). */
export function parseJson(bytes: Uint8Array): unknown {
  return JSON.parse(fromUtf8(bytes)) as unknown;
}

/**
 * The errors decoding may raise: our ShapeError, SyntaxError from JSON.parse and TypeError from
 * the fatal UTF-8 decoder. Anything else (an AssertionError) is a bug and is rethrown.
 */
export function isDecodeFailure(error: unknown): error is Error {
  return error instanceof ShapeError || error instanceof SyntaxError || error instanceof TypeError;
}

/** A lease id in canonical decimal form. */
export function leaseIdField(object: JsonObject, field: string, what: string): string {
  const id = stringField(object, field, what);
  if (!isLeaseId(id)) throw new ShapeError(`${what}.${field} is not a lease id`);
  return id;
}

function envelopeFrom(value: unknown): KvEnvelope {
  const object = closedObject(value, 'envelope', ['command'], ['session']);
  const command = commandFrom(object['command']);
  if (object['session'] === undefined) return { command };
  return { session: sessionFrom(object['session']), command };
}

function sessionFrom(value: unknown): ClientSession {
  const object = closedObject(value, 'session', ['clientId', 'seq']);
  const clientId = stringField(object, 'clientId', 'session');
  if (clientId.length === 0) throw new ShapeError('session.clientId must not be empty');
  if (utf8Length(clientId) > clientIdBytesMax) throw new ShapeError(`session.clientId exceeds clientIdBytesMax (${clientIdBytesMax} bytes)`);
  return { clientId, seq: integerField(object, 'seq', 'session', 1) };
}

function commandFrom(value: unknown): KvCommand {
  const w = 'command';
  const kind = literalField(anyObject(value, w), 'kind', w, commandKinds);
  switch (kind) {
    case 'put':
    case 'delete':
    case 'get':
    case 'range': return opFrom(value, w);
    case 'cas': {
      const o = closedObject(value, w, ['kind', 'key', 'expected', 'value']);
      return { kind, key: stringField(o, 'key', w), expected: nullableStringField(o, 'expected', w), value: stringField(o, 'value', w) };
    }
    case 'txn': {
      const o = closedObject(value, w, ['kind', 'compare', 'success', 'failure']);
      return {
        kind,
        compare: arrayField(o, 'compare', w).map((c, i) => compareFrom(c, `${w}.compare[${i}]`)),
        success: arrayField(o, 'success', w).map((op, i) => opFrom(op, `${w}.success[${i}]`)),
        failure: arrayField(o, 'failure', w).map((op, i) => opFrom(op, `${w}.failure[${i}]`)),
      };
    }
    case 'leaseGrant': return { kind, ttlMs: integerField(closedObject(value, w, ['kind', 'ttlMs']), 'ttlMs', w, 0) };
    case 'leaseKeepAlive': return { kind, id: stringField(closedObject(value, w, ['kind', 'id']), 'id', w) };
    case 'leaseRevoke': return { kind, id: stringField(closedObject(value, w, ['kind', 'id']), 'id', w) };
    case 'leases': closedObject(value, w, ['kind']); return { kind };
    case 'noop': closedObject(value, w, ['kind']); return { kind };
    default: return assertNever(kind);
  }
}

function opFrom(value: unknown, w: string): KvTxnOp {
  const kind = literalField(anyObject(value, w), 'kind', w, opKinds);
  switch (kind) {
    case 'put': {
      const o = closedObject(value, w, ['kind', 'key', 'value'], ['lease']);
      const lease = optionalField(o, 'lease', (object, field) => stringField(object, field, w));
      return { kind, key: stringField(o, 'key', w), value: stringField(o, 'value', w), ...(lease === undefined ? {} : { lease }) };
    }
    case 'delete': return { kind, key: stringField(closedObject(value, w, ['kind', 'key']), 'key', w) };
    case 'get': return { kind, key: stringField(closedObject(value, w, ['kind', 'key']), 'key', w) };
    case 'range': return rangeFrom(value, w);
    default: return assertNever(kind);
  }
}

function rangeFrom(value: unknown, w: string): KvRange {
  const o = closedObject(value, w, ['kind', 'prefix'], ['limit', 'after']);
  const limit = optionalField(o, 'limit', (object, field) => integerField(object, field, w, 1));
  const after = optionalField(o, 'after', (object, field) => stringField(object, field, w));
  return {
    kind: 'range', prefix: stringField(o, 'prefix', w),
    ...(limit === undefined ? {} : { limit }), ...(after === undefined ? {} : { after }),
  };
}

/** JSON types only; which value fits which target is checked by validateCommand. */
function compareFrom(value: unknown, w: string): KvCompare {
  const o = closedObject(value, w, ['key', 'target', 'op', 'value']);
  const raw = o['value'];
  if (raw !== null && typeof raw !== 'number' && typeof raw !== 'string') throw new ShapeError(`${w}.value must be a string, a number or null`);
  return {
    key: stringField(o, 'key', w), target: literalField(o, 'target', w, compareTargets), op: literalField(o, 'op', w, compareOps),
    value: typeof raw === 'string' ? stringField(o, 'value', w) : raw,
  };
}

/** Validates a parsed result (also used for the results stored in snapshots). */
export function resultFrom(value: unknown, what: string): KvResult {
  const kind = literalField(anyObject(value, what), 'kind', what, resultKinds);
  const w = what;
  switch (kind) {
    case 'put': return { kind, revision: integerField(closedObject(value, w, ['kind', 'revision']), 'revision', w, 0) };
    case 'delete': {
      const o = closedObject(value, w, ['kind', 'revision', 'deleted']);
      return { kind, revision: integerField(o, 'revision', w, 0), deleted: booleanField(o, 'deleted', w) };
    }
    case 'cas': {
      const o = closedObject(value, w, ['kind', 'succeeded', 'revision', 'value']);
      return { kind, succeeded: booleanField(o, 'succeeded', w), revision: integerField(o, 'revision', w, 0), value: nullableStringField(o, 'value', w) };
    }
    case 'get': return getResultFrom(value, w);
    case 'range': {
      const o = closedObject(value, w, ['kind', 'revision', 'kvs', 'more']);
      return { kind, revision: integerField(o, 'revision', w, 0), kvs: keyValuesFrom(o, w), more: booleanField(o, 'more', w) };
    }
    case 'txn': {
      const o = closedObject(value, w, ['kind', 'succeeded', 'revision', 'results']);
      return {
        kind, succeeded: booleanField(o, 'succeeded', w), revision: integerField(o, 'revision', w, 0),
        results: arrayField(o, 'results', w).map((r, i) => opResultFrom(r, `${w}.results[${i}]`)),
      };
    }
    case 'leaseGrant':
    case 'leaseKeepAlive': {
      const o = closedObject(value, w, ['kind', 'id', 'ttlMs']);
      return { kind, id: leaseIdField(o, 'id', w), ttlMs: integerField(o, 'ttlMs', w, 0) };
    }
    case 'leaseRevoke': {
      const o = closedObject(value, w, ['kind', 'id', 'revision', 'deletedKeys']);
      return { kind, id: leaseIdField(o, 'id', w), revision: integerField(o, 'revision', w, 0), deletedKeys: integerField(o, 'deletedKeys', w, 0) };
    }
    case 'leases': {
      const o = closedObject(value, w, ['kind', 'leases']);
      return { kind, leases: arrayField(o, 'leases', w).map((l, i) => leaseInfoFrom(l, `${w}.leases[${i}]`)) };
    }
    case 'noop': return { kind, revision: integerField(closedObject(value, w, ['kind', 'revision']), 'revision', w, 0) };
    case 'error': {
      const o = closedObject(value, w, ['kind', 'code', 'message']);
      return { kind, code: literalField(o, 'code', w, errorCodes), message: stringField(o, 'message', w) };
    }
    default: return assertNever(kind);
  }
}

function getResultFrom(value: unknown, w: string): KvGetResult {
  const found = booleanField(anyObject(value, w), 'found', w);
  if (!found) return { kind: 'get', revision: integerField(closedObject(value, w, ['kind', 'revision', 'found']), 'revision', w, 0), found };
  const o = closedObject(value, w, ['kind', 'revision', 'found', 'value', 'createRevision', 'modRevision', 'version'], ['lease']);
  const lease = optionalField(o, 'lease', (object, field) => leaseIdField(object, field, w));
  return {
    kind: 'get', revision: integerField(o, 'revision', w, 0), found,
    value: stringField(o, 'value', w),
    createRevision: integerField(o, 'createRevision', w, 1),
    modRevision: integerField(o, 'modRevision', w, 1),
    version: integerField(o, 'version', w, 1),
    ...(lease === undefined ? {} : { lease }),
  };
}

function opResultFrom(value: unknown, w: string): KvTxnOpResult {
  const kind = literalField(anyObject(value, w), 'kind', w, opKinds);
  switch (kind) {
    case 'put': return { kind, revision: integerField(closedObject(value, w, ['kind', 'revision']), 'revision', w, 1) };
    case 'delete': return { kind, deleted: booleanField(closedObject(value, w, ['kind', 'deleted']), 'deleted', w) };
    case 'get': {
      const kv = closedObject(value, w, ['kind', 'kv'])['kv'];
      return { kind, kv: kv === null ? null : keyValueFrom(kv, `${w}.kv`) };
    }
    case 'range': {
      const o = closedObject(value, w, ['kind', 'kvs', 'more']);
      return { kind, kvs: keyValuesFrom(o, w), more: booleanField(o, 'more', w) };
    }
    default: return assertNever(kind);
  }
}

function keyValuesFrom(o: JsonObject, w: string): KeyValue[] {
  return arrayField(o, 'kvs', w).map((kv, i) => keyValueFrom(kv, `${w}.kvs[${i}]`));
}

export function keyValueFrom(value: unknown, w: string): KeyValue {
  const o = closedObject(value, w, ['key', 'value', 'createRevision', 'modRevision', 'version'], ['lease']);
  const lease = optionalField(o, 'lease', (object, field) => leaseIdField(object, field, w));
  return {
    key: stringField(o, 'key', w), value: stringField(o, 'value', w),
    createRevision: integerField(o, 'createRevision', w, 1), modRevision: integerField(o, 'modRevision', w, 1), version: integerField(o, 'version', w, 1),
    ...(lease === undefined ? {} : { lease }),
  };
}

function leaseInfoFrom(value: unknown, w: string): KvLeaseInfo {
  const o = closedObject(value, w, ['id', 'ttlMs', 'keys']);
  return { id: leaseIdField(o, 'id', w), ttlMs: integerField(o, 'ttlMs', w, 0), keys: integerField(o, 'keys', w, 0) };
}
