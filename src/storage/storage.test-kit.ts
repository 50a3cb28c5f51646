/** Shared helpers for storage tests (not part of the build). */
import { seededRandom } from '../core/prng.js';
import { MemoryFileSystem } from '../sim/memory-fs.js';
import type { Timers } from '../ports/clock.js';
import { Wal } from './wal/wal.js';
import type { WalOptionsInput } from './wal/options.js';
import type { WalRecord } from './wal/format.js';

export const WAL_DIR = '/data/wal';

export function memoryFs(seed = 1): MemoryFileSystem {
  return new MemoryFileSystem({ random: seededRandom(seed) });
}

/** Small segments so that tests cross segment boundaries often. */
export const smallSegments = { segmentSizeBytes: 8192, recordPayloadBytesMax: 4096 } as const;

/** Opens the WAL as a fresh process would: through a new mount of the simulated disk. */
export async function openWal(disk: MemoryFileSystem, options: Partial<WalOptionsInput> = {}) {
  return Wal.open({ fs: disk.mount(), dir: WAL_DIR, ...smallSegments, ...options });
}

/** A payload that encodes its index and a version, so a test can tell which write it came from. */
export function payloadFor(index: number, version: number, size: number): Uint8Array {
  const bytes = new Uint8Array(Math.max(size, 8));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, index, true);
  view.setUint32(4, version, true);
  for (let i = 8; i < bytes.length; i++) bytes[i] = (index * 31 + version * 7 + i) & 0xff;
  return bytes;
}

export function record(index: number, size = 16, version = 0, term = 1): WalRecord {
  return { index, term, type: 1, payload: payloadFor(index, version, size) };
}

export function records(from: number, count: number, size = 16, version = 0): WalRecord[] {
  return Array.from({ length: count }, (_, i) => record(from + i, size, version));
}

/** Timers driven by the test: `fire()` runs everything scheduled. */
export class ManualTimers implements Timers {
  private readonly callbacks = new Set<() => void>();
  after(_delayMs: number, callback: () => void): () => void {
    this.callbacks.add(callback);
    return () => this.callbacks.delete(callback);
  }
  get scheduled(): number {
    return this.callbacks.size;
  }
  fire(): void {
    const due = [...this.callbacks];
    this.callbacks.clear();
    for (const callback of due) callback();
  }
}

/** Lets queued promise callbacks (the in-memory disk's I/O) run `turns` times. */
export async function settle(turns = 50): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

/** Timers that fire on the next microtask: the batch policy without wall-clock time. */
export const microtaskTimers: Timers = {
  after(_delayMs, callback) {
    let cancelled = false;
    queueMicrotask(() => {
      if (!cancelled) callback();
    });
    return () => {
      cancelled = true;
    };
  },
};
