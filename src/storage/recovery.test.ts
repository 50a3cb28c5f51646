/**
 * Recovery = newest valid checkpoint + redo of the WAL after it, checked against a model:
 * a key-value map whose log records are "key=value" assignments.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromUtf8, utf8 } from '../core/bytes.js';
import type { CrashMode } from '../sim/memory-fs.js';
import { CheckpointStore } from './checkpoint/checkpoint-store.js';
import { recover, type RecoveryTarget } from './recovery.js';
import { memoryFs, openWal, settle } from './storage.test-kit.js';

const CHECKPOINT_DIR = '/data/checkpoints';

class MapMachine implements RecoveryTarget {
  state = new Map<string, string>();
  async restore(_checkpoint: unknown, data: AsyncIterable<Uint8Array>): Promise<void> {
    const parts: Uint8Array[] = [];
    for await (const chunk of data) parts.push(chunk);
    this.state = new Map(JSON.parse(fromUtf8(concatBytes(parts))) as [string, string][]);
  }
  apply(record: { payload: Uint8Array }): void {
    const [key, value] = fromUtf8(record.payload).split('=') as [string, string];
    this.state.set(key, value);
  }
  snapshot(): Uint8Array[] {
    const json = utf8(JSON.stringify([...this.state]));
    return [json.subarray(0, json.length >> 1), json.subarray(json.length >> 1)];
  }
}

function op(index: number, version = 0): Uint8Array {
  return utf8(`k${index % 7}=v${index}.${version}`);
}

function fold(log: ReadonlyMap<number, Uint8Array>, upTo: number): Map<string, string> {
  const machine = new MapMachine();
  for (let i = 1; i <= upTo; i++) machine.apply({ payload: log.get(i)! });
  return machine.state;
}

async function stores(disk: ReturnType<typeof memoryFs>) {
  const { wal } = await openWal(disk);
  const checkpoints = await CheckpointStore.open({ fs: disk.mount(), dir: CHECKPOINT_DIR, keep: 2 });
  return { wal, checkpoints };
}

/** Appends records 1..count, checkpointing (and optionally compacting) at the given indexes. */
async function buildLog(stores_: Awaited<ReturnType<typeof stores>>, count: number, checkpointAt: readonly number[], compact: boolean): Promise<Map<number, Uint8Array>> {
  const { wal, checkpoints } = stores_;
  const log = new Map<number, Uint8Array>();
  const live = new MapMachine();
  for (let i = 1; i <= count; i++) {
    log.set(i, op(i));
    await wal.append([{ index: i, term: 1, type: 0, payload: op(i) }]);
    live.apply({ payload: op(i) });
    if (checkpointAt.includes(i)) {
      await checkpoints.save({ index: i, term: 1 }, live.snapshot());
      if (compact) await wal.truncatePrefix(i + 1);
    }
  }
  return log;
}

describe('recovery: checkpoint + redo', () => {
  it('restores the newest checkpoint and redoes exactly the records after it', async () => {
    const disk = memoryFs();
    const log = await buildLog(await stores(disk), 100, [60], true);
    disk.crash('lose');
    const again = await stores(disk);
    const target = new MapMachine();
    const report = await recover({ wal: again.wal, checkpoints: again.checkpoints, target });
    expect(report).toMatchObject({ checkpoint: { index: 60 }, redoFrom: 61, recordsRedone: 40, appliedIndex: 100, corruptCheckpoints: [] });
    expect(target.state).toEqual(fold(log, 100));
    const partial = new MapMachine();
    expect((await recover({ wal: again.wal, checkpoints: again.checkpoints, target: partial, redoUpTo: 70 })).appliedIndex).toBe(70);
    expect(partial.state).toEqual(fold(log, 70));
  });

  it('falls back to an older checkpoint when the newest is corrupt, and redoes more of the log', async () => {
    const disk = memoryFs();
    const built = await stores(disk);
    const { wal, checkpoints } = built;
    const log = await buildLog(built, 50, [20, 40], false);
    const newest = (await checkpoints.list())[0]!;
    disk.flipBit(newest.file, 70, 4);
    const target = new MapMachine();
    const report = await recover({ wal, checkpoints, target });
    expect(report.checkpoint?.index).toBe(20);
    expect(report.corruptCheckpoints.map((c) => c.file)).toEqual([newest.file]);
    expect(target.state).toEqual(fold(log, 50));
  });

  it('refuses with RECOVERY_GAP when the log no longer reaches back to the usable checkpoint', async () => {
    const disk = memoryFs();
    const built = await stores(disk);
    const { wal, checkpoints } = built;
    await buildLog(built, 1000, [20, 900], false);
    await wal.truncatePrefix(901);
    expect(wal.firstIndex).toBeGreaterThan(21);
    disk.flipBit((await checkpoints.list())[0]!.file, 10, 0);
    await expect(recover({ wal, checkpoints, target: new MapMachine() })).rejects.toMatchObject({ code: 'RECOVERY_GAP' });
  });
});

type Command =
  | { readonly kind: 'append'; readonly count: number }
  | { readonly kind: 'checkpoint' }
  | { readonly kind: 'truncateSuffix'; readonly back: number }
  | { readonly kind: 'crash'; readonly mode: CrashMode; readonly inFlight: boolean; readonly turns: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'checkpoint' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncateSuffix' as const), back: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), mode: fc.constantFrom<CrashMode>('lose', 'torn', 'reorder', 'random'), inFlight: fc.boolean(), turns: fc.integer({ min: 0, max: 40 }) }) },
);

describe('recovery property', () => {
  it('after any crash, recovered state = the model folded up to the applied index, which covers every acknowledged write', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.array(command, { minLength: 1, maxLength: 25 }), async (seed, commands) => {
        const disk = memoryFs(seed);
        let { wal, checkpoints } = await stores(disk);
        const log = new Map<number, Uint8Array>();
        let version = 0;
        let acknowledged = 0;
        let checkpointIndex = 0;
        const append = (count: number): Promise<void> => {
          const first = (wal.nextIndex ?? 1);
          const batch = Array.from({ length: count }, (_, i) => ({ index: first + i, term: 1, type: 0, payload: op(first + i, ++version) }));
          for (const r of batch) log.set(r.index, r.payload);
          return wal.append(batch).then(() => {
            acknowledged = Math.max(acknowledged, first + count - 1);
          });
        };
        for (const cmd of commands) {
          switch (cmd.kind) {
            case 'append':
              await append(cmd.count);
              break;
            case 'checkpoint': {
              const at = wal.lastIndex ?? 0;
              if (at <= checkpointIndex) break;
              const machine = new MapMachine();
              machine.state = fold(log, at);
              await checkpoints.save({ index: at, term: 1 }, machine.snapshot());
              checkpointIndex = at;
              await wal.truncatePrefix(at + 1);
              break;
            }
            case 'truncateSuffix': {
              const next = wal.nextIndex ?? 1;
              const at = Math.max(checkpointIndex + 1, wal.firstIndex ?? 1, next - cmd.back);
              if (at > next) break;
              await wal.truncateSuffix(at);
              for (let i = at; i < next; i++) log.delete(i);
              acknowledged = Math.min(acknowledged, at - 1);
              break;
            }
            case 'crash': {
              const inFlight = cmd.inFlight ? append(2).catch(() => undefined) : Promise.resolve();
              await settle(cmd.turns);
              disk.crash(cmd.mode);
              await inFlight;
              await wal.close().catch(() => undefined); // the crashed process's WAL is gone
              ({ wal, checkpoints } = await stores(disk));
              const target = new MapMachine();
              const report = await recover({ wal, checkpoints, target });
              expect(report.appliedIndex, 'acknowledged writes recovered').toBeGreaterThanOrEqual(acknowledged);
              const survivors = report.appliedIndex > checkpointIndex ? await wal.read(checkpointIndex + 1, report.appliedIndex + 1) : [];
              for (const r of survivors) log.set(r.index, r.payload);
              expect(target.state).toEqual(fold(log, report.appliedIndex));
              for (let i = report.appliedIndex + 1; log.has(i); i++) log.delete(i);
              acknowledged = report.appliedIndex;
              if (wal.lastIndex === undefined) await wal.reset(report.appliedIndex + 1);
              break;
            }
          }
        }
        await wal.close();
      }),
      { numRuns: 120 },
    );
  });
});
