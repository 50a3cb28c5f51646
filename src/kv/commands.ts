/**
 * Commands and results of the KV state machine, and their wire encoding.
 *
 * Commands and results are data (STYLE.md): discriminated on `kind`, readonly, no methods. New
 * kinds (range, txn, lease, watch) are added to the unions; an exhaustive `switch` elsewhere then
 * fails to compile until it handles them.
 *
 * Encoding is JSON in UTF-8, built field by field in a fixed order, so the same command or result
 * always gives the same bytes whatever the field order of the object passed in. Decoding checks
 * a closed shape and never throws: malformed input becomes an error result, because every replica
 * must apply every committed entry, including garbage, to the same outcome.
 */
import { assertNever } from '../core/assert.js';
import { fromUtf8, utf8 } from '../core/bytes.js';
import { utf8Length } from './keys.js';
import { clientIdBytesMax, commandBytesMax, keyBytesMax, resultBytesMax, valueBytesMax } from './limits.js';
import {
  ShapeError, anyObject, booleanField, closedObject, integerField, literalField, nullableStringField, stringField,
} from './shape.js';

// ---- commands ----

export type KvCommand =
  | { readonly kind: 'put'; readonly key: string; readonly value: string }
  | { readonly kind: 'delete'; readonly key: string }
  /** Sets `value` only if the current value is `expected`; `expected: null` means "key absent". */
  | { readonly kind: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string }
  /** A read through the log (linearizable without ReadIndex); `query` serves the same read locally. */
  | { readonly kind: 'get'; readonly key: string }
  | { readonly kind: 'noop' };

export type KvCommandKind = KvCommand['kind'];

/** The read-only commands `query` accepts (later: range). */
export type KvQuery = Extract<KvCommand, { readonly kind: 'get' }>;

/** A client session for exactly-once application (Raft dissertation §6.3). `seq` starts at 1. */
export interface ClientSession {
  readonly clientId: string;
  readonly seq: number;
}

/** What a log entry carries. */
export interface KvEnvelope {
  readonly session?: ClientSession;
  readonly command: KvCommand;
}

// ---- results ----

export type KvGetResult =
  | { readonly kind: 'get'; readonly revision: number; readonly found: false }
  | {
    readonly kind: 'get'; readonly revision: number; readonly found: true;
    readonly value: string; readonly createRevision: number; readonly modRevision: number; readonly version: number;
  };

/** `revision` is always the store revision after the command (unchanged when it mutated nothing). */
export type KvResult =
  | { readonly kind: 'put'; readonly revision: number }
  | { readonly kind: 'delete'; readonly revision: number; readonly deleted: boolean }
  /** `value` is the key's value after the command: the new value on success, the current one (or null) on failure. */
  | { readonly kind: 'cas'; readonly succeeded: boolean; readonly revision: number; readonly value: string | null }
  | KvGetResult
  | { readonly kind: 'noop'; readonly revision: number }
  | KvErrorResult;

export type KvResultKind = KvResult['kind'];

/** The result a command of kind `K` can produce. */
export type KvResultFor<K extends KvCommandKind> = Extract<KvResult, { readonly kind: K }> | KvErrorResult;

export type KvErrorCode =
  /** The bytes are not a command envelope (not UTF-8, not JSON, wrong shape, unknown kind or field). */
  | 'COMMAND_MALFORMED'
  /** The command bytes exceed `commandBytesMax`; not parsed. */
  | 'COMMAND_TOO_LARGE'
  | 'KEY_EMPTY'
  | 'KEY_TOO_LARGE'
  | 'VALUE_TOO_LARGE'
  /** The write would take the store's keys and values above `dataBytesMax`. */
  | 'QUOTA_EXCEEDED'
  /** The session has already applied a later seq: the client moved on, this is a stale retry. */
  | 'SESSION_EXPIRED_SEQ'
  /** `query` got a command that is not a read, or one with a session. */
  | 'QUERY_UNSUPPORTED'
  /** `decodeResult` got bytes that are not a result. */
  | 'RESULT_MALFORMED';

export interface KvErrorResult {
  readonly kind: 'error';
  readonly code: KvErrorCode;
  readonly message: string;
}

/**
 * Whether resending the same command can succeed. None can: the state machine is deterministic,
 * so the same command against the same state fails the same way. (Retryable failures such as
 * NOT_LEADER or a timeout come from the layers around it.) QUOTA_EXCEEDED may pass after deletes.
 */
export const kvErrorRetryable: Readonly<Record<KvErrorCode, boolean>> = Object.freeze({
  COMMAND_MALFORMED: false,
  COMMAND_TOO_LARGE: false,
  KEY_EMPTY: false,
  KEY_TOO_LARGE: false,
  VALUE_TOO_LARGE: false,
  QUOTA_EXCEEDED: false,
  SESSION_EXPIRED_SEQ: false,
  QUERY_UNSUPPORTED: false,
  RESULT_MALFORMED: false,
});

export function kvError(code: KvErrorCode, message: string): KvErrorResult {
  return { kind: 'error', code, message };
}

/** Result of a decoder that never throws. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: KvErrorResult };

/**
 * Checks the size limits of a well-formed command; undefined when it may be applied. Apply runs
 * it (the outcome is recorded in the session like any result); an API layer may run it first to
 * refuse a command without proposing it.
 */
export function validateCommand(command: KvCommand): KvErrorResult | undefined {
  switch (command.kind) {
    case 'noop': return undefined;
    case 'get':
    case 'delete': return validateKey(command.key);
    case 'put': return validateKey(command.key) ?? validateValue(command.value, 'value');
    case 'cas':
      return validateKey(command.key) ?? (command.expected === null ? undefined : validateValue(command.expected, 'expected')) ?? validateValue(command.value, 'value');
    default: return assertNever(command);
  }
}

function validateKey(key: string): KvErrorResult | undefined {
  if (key.length === 0) return kvError('KEY_EMPTY', 'key must not be empty');
  const size = utf8Length(key);
  if (size > keyBytesMax) return kvError('KEY_TOO_LARGE', `key is ${size} bytes, keyBytesMax is ${keyBytesMax}`);
  return undefined;
}

function validateValue(value: string, field: string): KvErrorResult | undefined {
  const size = utf8Length(value);
  if (size > valueBytesMax) return kvError('VALUE_TOO_LARGE', `${field} is ${size} bytes, valueBytesMax is ${valueBytesMax}`);
  return undefined;
}

// ---- encoding ----

/** Canonical bytes of an envelope (fields in a fixed order, unknown fields dropped). */
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
    case 'put': return { kind: 'put', key: command.key, value: command.value };
    case 'delete': return { kind: 'delete', key: command.key };
    case 'cas': return { kind: 'cas', key: command.key, expected: command.expected, value: command.value };
    case 'get': return { kind: 'get', key: command.key };
    case 'noop': return { kind: 'noop' };
    default: return assertNever(command);
  }
}

function canonicalResult(result: KvResult): KvResult {
  switch (result.kind) {
    case 'put': return { kind: 'put', revision: result.revision };
    case 'delete': return { kind: 'delete', revision: result.revision, deleted: result.deleted };
    case 'cas': return { kind: 'cas', succeeded: result.succeeded, revision: result.revision, value: result.value };
    case 'get':
      return result.found
        ? { kind: 'get', revision: result.revision, found: true, value: result.value, createRevision: result.createRevision, modRevision: result.modRevision, version: result.version }
        : { kind: 'get', revision: result.revision, found: false };
    case 'noop': return { kind: 'noop', revision: result.revision };
    case 'error': return { kind: 'error', code: result.code, message: result.message };
    default: return assertNever(result);
  }
}

// ---- decoding ----

const commandKinds: readonly KvCommandKind[] = ['put', 'delete', 'cas', 'get', 'noop'];
const resultKinds: readonly KvResultKind[] = ['put', 'delete', 'cas', 'get', 'noop', 'error'];
const errorCodes = Object.keys(kvErrorRetryable) as KvErrorCode[];

/** Decodes and validates an envelope; malformed or oversized bytes give an error, never a throw. */
export function decodeCommand(bytes: Uint8Array): Decoded<KvEnvelope> {
  if (bytes.length > commandBytesMax) {
    return { ok: false, error: kvError('COMMAND_TOO_LARGE', `command is ${bytes.length} bytes, commandBytesMax is ${commandBytesMax}`) };
  }
  try {
    return { ok: true, value: envelopeFrom(parseJson(bytes)) };
  } catch (error) {
    if (isDecodeFailure(error)) return { ok: false, error: kvError('COMMAND_MALFORMED', `malformed command: ${error.message}`) };
    throw error;
  }
}

/** Decodes and validates a result; malformed bytes give a `RESULT_MALFORMED` error result. */
export function decodeResult(bytes: Uint8Array): KvResult {
  if (bytes.length > resultBytesMax) return kvError('RESULT_MALFORMED', `result is ${bytes.length} bytes, resultBytesMax is ${resultBytesMax}`);
  try {
    return resultFrom(parseJson(bytes), 'result');
  } catch (error) {
    if (isDecodeFailure(error)) return kvError('RESULT_MALFORMED', `malformed result: ${error.message}`);
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
  const kind = literalField(closedObject(value, 'command', ['kind'], ['key', 'value', 'expected']), 'kind', 'command', commandKinds);
  const w = 'command';
  switch (kind) {
    case 'put': {
      const o = closedObject(value, w, ['kind', 'key', 'value']);
      return { kind, key: stringField(o, 'key', w), value: stringField(o, 'value', w) };
    }
    case 'delete': return { kind, key: stringField(closedObject(value, w, ['kind', 'key']), 'key', w) };
    case 'cas': {
      const o = closedObject(value, w, ['kind', 'key', 'expected', 'value']);
      return { kind, key: stringField(o, 'key', w), expected: nullableStringField(o, 'expected', w), value: stringField(o, 'value', w) };
    }
    case 'get': return { kind, key: stringField(closedObject(value, w, ['kind', 'key']), 'key', w) };
    case 'noop': closedObject(value, w, ['kind']); return { kind };
    default: return assertNever(kind);
  }
}

/** Validates a parsed result (also used for the results stored in snapshots). */
export function resultFrom(value: unknown, what: string): KvResult {
  const kind = literalField(anyObject(value, what), 'kind', what, resultKinds);
  switch (kind) {
    case 'put': return { kind, revision: integerField(closedObject(value, what, ['kind', 'revision']), 'revision', what, 0) };
    case 'delete': {
      const o = closedObject(value, what, ['kind', 'revision', 'deleted']);
      return { kind, revision: integerField(o, 'revision', what, 0), deleted: booleanField(o, 'deleted', what) };
    }
    case 'cas': {
      const o = closedObject(value, what, ['kind', 'succeeded', 'revision', 'value']);
      return { kind, succeeded: booleanField(o, 'succeeded', what), revision: integerField(o, 'revision', what, 0), value: nullableStringField(o, 'value', what) };
    }
    case 'get': return getResultFrom(value, what);
    case 'noop': return { kind, revision: integerField(closedObject(value, what, ['kind', 'revision']), 'revision', what, 0) };
    case 'error': {
      const o = closedObject(value, what, ['kind', 'code', 'message']);
      return { kind, code: literalField(o, 'code', what, errorCodes), message: stringField(o, 'message', what) };
    }
    default: return assertNever(kind);
  }
}

function getResultFrom(value: unknown, what: string): KvGetResult {
  const found = booleanField(anyObject(value, what), 'found', what);
  if (!found) return { kind: 'get', revision: integerField(closedObject(value, what, ['kind', 'revision', 'found']), 'revision', what, 0), found };
  const o = closedObject(value, what, ['kind', 'revision', 'found', 'value', 'createRevision', 'modRevision', 'version']);
  return {
    kind: 'get', revision: integerField(o, 'revision', what, 0), found,
    value: stringField(o, 'value', what),
    createRevision: integerField(o, 'createRevision', what, 1),
    modRevision: integerField(o, 'modRevision', what, 1),
    version: integerField(o, 'version', what, 1),
  };
}

