/**
 * Property tests of the KV state machine:
 * - against a deliberately simple model (kv.model.test-kit.ts) over random commands (puts with
 *   leases, ranges, txns, lease grants, keepalives and revokes), sessions, retries, stale seqs and
 *   garbage entries: every result, the final keys, leases, sessions, revision and watch history;
 * - snapshot/restore at a random point gives a byte-identical snapshot and the same future;
 * - machines fed the same entries agree on every result and digest (replica determinism).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromUtf8 } from '../core/bytes.js';
import type { ClientSession, KvCommand, KvCompare, KvEnvelope, KvTxnOp } from './commands.js';
import { decodeResult } from './decode.js';
import { encodeCommand } from './encode.js';
import type { KvWatchFilter } from './history.js';
import { KvStateMachine } from './kv-state-machine.js';
import { Model, type Step } from './kv.model.test-kit.js';
import { comparable } from './kv.test-kit.js';
import { keyBytesMax, rangeLimitMax } from './limits.js';
import type { KvResult } from './results.js';

// ---- generated operations ----

const universe = ['a', 'b', 'c', 'ab', 'é', '😀', '\uE000'];
const clients = ['c1', 'c2', 'c3', 'c4', 'c5'];
const limits = { sessionsMax: 3, leasesMax: 3, historyEventsMax: 6 };
const tooLong = 'k'.repeat(keyBytesMax + 1);

const keyArb = fc.oneof(
  { weight: 30, arbitrary: fc.constantFrom(...universe) },
  { weight: 1, arbitrary: fc.constantFrom('', tooLong) },
);
const prefixArb = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom('', 'a', 'é', '\uE000', '😀', 'zz') },
  { weight: 1, arbitrary: fc.constant(tooLong) },
);
const valueArb = fc.constantFrom('', 'x', 'y', 'zz', 'é');
/** `live<n>`: the n-th live lease (mod their number), `last`: the last grant entry's id (maybe dead), 'junk' is malformed. */
const leaseRefArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('live0', 'live1', 'live2') },
  { weight: 3, arbitrary: fc.constant('last') },
  { weight: 1, arbitrary: fc.constant('junk') },
);
const putArb: fc.Arbitrary<KvCommand & KvTxnOp> = fc.tuple(keyArb, valueArb, fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: leaseRefArb }))
  .map(([key, value, lease]) => (lease === undefined ? { kind: 'put', key, value } : { kind: 'put', key, value, lease }));
const rangeArb: fc.Arbitrary<KvCommand & KvTxnOp> = fc.record(
  { kind: fc.constant('range' as const), prefix: prefixArb, limit: fc.constantFrom(1, 2, 3, rangeLimitMax, rangeLimitMax + 1), after: fc.constantFrom(...universe) },
  { requiredKeys: ['kind', 'prefix'] },
);
const opArb: fc.Arbitrary<KvTxnOp> = fc.oneof(
  { weight: 3, arbitrary: putArb },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), key: keyArb }) },
  { weight: 1, arbitrary: rangeArb },
);
const compareOpArb = fc.constantFrom('=' as const, '!=' as const, '<' as const, '>' as const);
const compareArb: fc.Arbitrary<KvCompare> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ key: keyArb, target: fc.constant('value' as const), op: compareOpArb, value: fc.option(valueArb, { nil: null, freq: 4 }) }) },
  {
    weight: 12,
    arbitrary: fc.record({
      key: keyArb, target: fc.constantFrom('version' as const, 'createRevision' as const, 'modRevision' as const), op: compareOpArb, value: fc.constantFrom(0, 1, 2, 3, 5, 8),
    }),
  },
  // Malformed: a number for a value, a negative or fractional revision, a string for a version.
  { weight: 1, arbitrary: fc.record({ key: keyArb, target: fc.constantFrom('value' as const, 'version' as const), op: compareOpArb, value: fc.constantFrom(-1, 1.5, 'x') }) },
);
const commandArb: fc.Arbitrary<KvCommand> = fc.oneof(
  { weight: 4, arbitrary: putArb },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cas' as const), key: keyArb, expected: fc.option(valueArb, { nil: null }), value: valueArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), key: keyArb }) },
  { weight: 2, arbitrary: rangeArb },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('txn' as const), compare: fc.array(compareArb, { maxLength: 3 }),
      success: fc.array(opArb, { maxLength: 4 }), failure: fc.array(opArb, { maxLength: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('leaseGrant' as const), ttlMs: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(1000, 5000) }, { weight: 1, arbitrary: fc.constant(1) }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leaseKeepAlive' as const), id: leaseRefArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('leaseRevoke' as const), id: leaseRefArb }) },
  { weight: 1, arbitrary: fc.constantFrom({ kind: 'leases' as const }, { kind: 'noop' as const }) },
);

type SeqMode = 'next' | 'same' | 'older' | 'jump';
type Op =
  | { readonly kind: 'command'; readonly command: KvCommand; readonly client: string | null; readonly seqMode: SeqMode; readonly gap: number }
  | { readonly kind: 'garbage'; readonly bytes: Uint8Array; readonly gap: number };

const opsArb = fc.array(fc.oneof(
  {
    weight: 15,
    arbitrary: fc.record({
      kind: fc.constant('command' as const), command: commandArb, client: fc.option(fc.constantFrom(...clients), { nil: null }),
      seqMode: fc.constantFrom<SeqMode>('next', 'next', 'next', 'same', 'older', 'jump'), gap: fc.constantFrom(0, 0, 0, 1, 5),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 12 }), gap: fc.constant(0) }) },
), { minLength: 1, maxLength: 80, size: 'max' });

/** Replaces lease references (see leaseRefArb) by lease ids. */
function bindLeases(command: KvCommand, idFor: (ref: string) => string): KvCommand {
  const bindOp = (op: KvTxnOp): KvTxnOp => (op.kind === 'put' && op.lease !== undefined ? { ...op, lease: idFor(op.lease) } : op);
  switch (command.kind) {
    case 'put': return bindOp(command);
    case 'txn': return { ...command, success: command.success.map(bindOp), failure: command.failure.map(bindOp) };
    case 'leaseKeepAlive':
    case 'leaseRevoke': return { ...command, id: idFor(command.id) };
    default: return command;
  }
}

/**
 * Turns ops into entries: indexes with gaps, each client's seq chosen from what it sent before,
 * lease references bound to ids (a model run alongside says which leases are live).
 */
function resolve(ops: readonly Op[]): Step[] {
  const sentMax = new Map<string, number>();
  const tracker = new Model(limits);
  let lastGrant = 424242; // never granted until a grant entry exists
  const idFor = (ref: string): string => {
    if (ref === 'last') return String(lastGrant);
    if (!ref.startsWith('live')) return ref;
    const live = tracker.leaseList();
    return live.length === 0 ? String(lastGrant) : live[Number(ref.slice(4)) % live.length]!.id;
  };
  let index = 0;
  return ops.map((op) => {
    index += 1 + op.gap;
    // 0xff never occurs in UTF-8: garbage stays garbage whatever the random tail.
    if (op.kind === 'garbage') return { index, bytes: Uint8Array.of(0xff, ...op.bytes), envelope: undefined };
    const command = bindLeases(op.command, idFor);
    if (command.kind === 'leaseGrant') lastGrant = index;
    let envelope: KvEnvelope = { command };
    if (op.client !== null) {
      const max = sentMax.get(op.client) ?? 0;
      const seq = { next: max + 1, same: Math.max(1, max), older: Math.max(1, max - 1), jump: max + 3 }[op.seqMode];
      sentMax.set(op.client, Math.max(max, seq));
      const session: ClientSession = { clientId: op.client, seq };
      envelope = { session, command };
    }
    const step = { index, bytes: encodeCommand(envelope), envelope };
    tracker.apply(step);
    return step;
  });
}

function applyStep(machine: KvStateMachine, step: Step): Uint8Array {
  return machine.apply({ index: step.index, term: 1, command: step.bytes });
}

function query(machine: KvStateMachine, command: KvCommand): KvResult {
  return decodeResult(machine.query(encodeCommand({ command })));
}

/** Sessions as stored in the snapshot (their last lines), in the model's terms. */
function sessionsOf(machine: KvStateMachine) {
  const lines = fromUtf8(machine.snapshot()).split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);
  const count = lines[0]!['sessionCount'] as number;
  return lines.slice(lines.length - count).map(({ clientId, lastSeq, lastIndex, lastResult }) => [clientId, { lastSeq, lastIndex, lastResult: comparable(lastResult as KvResult) }]);
}

const all: KvWatchFilter = { kind: 'prefix', prefix: '' };

describe('KV state machine against a model', () => {
  it('gives the model\'s result for every entry and ends in the model\'s state', () => {
    fc.assert(fc.property(opsArb, (ops) => {
      const machine = new KvStateMachine(limits);
      const model = new Model(limits);
      for (const step of resolve(ops)) {
        const actual = comparable(decodeResult(applyStep(machine, step)));
        expect(actual).toEqual(comparable(model.apply(step)));
      }
      expect(machine.revision).toBe(model.revision);
      expect(query(machine, { kind: 'range', prefix: '' })).toEqual({ kind: 'range', revision: model.revision, kvs: model.sortedKeys(), more: false });
      expect(query(machine, { kind: 'leases' })).toEqual({ kind: 'leases', leases: model.leaseList() });
      const kept = model.kept();
      expect(machine.compactRevision).toBe(kept.compactRevision);
      expect(machine.eventsSince(kept.compactRevision + 1, all, 1000)).toEqual({ kind: 'events', events: kept.events, nextRevision: model.revision + 1 });
      const byBytes = (a: [string, unknown], b: [string, unknown]) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0]));
      const modelSessions = [...model.sessions.entries()].sort(byBytes).map(([id, s]) => [id, { ...s, lastResult: comparable(s.lastResult) }]);
      expect(sessionsOf(machine)).toEqual(modelSessions);
    }), { numRuns: 300 });
  });

  it('eventsSince agrees with the model for any start, filter and limit', () => {
    const filterArb: fc.Arbitrary<KvWatchFilter> = fc.oneof(
      fc.constantFrom(...universe).map((key) => ({ kind: 'key' as const, key })),
      fc.constantFrom('', 'a', 'é', 'zz').map((prefix) => ({ kind: 'prefix' as const, prefix })),
    );
    fc.assert(fc.property(opsArb, fc.nat({ max: 40 }), filterArb, fc.integer({ min: 1, max: 4 }), (ops, from, filter, limit) => {
      const machine = new KvStateMachine(limits);
      const model = new Model(limits);
      for (const step of resolve(ops)) {
        applyStep(machine, step);
        model.apply(step);
      }
      expect(machine.eventsSince(from + 1, filter, limit)).toEqual(model.eventsSince(from + 1, filter, limit));
    }), { numRuns: 200 });
  });
});

describe('snapshot and restore', () => {
  it('restoring a snapshot taken at any point gives identical bytes, digest and future', () => {
    fc.assert(fc.property(opsArb, fc.double({ min: 0, max: 1, noNaN: true }), (ops, at) => {
      const steps = resolve(ops);
      const split = Math.floor(at * steps.length);
      const original = new KvStateMachine(limits);
      for (const step of steps.slice(0, split)) applyStep(original, step);
      const snapshot = original.snapshot();
      const restored = new KvStateMachine(limits);
      restored.restore(snapshot, original.appliedIndex);
      expect(restored.snapshot()).toEqual(snapshot);
      expect(restored.digest()).toBe(original.digest());
      for (const step of steps.slice(split)) expect(applyStep(restored, step)).toEqual(applyStep(original, step));
      expect(restored.snapshot()).toEqual(original.snapshot());
      expect(restored.digest()).toBe(original.digest());
    }), { numRuns: 200 });
  });
});

describe('replica determinism', () => {
  it('two machines fed the same entries return the same bytes and have the same digests', () => {
    fc.assert(fc.property(opsArb, (ops) => {
      const a = new KvStateMachine(limits);
      const b = new KvStateMachine(limits);
      for (const step of resolve(ops)) {
        expect(applyStep(a, step)).toEqual(applyStep(b, step));
        expect(a.digest()).toBe(b.digest());
      }
      expect(a.snapshot()).toEqual(b.snapshot());
    }), { numRuns: 100 });
  });

  it('the digest tells apart replicas that applied one different command', () => {
    fc.assert(fc.property(opsArb, valueArb, (ops, other) => {
      const steps = resolve(ops);
      const last = steps.at(-1)!;
      const a = new KvStateMachine(limits);
      const b = new KvStateMachine(limits);
      for (const step of steps) {
        applyStep(a, step);
        applyStep(b, step);
      }
      const index = last.index + 1;
      a.apply({ index, term: 1, command: encodeCommand({ command: { kind: 'put', key: 'a', value: `${other}!` } }) });
      b.apply({ index, term: 1, command: encodeCommand({ command: { kind: 'put', key: 'a', value: other } }) });
      expect(a.digest()).not.toBe(b.digest());
    }), { numRuns: 50 });
  });
});
