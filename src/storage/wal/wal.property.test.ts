/**
 * Property: over random sequences of append / sync / crash / recover / truncate, no
 * acknowledged record is ever lost, no record is returned that was not written at its index,
 * and indexes stay contiguous. `walCrashProperty` is exported for the mutation test.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CrashMode } from '../../sim/memory-fs.js';
import { memoryFs, microtaskTimers, openWal, payloadFor, settle } from '../storage.test-kit.js';
import type { FsyncPolicy } from './options.js';
import type { Wal } from './wal.js';

type Command =
  | { readonly kind: 'append'; readonly count: number; readonly size: number; readonly concurrent: boolean }
  | { readonly kind: 'crash'; readonly mode: CrashMode; readonly inFlight: number; readonly turns: number }
  | { readonly kind: 'truncateSuffix'; readonly back: number }
  | { readonly kind: 'truncatePrefix'; readonly fraction: number }
  | { readonly kind: 'sync' };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 6 }), size: fc.integer({ min: 0, max: 700 }), concurrent: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), mode: fc.constantFrom<CrashMode>('lose', 'torn', 'reorder', 'keep', 'random'), inFlight: fc.integer({ min: 0, max: 4 }), turns: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncateSuffix' as const), back: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncatePrefix' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'sync' as const }) },
);

export interface CrashPropertyOptions {
  readonly fsync: FsyncPolicy;
  readonly numRuns: number;
  readonly seed?: number;
}

/** Runs the crash property; returns fast-check's details (failed or not) instead of throwing. */
export async function walCrashProperty(options: CrashPropertyOptions) {
  return fc.check(
    fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.array(command, { minLength: 1, maxLength: 30 }), async (fsSeed, commands) => {
      await runCommands(fsSeed, commands, options.fsync);
    }),
    { numRuns: options.numRuns, ...(options.seed === undefined ? {} : { seed: options.seed }) },
  );
}

async function runCommands(fsSeed: number, commands: readonly Command[], fsync: FsyncPolicy): Promise<void> {
  const fs = memoryFs(fsSeed);
  const open = () => openWal(fs, fsync === 'batch' ? { fsync, timers: microtaskTimers } : { fsync });
  let wal: Wal = (await open()).wal;
  let version = 0;
  /** Index -> versions ever appended there (any may legally survive a crash if unacknowledged). */
  const written = new Map<number, Set<number>>();
  /** Index -> version acknowledged as durable and not truncated since. */
  const acknowledged = new Map<number, number>();
  let nextIndex = 1;

  const appendOne = (count: number, size: number): Promise<void> => {
    const v = ++version;
    const batch = Array.from({ length: count }, (_, i) => ({ index: nextIndex + i, term: 1, type: 0, payload: payloadFor(nextIndex + i, v, size) }));
    for (const r of batch) (written.get(r.index) ?? written.set(r.index, new Set()).get(r.index)!).add(v);
    nextIndex += count;
    return wal.append(batch).then(() => {
      for (const r of batch) acknowledged.set(r.index, v);
    });
  };

  for (const cmd of commands) {
    switch (cmd.kind) {
      case 'append':
        if (cmd.concurrent) await Promise.all([appendOne(cmd.count, cmd.size), appendOne(1, cmd.size)]);
        else await appendOne(cmd.count, cmd.size);
        break;
      case 'sync':
        await wal.sync();
        break;
      case 'truncateSuffix': {
        const first = wal.firstIndex ?? nextIndex;
        const at = Math.max(first, nextIndex - cmd.back);
        await wal.truncateSuffix(at);
        for (let i = at; i < nextIndex; i++) {
          acknowledged.delete(i);
          written.delete(i); // gone for good: it must never come back
        }
        nextIndex = at;
        break;
      }
      case 'truncatePrefix': {
        const first = wal.firstIndex;
        if (first === undefined) break;
        const at = first + Math.floor(cmd.fraction * (nextIndex - first));
        await wal.truncatePrefix(at);
        for (const index of [...acknowledged.keys()]) if (index < (wal.firstIndex ?? nextIndex)) acknowledged.delete(index);
        expect(wal.firstIndex ?? at).toBeLessThanOrEqual(at);
        break;
      }
      case 'crash': {
        // Appends still in flight at the crash are unacknowledged: they may or may not survive.
        const inFlight = Array.from({ length: cmd.inFlight }, () => appendOne(1 + (cmd.turns % 3), 40 + cmd.turns).catch(() => undefined));
        await settle(cmd.turns);
        fs.crash(cmd.mode);
        await Promise.all(inFlight);
        await wal.close().catch(() => undefined); // the pre-crash WAL is dead; its handles are gone
        wal = (await open()).wal;
        await checkLog(wal, written, acknowledged);
        // Whatever recovery dropped is gone for good: a later open must never resurrect it.
        for (const index of [...written.keys()]) if (index > (wal.lastIndex ?? 0)) written.delete(index);
        nextIndex = (wal.lastIndex ?? nextIndex - 1) + 1;
        if (wal.lastIndex === undefined) nextIndex = wal.nextIndex ?? nextIndex;
        acknowledged.clear();
        const first = wal.firstIndex;
        if (first !== undefined) for (const r of await wal.read(first, nextIndex)) acknowledged.set(r.index, new DataView(r.payload.buffer, r.payload.byteOffset).getUint32(4, true));
        break;
      }
    }
  }
  await wal.close();
  fs.crash('lose');
  await checkLog((await open()).wal, written, acknowledged);
}

async function checkLog(wal: Wal, written: Map<number, Set<number>>, acknowledged: Map<number, number>): Promise<void> {
  const first = wal.firstIndex;
  const last = wal.lastIndex;
  const present = first === undefined || last === undefined ? [] : await wal.read(first, last + 1);
  present.forEach((r, i) => expect(r.index, 'indexes contiguous').toBe(first! + i));
  const byIndex = new Map(present.map((r) => [r.index, r]));
  for (const r of present) {
    const view = new DataView(r.payload.buffer, r.payload.byteOffset);
    expect(view.getUint32(0, true), `record ${r.index} carries another index's payload`).toBe(r.index);
    const v = view.getUint32(4, true);
    expect(written.get(r.index)?.has(v), `record ${r.index} version ${v} was never written`).toBe(true);
    expect(r.payload).toEqual(payloadFor(r.index, v, r.payload.length));
  }
  for (const [index, v] of acknowledged) {
    const found = byIndex.get(index);
    expect(found, `acknowledged record ${index} lost`).toBeDefined();
    expect(new DataView(found!.payload.buffer, found!.payload.byteOffset).getUint32(4, true), `acknowledged record ${index} replaced`).toBe(v);
  }
}

describe('wal crash property', () => {
  it('never loses an acknowledged record, never returns a foreign one, keeps indexes contiguous', async () => {
    const details = await walCrashProperty({ fsync: 'always', numRuns: Number(process.env.KEEL_PROPERTY_RUNS ?? 150) });
    expect(details.failed, `${fc.defaultReportMessage(details)}\n${String(details.errorInstance)}`).toBe(false);
  });

  it('holds under the batch policy too', async () => {
    const details = await walCrashProperty({ fsync: 'batch', numRuns: 50 });
    expect(details.failed, `${fc.defaultReportMessage(details)}\n${String(details.errorInstance)}`).toBe(false);
  });

  it('bites: with fsync skipped (unsafe-none) it finds a lost acknowledged record', async () => {
    const details = await walCrashProperty({ fsync: 'unsafe-none', numRuns: 150, seed: 42 });
    expect(details.failed).toBe(true);
    expect(String(details.errorInstance)).toMatch(/acknowledged record \d+ (lost|replaced)/);
  });
});
