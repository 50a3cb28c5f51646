/**
 * The checks of a command that need no state: sizes, counts, lease id and compare forms. Apply
 * runs them (the outcome is recorded in the session like any result); an API layer may run them
 * first to refuse a command without proposing it.
 */
import { assertNever } from '../core/assert.js';
import { isLeaseId, type KvCommand, type KvCompare, type KvPut, type KvRange, type KvTxnOp } from './commands.js';
import { utf8Length } from './keys.js';
import { keyBytesMax, leaseTtlMsMax, leaseTtlMsMin, rangeLimitMax, txnOpsMax, valueBytesMax } from './limits.js';
import { kvError, type KvErrorResult } from './results.js';

type Invalid = KvErrorResult | undefined;

/** Undefined when the command may be applied, else the error it gets. */
export function validateCommand(command: KvCommand): Invalid {
  switch (command.kind) {
    case 'noop':
    case 'leases': return undefined;
    case 'get':
    case 'delete': return validateKey(command.key);
    case 'put': return validatePut(command);
    case 'cas':
      return validateKey(command.key) ?? (command.expected === null ? undefined : validateValue(command.expected, 'expected')) ?? validateValue(command.value, 'value');
    case 'range': return validateRange(command);
    case 'txn': return validateTxn(command.compare, command.success, command.failure);
    case 'leaseGrant':
      if (!Number.isSafeInteger(command.ttlMs) || command.ttlMs < leaseTtlMsMin || command.ttlMs > leaseTtlMsMax) {
        return kvError('LEASE_TTL_INVALID', `ttlMs ${command.ttlMs} is outside ${leaseTtlMsMin}..${leaseTtlMsMax}`);
      }
      return undefined;
    case 'leaseKeepAlive':
    case 'leaseRevoke': return validateLeaseId(command.id);
    default: return assertNever(command);
  }
}

function validateKey(key: string, field = 'key'): Invalid {
  if (key.length === 0) return kvError('KEY_EMPTY', `${field} must not be empty`);
  return validateKeySize(key, field);
}

/** A prefix or `after` may be empty; they are bounded like keys. */
function validateKeySize(key: string, field: string): Invalid {
  const size = utf8Length(key);
  if (size > keyBytesMax) return kvError('KEY_TOO_LARGE', `${field} is ${size} bytes, keyBytesMax is ${keyBytesMax}`);
  return undefined;
}

function validateValue(value: string, field: string): Invalid {
  const size = utf8Length(value);
  if (size > valueBytesMax) return kvError('VALUE_TOO_LARGE', `${field} is ${size} bytes, valueBytesMax is ${valueBytesMax}`);
  return undefined;
}

function validateLeaseId(id: string): Invalid {
  if (isLeaseId(id)) return undefined;
  return kvError('COMMAND_MALFORMED', 'a lease id is a positive integer in decimal (at most 16 digits, no leading zero)');
}

function validatePut(put: KvPut): Invalid {
  return validateKey(put.key) ?? validateValue(put.value, 'value') ?? (put.lease === undefined ? undefined : validateLeaseId(put.lease));
}

function validateRange(range: KvRange): Invalid {
  const invalid = validateKeySize(range.prefix, 'prefix') ?? (range.after === undefined ? undefined : validateKeySize(range.after, 'after'));
  if (invalid !== undefined || range.limit === undefined) return invalid;
  if (!Number.isSafeInteger(range.limit) || range.limit < 1) return kvError('COMMAND_MALFORMED', `range limit must be an integer >= 1, got ${range.limit}`);
  if (range.limit > rangeLimitMax) return kvError('RANGE_LIMIT_TOO_LARGE', `range limit ${range.limit} above rangeLimitMax ${rangeLimitMax}`);
  return undefined;
}

function validateTxn(compare: readonly KvCompare[], success: readonly KvTxnOp[], failure: readonly KvTxnOp[]): Invalid {
  for (const [name, list] of [['compare', compare], ['success', success], ['failure', failure]] as const) {
    if (list.length > txnOpsMax) return kvError('TXN_TOO_LARGE', `txn has ${list.length} ${name} entries, txnOpsMax is ${txnOpsMax}`);
  }
  for (const [i, c] of compare.entries()) {
    const invalid = validateCompare(c);
    if (invalid !== undefined) return at(`compare[${i}]`, invalid);
  }
  return validateBranch(success, 'success') ?? validateBranch(failure, 'failure');
}

function validateCompare(c: KvCompare): Invalid {
  const invalid = validateKey(c.key);
  if (invalid !== undefined) return invalid;
  if (c.target === 'value') {
    if (typeof c.value === 'string') return validateValue(c.value, 'value');
    if (c.value === null && (c.op === '=' || c.op === '!=')) return undefined;
    return kvError('COMMAND_MALFORMED', "a value compare takes a string, or null with '=' or '!='");
  }
  if (typeof c.value === 'number' && Number.isSafeInteger(c.value) && c.value >= 0) return undefined;
  return kvError('COMMAND_MALFORMED', `a ${c.target} compare takes an integer >= 0`);
}

/** Each op as a command, and no key written twice (etcd: "duplicate key given in txn request"). */
function validateBranch(ops: readonly KvTxnOp[], name: string): Invalid {
  const written = new Set<string>();
  for (const [i, op] of ops.entries()) {
    const invalid = validateCommand(op);
    if (invalid !== undefined) return at(`${name}[${i}]`, invalid);
    if (op.kind !== 'put' && op.kind !== 'delete') continue;
    if (written.has(op.key)) return kvError('TXN_DUPLICATE_KEY', `${name}[${i}] writes a key an earlier op of the branch writes`);
    written.add(op.key);
  }
  return undefined;
}

function at(where: string, error: KvErrorResult): KvErrorResult {
  return kvError(error.code, `${where}: ${error.message}`);
}
