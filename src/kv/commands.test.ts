import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../core/bytes.js';
import type { KvCommand, KvCompare, KvEnvelope, KvPut, KvRange, KvTxnOp } from './commands.js';
import { decodeCommand, decodeResult } from './decode.js';
import { encodeCommand, encodeResult } from './encode.js';
import { kvErrorRetryable, type KeyValue, type KvErrorCode, type KvResult, type KvTxnOpResult } from './results.js';
import { validateCommand } from './validate.js';
import { commandBytesMax, keyBytesMax, valueBytesMax } from './limits.js';

const text = fc.string({ unit: 'grapheme', maxLength: 8 });
const leaseId = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }).map(String);
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** Drops undefined fields, as exactOptionalPropertyTypes wants absent fields absent. */
const defined = (o: object): unknown => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const putOp = fc.record({ kind: fc.constant('put' as const), key: text, value: text, lease: optional(leaseId) }).map((o) => defined(o) as KvPut);
const rangeOp = fc.record({ kind: fc.constant('range' as const), prefix: text, limit: optional(fc.integer({ min: 1 })), after: optional(text) }).map((o) => defined(o) as KvRange);
const op: fc.Arbitrary<KvTxnOp> = fc.oneof(
  putOp,
  fc.record({ kind: fc.constant('delete' as const), key: text }),
  fc.record({ kind: fc.constant('get' as const), key: text }),
  rangeOp,
);
const compare: fc.Arbitrary<KvCompare> = fc.record({
  key: text, target: fc.constantFrom('value' as const, 'version' as const, 'createRevision' as const, 'modRevision' as const),
  op: fc.constantFrom('=' as const, '!=' as const, '<' as const, '>' as const), value: fc.oneof(fc.option(text, { nil: null }), fc.nat()),
});
const command: fc.Arbitrary<KvCommand> = fc.oneof(
  op,
  fc.record({ kind: fc.constant('cas' as const), key: text, expected: fc.option(text, { nil: null }), value: text }),
  fc.record({ kind: fc.constant('txn' as const), compare: fc.array(compare, { maxLength: 3 }), success: fc.array(op, { maxLength: 3 }), failure: fc.array(op, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('leaseGrant' as const), ttlMs: fc.nat() }),
  fc.record({ kind: fc.constant('leaseKeepAlive' as const), id: text }),
  fc.record({ kind: fc.constant('leaseRevoke' as const), id: text }),
  fc.constant({ kind: 'leases' as const }),
  fc.constant({ kind: 'noop' as const }),
);
const envelope: fc.Arbitrary<KvEnvelope> = fc.oneof(
  command.map((c) => ({ command: c })),
  fc.record({ session: fc.record({ clientId: text.filter((s) => s.length > 0), seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) }), command }),
);
const revision = fc.nat();
const keyValue: fc.Arbitrary<KeyValue> = fc.record({
  key: text, value: text, createRevision: fc.integer({ min: 1 }), modRevision: fc.integer({ min: 1 }), version: fc.integer({ min: 1 }), lease: optional(leaseId),
}).map((o) => defined(o) as KeyValue);
const kvs = fc.array(keyValue, { maxLength: 3 });
const opResult: fc.Arbitrary<KvTxnOpResult> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), revision: fc.integer({ min: 1 }) }),
  fc.record({ kind: fc.constant('delete' as const), deleted: fc.boolean() }),
  fc.record({ kind: fc.constant('get' as const), kv: fc.option(keyValue, { nil: null }) }),
  fc.record({ kind: fc.constant('range' as const), kvs, more: fc.boolean() }),
);
const result: fc.Arbitrary<KvResult> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), revision }),
  fc.record({ kind: fc.constant('delete' as const), revision, deleted: fc.boolean() }),
  fc.record({ kind: fc.constant('cas' as const), succeeded: fc.boolean(), revision, value: fc.option(text, { nil: null }) }),
  fc.record({ kind: fc.constant('get' as const), revision, found: fc.constant(false as const) }),
  fc.record({
    kind: fc.constant('get' as const), revision, found: fc.constant(true as const), value: text,
    createRevision: fc.integer({ min: 1 }), modRevision: fc.integer({ min: 1 }), version: fc.integer({ min: 1 }), lease: optional(leaseId),
  }).map((o) => defined(o) as KvResult),
  fc.record({ kind: fc.constant('range' as const), revision, kvs, more: fc.boolean() }),
  fc.record({ kind: fc.constant('txn' as const), succeeded: fc.boolean(), revision, results: fc.array(opResult, { maxLength: 3 }) }),
  fc.record({ kind: fc.constantFrom('leaseGrant' as const, 'leaseKeepAlive' as const), id: leaseId, ttlMs: fc.nat() }),
  fc.record({ kind: fc.constant('leaseRevoke' as const), id: leaseId, revision, deletedKeys: fc.nat() }),
  fc.record({ kind: fc.constant('leases' as const), leases: fc.array(fc.record({ id: leaseId, ttlMs: fc.nat(), keys: fc.nat() }), { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('noop' as const), revision }),
  fc.record({ kind: fc.constant('error' as const), code: fc.constantFrom<KvErrorCode>(...(Object.keys(kvErrorRetryable) as KvErrorCode[])), message: text }),
);

function malformed(json: string): string {
  const decoded = decodeCommand(utf8(json));
  if (decoded.ok) throw new Error(`accepted ${json}`);
  return decoded.error.code;
}

describe('command encoding', () => {
  it('round-trips every envelope', () => {
    fc.assert(fc.property(envelope, (e) => {
      expect(decodeCommand(encodeCommand(e))).toEqual({ ok: true, value: e });
    }));
  });

  it('is canonical: field order of the input object does not change the bytes', () => {
    const a = encodeCommand({ session: { clientId: 'c', seq: 1 }, command: { kind: 'cas', key: 'k', expected: null, value: 'v' } });
    const reordered = { command: { value: 'v', expected: null, key: 'k', kind: 'cas' }, session: { seq: 1, clientId: 'c' } } as unknown as KvEnvelope;
    expect(encodeCommand(reordered)).toEqual(a);
    expect(new TextDecoder().decode(a)).toBe('{"session":{"clientId":"c","seq":1},"command":{"kind":"cas","key":"k","expected":null,"value":"v"}}');
  });

  it('reports malformed input as COMMAND_MALFORMED, never a throw', () => {
    const cases = [
      '', 'not json', '[]', 'null', '{}', '{"command":null}',
      '{"command":{"kind":"pot","key":"k","value":"v"}}', // unknown kind
      '{"command":{"kind":"put","key":"k"}}', // missing value
      '{"command":{"kind":"put","key":"k","value":1}}', // wrong type
      '{"command":{"kind":"put","key":"k","value":"v","extra":1}}', // unknown field (closed schema)
      '{"command":{"kind":"delete","key":"k","value":"v"}}', // field of another kind
      '{"command":{"kind":"noop"},"extra":true}',
      '{"command":{"kind":"noop"},"session":{"clientId":"c","seq":0}}',
      '{"command":{"kind":"noop"},"session":{"clientId":"c","seq":1.5}}',
      '{"command":{"kind":"noop"},"session":{"clientId":"","seq":1}}',
      '{"command":{"kind":"noop"},"session":{"clientId":"c"}}',
      '{"command":{"kind":"noop"},"session":null}',
      '{"command":{"kind":"get","key":"\\ud800"}}', // lone surrogate: would not survive UTF-8
      '{"command":{"kind":"get","key":"k"},"__proto__":{}}',
      '{"command":{"kind":"put","key":"k","value":"v","lease":5}}', // lease ids are strings
      '{"command":{"kind":"range"}}',
      '{"command":{"kind":"range","prefix":"p","limit":0}}',
      '{"command":{"kind":"range","prefix":"p","limit":1.5}}',
      '{"command":{"kind":"range","prefix":"p","after":null}}',
      '{"command":{"kind":"txn","compare":[],"success":[]}}', // failure is required
      '{"command":{"kind":"txn","compare":{},"success":[],"failure":[]}}',
      '{"command":{"kind":"txn","compare":[],"success":[{"kind":"cas","key":"k","expected":null,"value":"v"}],"failure":[]}}', // not a txn op
      '{"command":{"kind":"txn","compare":[],"success":[{"kind":"txn","compare":[],"success":[],"failure":[]}],"failure":[]}}', // no nesting
      '{"command":{"kind":"txn","compare":[{"key":"k","target":"lease","op":"=","value":1}],"success":[],"failure":[]}}',
      '{"command":{"kind":"txn","compare":[{"key":"k","target":"value","op":">=","value":"v"}],"success":[],"failure":[]}}',
      '{"command":{"kind":"txn","compare":[{"key":"k","target":"value","op":"=","value":true}],"success":[],"failure":[]}}',
      '{"command":{"kind":"txn","compare":[{"key":"k","target":"value","op":"="}],"success":[],"failure":[]}}',
      '{"command":{"kind":"leaseGrant","ttlMs":-1}}',
      '{"command":{"kind":"leaseGrant","ttlMs":"5000"}}',
      '{"command":{"kind":"leaseRevoke"}}',
      '{"command":{"kind":"leaseKeepAlive","id":7}}',
      '{"command":{"kind":"leases","prefix":""}}',
    ];
    for (const json of cases) expect(malformed(json), json).toBe('COMMAND_MALFORMED');
    const notUtf8 = decodeCommand(new Uint8Array([0x7b, 0xff, 0x7d]));
    expect(notUtf8.ok ? undefined : notUtf8.error.code).toBe('COMMAND_MALFORMED');
  });

  it('keeps the message of a malformed command small and well-formed, whatever it quotes', () => {
    const field = `${'f'.repeat(1_000_000)}\ud800`;
    const decoded = decodeCommand(utf8(JSON.stringify({ command: { kind: 'noop', [field]: 1 } })));
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.error.message.length).toBeLessThan(400);
    expect(decodeResult(encodeResult(decoded.error))).toEqual(decoded.error);
    const loneInName = decodeCommand(utf8('{"command":{"kind":"noop","\\ud800":1}}'));
    expect(loneInName.ok ? undefined : decodeResult(encodeResult(loneInName.error))).toMatchObject({ kind: 'error', code: 'COMMAND_MALFORMED' });
  });

  it('rejects random bytes without throwing', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const decoded = decodeCommand(bytes);
      if (!decoded.ok) expect(decoded.error.code).toBe('COMMAND_MALFORMED');
    }));
  });

  it('refuses oversized bytes before parsing them', () => {
    const decoded = decodeCommand(new Uint8Array(commandBytesMax + 1));
    expect(decoded.ok ? undefined : decoded.error.code).toBe('COMMAND_TOO_LARGE');
  });

  it('checks key and value sizes in UTF-8 bytes', () => {
    expect(validateCommand({ kind: 'get', key: 'k'.repeat(keyBytesMax) })).toBeUndefined();
    expect(validateCommand({ kind: 'get', key: 'k'.repeat(keyBytesMax + 1) })?.code).toBe('KEY_TOO_LARGE');
    expect(validateCommand({ kind: 'delete', key: '€'.repeat(Math.ceil((keyBytesMax + 1) / 3)) })?.code).toBe('KEY_TOO_LARGE');
    expect(validateCommand({ kind: 'put', key: '', value: 'v' })?.code).toBe('KEY_EMPTY');
    expect(validateCommand({ kind: 'put', key: 'k', value: 'v'.repeat(valueBytesMax) })).toBeUndefined();
    expect(validateCommand({ kind: 'put', key: 'k', value: 'v'.repeat(valueBytesMax + 1) })?.code).toBe('VALUE_TOO_LARGE');
    expect(validateCommand({ kind: 'cas', key: 'k', expected: 'e'.repeat(valueBytesMax + 1), value: 'v' })?.code).toBe('VALUE_TOO_LARGE');
    expect(validateCommand({ kind: 'noop' })).toBeUndefined();
    expect(validateCommand({ kind: 'range', prefix: '' })).toBeUndefined(); // an empty prefix is all keys
    expect(validateCommand({ kind: 'range', prefix: 'p'.repeat(keyBytesMax + 1) })?.code).toBe('KEY_TOO_LARGE');
    expect(validateCommand({ kind: 'put', key: 'k', value: 'v', lease: '007' })?.code).toBe('COMMAND_MALFORMED');
    expect(validateCommand({ kind: 'leaseRevoke', id: '9007199254740993' })?.code).toBe('COMMAND_MALFORMED'); // not a safe integer
    expect(validateCommand({ kind: 'leaseRevoke', id: '9007199254740991' })).toBeUndefined();
  });
});

describe('result encoding', () => {
  it('round-trips every result', () => {
    fc.assert(fc.property(result, (r) => {
      expect(decodeResult(encodeResult(r))).toEqual(r);
    }));
  });

  it('reports malformed results as RESULT_MALFORMED', () => {
    for (const json of ['', '{"kind":"put"}', '{"kind":"leaseGrant","id":"01","ttlMs":1000}', '{"kind":"range","revision":1,"kvs":[{"key":"k"}],"more":false}', '{"kind":"get","revision":1,"found":true}', '{"kind":"error","code":"NOPE","message":""}', '{"kind":"put","revision":-1}']) {
      const decoded = decodeResult(utf8(json));
      expect(decoded.kind === 'error' ? decoded.code : decoded.kind, json).toBe('RESULT_MALFORMED');
    }
  });
});
