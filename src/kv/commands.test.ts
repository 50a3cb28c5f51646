import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../core/bytes.js';
import {
  decodeCommand, decodeResult, encodeCommand, encodeResult, validateCommand,
  type KvCommand, type KvEnvelope, type KvErrorCode, type KvResult,
} from './commands.js';
import { commandBytesMax, keyBytesMax, valueBytesMax } from './limits.js';

const text = fc.string({ unit: 'grapheme', maxLength: 8 });
const command: fc.Arbitrary<KvCommand> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key: text, value: text }),
  fc.record({ kind: fc.constant('delete' as const), key: text }),
  fc.record({ kind: fc.constant('cas' as const), key: text, expected: fc.option(text, { nil: null }), value: text }),
  fc.record({ kind: fc.constant('get' as const), key: text }),
  fc.constant({ kind: 'noop' as const }),
);
const envelope: fc.Arbitrary<KvEnvelope> = fc.oneof(
  command.map((c) => ({ command: c })),
  fc.record({ session: fc.record({ clientId: text.filter((s) => s.length > 0), seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) }), command }),
);
const revision = fc.nat();
const result: fc.Arbitrary<KvResult> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), revision }),
  fc.record({ kind: fc.constant('delete' as const), revision, deleted: fc.boolean() }),
  fc.record({ kind: fc.constant('cas' as const), succeeded: fc.boolean(), revision, value: fc.option(text, { nil: null }) }),
  fc.record({ kind: fc.constant('get' as const), revision, found: fc.constant(false as const) }),
  fc.record({
    kind: fc.constant('get' as const), revision, found: fc.constant(true as const), value: text,
    createRevision: fc.integer({ min: 1 }), modRevision: fc.integer({ min: 1 }), version: fc.integer({ min: 1 }),
  }),
  fc.record({ kind: fc.constant('noop' as const), revision }),
  fc.record({ kind: fc.constant('error' as const), code: fc.constantFrom<KvErrorCode>('KEY_EMPTY', 'SESSION_EXPIRED_SEQ', 'QUOTA_EXCEEDED'), message: text }),
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
    ];
    for (const json of cases) expect(malformed(json), json).toBe('COMMAND_MALFORMED');
    const notUtf8 = decodeCommand(new Uint8Array([0x7b, 0xff, 0x7d]));
    expect(notUtf8.ok ? undefined : notUtf8.error.code).toBe('COMMAND_MALFORMED');
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
  });
});

describe('result encoding', () => {
  it('round-trips every result', () => {
    fc.assert(fc.property(result, (r) => {
      expect(decodeResult(encodeResult(r))).toEqual(r);
    }));
  });

  it('reports malformed results as RESULT_MALFORMED', () => {
    for (const json of ['', '{"kind":"put"}', '{"kind":"get","revision":1,"found":true}', '{"kind":"error","code":"NOPE","message":""}', '{"kind":"put","revision":-1}']) {
      const decoded = decodeResult(utf8(json));
      expect(decoded.kind === 'error' ? decoded.code : decoded.kind, json).toBe('RESULT_MALFORMED');
    }
  });
});
