/**
 * The rules for one kv-history v1 line (history-format.md), shared by the reader and the writer.
 * Where the spec is silent this reader is strict (docs/check.md lists each choice).
 */
import { assertNever } from '../core/assert.js';
import type { HistoryOp, OpName, OpStatus } from './history.js';

export type RecordResult =
  | { readonly kind: 'op'; readonly op: HistoryOp }
  | { readonly kind: 'invalid'; readonly problems: readonly string[] };

const knownFields: ReadonlySet<string> = new Set(['client', 'op', 'key', 'value', 'expected', 'call', 'return', 'status', 'output', 'meta']);
const opNames: ReadonlySet<string> = new Set<OpName>(['get', 'put', 'append', 'cas', 'delete']);
const statuses: ReadonlySet<string> = new Set<OpStatus>(['ok', 'fail', 'info']);

/** Validates one parsed JSON value and builds the operation, or lists every problem found. */
export function readRecord(raw: unknown): RecordResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { kind: 'invalid', problems: ['a line must be one JSON object'] };
  }
  const record = raw as Record<string, unknown>;
  const has = (field: string): boolean => Object.hasOwn(record, field);
  const problems: string[] = [];
  for (const field of Object.keys(record)) {
    if (!knownFields.has(field)) problems.push(`unknown field ${JSON.stringify(field)} (put extra data under "meta")`);
  }

  const client = record.client;
  if (!has('client')) problems.push('missing field "client"');
  else if (!(Number.isSafeInteger(client) && (client as number) >= 0)) problems.push(`"client" must be an integer >= 0, got ${show(client)}`);

  const op = record.op;
  const opValid = typeof op === 'string' && opNames.has(op);
  if (!has('op')) problems.push('missing field "op"');
  else if (!opValid) problems.push(`"op" must be one of get, put, append, cas, delete, got ${show(op)}`);

  const key = record.key;
  if (!has('key')) problems.push('missing field "key"');
  else if (typeof key !== 'string') problems.push(`"key" must be a string, got ${show(key)}`);

  const status = record.status;
  const statusValid = typeof status === 'string' && statuses.has(status);
  if (!has('status')) problems.push('missing field "status"');
  else if (!statusValid) problems.push(`"status" must be one of ok, fail, info, got ${show(status)}`);

  const call = record.call;
  const callValid = Number.isSafeInteger(call);
  if (!has('call')) problems.push('missing field "call"');
  else if (!callValid) problems.push(`"call" must be an integer of magnitude <= 2^53-1, got ${show(call)}`);

  checkReturn(record, statusValid ? (status as OpStatus) : undefined, callValid ? (call as number) : undefined, problems);
  if (opValid) checkOperands(record, op as OpName, statusValid ? (status as OpStatus) : undefined, problems);

  if (problems.length > 0) return { kind: 'invalid', problems };
  return { kind: 'op', op: build(record) };
}

/** `return`: integer or null; required (and an integer >= call) for `ok`; not checked against call for `info`. */
function checkReturn(record: Record<string, unknown>, status: OpStatus | undefined, call: number | undefined, problems: string[]): void {
  const ret = record.return;
  const present = Object.hasOwn(record, 'return');
  if (status === 'ok' && !present) {
    problems.push('missing field "return" (required when status is ok)');
    return;
  }
  if (!present) return;
  if (ret === null) {
    if (status === 'ok') problems.push('"return" must be an integer when status is ok, got null');
    return;
  }
  if (!Number.isSafeInteger(ret)) {
    problems.push(`"return" must be an integer of magnitude <= 2^53-1 or null, got ${show(ret)}`);
    return;
  }
  if (status !== 'info' && call !== undefined && (ret as number) < call) {
    problems.push(`"return" (${ret as number}) is before "call" (${call})`);
  }
}

/** `value`, `expected` and `output`, which depend on the operation (and `output` on the status). */
function checkOperands(record: Record<string, unknown>, op: OpName, status: OpStatus | undefined, problems: string[]): void {
  const has = (field: string): boolean => Object.hasOwn(record, field);
  const writesValue = op === 'put' || op === 'append' || op === 'cas';
  if (writesValue) {
    if (!has('value')) problems.push(`missing field "value" (required for ${op})`);
    else if (typeof record.value !== 'string') problems.push(`"value" must be a string, got ${show(record.value)}`);
  } else if (has('value')) {
    problems.push(`field "value" does not apply to ${op}`);
  }
  if (op === 'cas') {
    if (!has('expected')) problems.push('missing field "expected" (required for cas)');
    else if (!(typeof record.expected === 'string' || record.expected === null)) problems.push(`"expected" must be a string or null, got ${show(record.expected)}`);
  } else if (has('expected')) {
    problems.push(`field "expected" does not apply to ${op}`);
  }
  if (status !== 'ok') return; // `output` is read only for ok get and ok cas; elsewhere it is ignored.
  if (op === 'get') {
    if (!has('output')) problems.push('missing field "output" (required for an ok get: the value read, or null)');
    else if (!(typeof record.output === 'string' || record.output === null)) problems.push(`"output" of a get must be a string or null, got ${show(record.output)}`);
  } else if (op === 'cas') {
    if (!has('output')) problems.push('missing field "output" (required for an ok cas: true or false)');
    else if (typeof record.output !== 'boolean') problems.push(`"output" of a cas must be true or false, got ${show(record.output)}`);
  }
}

/** Builds the typed operation from a record that passed every check, fields in the stable order. */
function build(record: Record<string, unknown>): HistoryOp {
  const client = record.client as number;
  const key = record.key as string;
  const call = record.call as number;
  const status = record.status as OpStatus;
  // An info op's return time is ignored (+inf); keep what was written so a rewrite is faithful.
  const ret = (record.return ?? null) as number | null;
  const meta = Object.hasOwn(record, 'meta') ? { meta: record.meta } : {};
  const op = record.op as OpName;
  switch (op) {
    case 'get':
      return status === 'ok'
        ? { client, op, key, call, return: ret, status, output: record.output as string | null, ...meta }
        : { client, op, key, call, return: ret, status, ...meta };
    case 'put':
    case 'append':
      return { client, op, key, value: record.value as string, call, return: ret, status, ...meta };
    case 'delete':
      return { client, op, key, call, return: ret, status, ...meta };
    case 'cas': {
      const cas = { client, op, key, expected: record.expected as string | null, value: record.value as string, call, return: ret, status };
      return status === 'ok' ? { ...cas, output: record.output as boolean, ...meta } : { ...cas, ...meta };
    }
    default:
      return assertNever(op);
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
