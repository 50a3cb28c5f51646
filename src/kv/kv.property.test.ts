/**
 * Property tests of the KV state machine:
 * - against a deliberately simple model (a Map, a revision counter, a session Map evicted by a
 *   linear scan) over random commands, sessions, retries, stale seqs and garbage entries;
 * - snapshot/restore at a random point gives a byte-identical snapshot and the same future;
 * - machines fed the same entries agree on every result and digest (replica determinism).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromUtf8 } from '../core/bytes.js';
import { decodeResult, encodeCommand, kvError, type ClientSession, type KvCommand, type KvEnvelope, type KvErrorCode, type KvResult } from './commands.js';
import { KvStateMachine } from './kv-state-machine.js';
import { comparable } from './kv.test-kit.js';
import { keyBytesMax } from './limits.js';

// ---- generated operations ----

const universe = ['a', 'b', 'c', 'ab', 'é', '😀', '\uE000'];
const clients = ['c1', 'c2', 'c3', 'c4', 'c5'];
const sessionsMax = 3;

const keyArb = fc.oneof(
  { weight: 30, arbitrary: fc.constantFrom(...universe) },
  { weight: 1, arbitrary: fc.constantFrom('', 'k'.repeat(keyBytesMax + 1)) },
);
const valueArb = fc.constantFrom('', 'x', 'y', 'zz', 'é');
const commandArb: fc.Arbitrary<KvCommand> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), key: keyArb, value: valueArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('cas' as const), key: keyArb, expected: fc.option(valueArb, { nil: null }), value: valueArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'noop' as const }) },
);

type SeqMode = 'next' | 'same' | 'older' | 'jump';
type Op =
  | { readonly kind: 'command'; readonly command: KvCommand; readonly client: string | null; readonly seqMode: SeqMode; readonly gap: number }
  | { readonly kind: 'garbage'; readonly bytes: Uint8Array; readonly gap: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 15,
    arbitrary: fc.record({
      kind: fc.constant('command' as const), command: commandArb, client: fc.option(fc.constantFrom(...clients), { nil: null }),
      seqMode: fc.constantFrom<SeqMode>('next', 'next', 'next', 'same', 'older', 'jump'), gap: fc.constantFrom(0, 0, 0, 1, 5),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 12 }), gap: fc.constant(0) }) },
);
const opsArb = fc.array(opArb, { minLength: 1, maxLength: 80 });

/** A concrete log entry; `envelope` is undefined for garbage. */
interface Step {
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly envelope: KvEnvelope | undefined;
}

/** Turns ops into entries: indexes with gaps, and each client's seq chosen from what it sent before. */
function resolve(ops: readonly Op[]): Step[] {
  const sentMax = new Map<string, number>();
  let index = 0;
  return ops.map((op) => {
    index += 1 + op.gap;
    // 0xff never occurs in UTF-8: garbage stays garbage whatever the random tail.
    if (op.kind === 'garbage') return { index, bytes: Uint8Array.of(0xff, ...op.bytes), envelope: undefined };
    let envelope: KvEnvelope = { command: op.command };
    if (op.client !== null) {
      const max = sentMax.get(op.client) ?? 0;
      const seq = { next: max + 1, same: Math.max(1, max), older: Math.max(1, max - 1), jump: max + 3 }[op.seqMode];
      sentMax.set(op.client, Math.max(max, seq));
      const session: ClientSession = { clientId: op.client, seq };
      envelope = { session, command: op.command };
    }
    return { index, bytes: encodeCommand(envelope), envelope };
  });
}

// ---- the model ----

interface ModelKey { value: string; createRevision: number; modRevision: number; version: number }
interface ModelSession { lastSeq: number; lastIndex: number; lastResult: KvResult }

const error = (code: KvErrorCode): KvResult => kvError(code, '');

class Model {
  readonly keys = new Map<string, ModelKey>();
  readonly sessions = new Map<string, ModelSession>();
  revision = 0;
  appliedIndex = 0;

  apply(step: Step): KvResult {
    this.appliedIndex = step.index;
    if (step.envelope === undefined) return error('COMMAND_MALFORMED');
    const { session, command } = step.envelope;
    const known = session === undefined ? undefined : this.sessions.get(session.clientId);
    if (session !== undefined && known !== undefined) {
      if (session.seq === known.lastSeq) return known.lastResult;
      if (session.seq < known.lastSeq) return error('SESSION_EXPIRED_SEQ');
    }
    const result = this.execute(command);
    if (session !== undefined) {
      this.sessions.set(session.clientId, { lastSeq: session.seq, lastIndex: step.index, lastResult: result });
      if (this.sessions.size > sessionsMax) {
        let oldest: string | undefined;
        for (const [id, s] of this.sessions) if (oldest === undefined || s.lastIndex < this.sessions.get(oldest)!.lastIndex) oldest = id;
        this.sessions.delete(oldest!);
      }
    }
    return result;
  }

  private execute(command: KvCommand): KvResult {
    if (command.kind === 'noop') return { kind: 'noop', revision: this.revision };
    if (command.key === '') return error('KEY_EMPTY');
    if (command.key.length > keyBytesMax) return error('KEY_TOO_LARGE'); // generated long keys are ASCII
    const current = this.keys.get(command.key);
    switch (command.kind) {
      case 'put': return { kind: 'put', revision: this.set(command.key, command.value) };
      case 'delete':
        if (current === undefined) return { kind: 'delete', revision: this.revision, deleted: false };
        this.keys.delete(command.key);
        return { kind: 'delete', revision: ++this.revision, deleted: true };
      case 'cas':
        if ((current?.value ?? null) !== command.expected) return { kind: 'cas', succeeded: false, revision: this.revision, value: current?.value ?? null };
        return { kind: 'cas', succeeded: true, revision: this.set(command.key, command.value), value: command.value };
      case 'get':
        return current === undefined ? { kind: 'get', revision: this.revision, found: false } : { kind: 'get', revision: this.revision, found: true, ...current };
    }
  }

  private set(key: string, value: string): number {
    const current = this.keys.get(key);
    this.revision++;
    this.keys.set(key, { value, createRevision: current?.createRevision ?? this.revision, modRevision: this.revision, version: (current?.version ?? 0) + 1 });
    return this.revision;
  }
}

/** The machine's whole state, read back from its snapshot, in the model's terms. */
function observed(machine: KvStateMachine) {
  const lines = fromUtf8(machine.snapshot()).split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);
  const header = lines[0]!;
  const keyLines = lines.slice(1, 1 + (header['keyCount'] as number));
  const sessionLines = lines.slice(1 + (header['keyCount'] as number));
  return {
    appliedIndex: header['appliedIndex'],
    revision: header['revision'],
    keys: keyLines.map(({ key, ...record }) => [key, record]),
    sessions: sessionLines.map(({ clientId, lastSeq, lastIndex, lastResult }) => [clientId, { lastSeq, lastIndex, lastResult: comparable(lastResult as KvResult) }]),
  };
}

/** The model's state in the same shape, sorted independently (by UTF-8 bytes via Buffer.compare). */
function expected(model: Model) {
  const byBytes = (a: [string, unknown], b: [string, unknown]) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0]));
  return {
    appliedIndex: model.appliedIndex,
    revision: model.revision,
    keys: [...model.keys.entries()].sort(byBytes),
    sessions: [...model.sessions.entries()].sort(byBytes),
  };
}

function applyStep(machine: KvStateMachine, step: Step): Uint8Array {
  return machine.apply({ index: step.index, term: 1, command: step.bytes });
}

describe('KV state machine against a model', () => {
  it('gives the model\'s result for every entry and ends in the model\'s state', () => {
    fc.assert(fc.property(opsArb, (ops) => {
      const machine = new KvStateMachine({ sessionsMax });
      const model = new Model();
      for (const step of resolve(ops)) {
        const actual = comparable(decodeResult(applyStep(machine, step)));
        expect(actual).toEqual(comparable(model.apply(step)));
      }
      expect(observed(machine)).toEqual(expected(model));
      expect(machine.revision).toBe(model.revision);
      expect(machine.keyCount).toBe(model.keys.size);
      expect(machine.sessionCount).toBe(model.sessions.size);
    }), { numRuns: 300 });
  });
});

describe('snapshot and restore', () => {
  it('restoring a snapshot taken at any point gives identical bytes, digest and future', () => {
    fc.assert(fc.property(opsArb, fc.double({ min: 0, max: 1, noNaN: true }), (ops, at) => {
      const steps = resolve(ops);
      const split = Math.floor(at * steps.length);
      const original = new KvStateMachine({ sessionsMax });
      for (const step of steps.slice(0, split)) applyStep(original, step);
      const snapshot = original.snapshot();
      const restored = new KvStateMachine({ sessionsMax });
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
      const a = new KvStateMachine({ sessionsMax });
      const b = new KvStateMachine({ sessionsMax });
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
      const a = new KvStateMachine({ sessionsMax });
      const b = new KvStateMachine({ sessionsMax });
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
