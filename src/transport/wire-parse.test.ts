import { describe, expect, it } from 'vitest';
import { Invalid } from './fields.js';
import { everyKind } from './transport.test-kit.js';
import { decodeBody, encodeWire, type Wire } from './wire.js';
import { parseWire } from './wire-parse.js';

const roundTrip = (wire: Wire): Wire => parseWire(decodeBody(encodeWire(wire).subarray(5)));
const parseValue = (value: unknown): Wire => parseWire(value);

describe('wire parsing', () => {
  it('round-trips every Raft message kind into plain Uint8Arrays', () => {
    for (const message of everyKind('n1', 'n2')) {
      const parsed = roundTrip({ kind: 'raft', message });
      expect(parsed).toEqual({ kind: 'raft', message });
      if (parsed.kind === 'raft' && parsed.message.kind === 'snapshot') expect(parsed.message.chunk.constructor).toBe(Uint8Array);
    }
  });

  it('round-trips RPC frames, error data included', () => {
    const failure: Wire = { kind: 'failure', id: 7, code: 'NOT_LEADER', message: 'no', retryable: true, data: { leader: 'n3' } };
    expect(roundTrip(failure)).toEqual(failure);
    const request: Wire = { kind: 'request', id: 1, method: 'kv.put', body: Uint8Array.of(1) };
    expect(roundTrip(request)).toEqual(request);
  });

  it('drops fields outside the schema', () => {
    const [vote] = everyKind('n1', 'n2');
    expect(parseValue({ kind: 'raft', message: { ...vote, extra: 'x' }, more: 1 })).toEqual({ kind: 'raft', message: vote });
  });

  it.each([
    ['not a map', [1, 2]],
    ['an unknown kind', { kind: 'gossip' }],
    ['a kind inherited from a prototype', Object.create({ kind: 'welcome' }) as unknown],
    ['an unknown error code', { kind: 'failure', id: 1, code: 'NOPE', message: '', retryable: false }],
    ['a short nonce', { kind: 'hello', from: 'n1', to: 'n2', nonce: new Uint8Array(31) }],
    ['an empty node id', { kind: 'hello', from: '', to: 'n2', nonce: new Uint8Array(32) }],
    ['a fractional term', { kind: 'raft', message: { kind: 'timeoutNow', from: 'n1', to: 'n2', term: 1.5 } }],
    ['an unsafe integer', { kind: 'raft', message: { kind: 'timeoutNow', from: 'n1', to: 'n2', term: 2 ** 60 } }],
    ['an entry of unknown kind', { kind: 'raft', message: { kind: 'append', from: 'n1', to: 'n2', term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries: [{ index: 1, term: 1, kind: 'x', data: new Uint8Array() }] } }],
    ['a membership with a numeric id', { kind: 'raft', message: { kind: 'snapshot', from: 'n1', to: 'n2', term: 1, offset: 0, totalBytes: 0, chunk: new Uint8Array(), meta: { index: 1, term: 1, membership: { voters: [1], learners: [] } } } }],
  ])('refuses %s', (_name, value) => {
    expect(() => parseValue(value)).toThrow(Invalid);
  });
});
