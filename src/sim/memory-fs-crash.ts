import { assert, assertNever } from '../core/assert.js';
import type { Random } from '../ports/random.js';
import type { ByteContent } from './memory-fs-content.js';

/**
 * What a power loss does to the operations not yet made durable:
 * - `lose`: none of them reach the medium.
 * - `keep`: all of them do, in order (as if the cache had just been flushed).
 * - `torn`: a prefix in order; the operation at the cut is applied partially (a write up to
 *   any byte, a truncate applied or not).
 * - `reorder`: writes split into sector pieces, a random subset of the pieces applied in
 *   random order; truncates applied or not, in their order.
 * - `random`: one of the four above, picked per file and per directory.
 */
export type CrashMode = 'lose' | 'torn' | 'reorder' | 'keep' | 'random';
export type ConcreteCrashMode = Exclude<CrashMode, 'random'>;

export const crashModes: readonly ConcreteCrashMode[] = ['lose', 'torn', 'reorder', 'keep'];

/** The unit in which a disk may persist or drop the pieces of one write under `reorder`. */
export const sectorSizeBytes = 512;

/** A data operation on a file not yet made durable by sync/datasync. */
export type DataOp =
  | { readonly kind: 'write'; readonly position: number; readonly bytes: Uint8Array }
  | { readonly kind: 'truncate'; readonly size: number };

export function resolveCrashMode(mode: CrashMode, random: Random): ConcreteCrashMode {
  if (mode !== 'random') return mode;
  const picked = crashModes[random.int(crashModes.length)];
  assert(picked !== undefined, 'crash mode picked from the list');
  return picked;
}

export function applyDataOp(content: ByteContent, op: DataOp): void {
  switch (op.kind) {
    case 'write': return content.write(op.position, op.bytes);
    case 'truncate': return content.truncate(op.size);
    default: return assertNever(op);
  }
}

/** Applies to `durable` the part of `pending` that reaches the medium at a crash in `mode`. */
export function persistAtCrash(durable: ByteContent, pending: readonly DataOp[], mode: ConcreteCrashMode, random: Random): void {
  switch (mode) {
    case 'lose': return;
    case 'keep': return pending.forEach((op) => applyDataOp(durable, op));
    case 'torn': return persistTorn(durable, pending, random);
    case 'reorder': return persistReordered(durable, pending, random);
    default: return assertNever(mode);
  }
}

/** How many of `count` pending directory-entry operations (a prefix) survive a crash. */
export function entryOpsSurvivingCrash(count: number, mode: ConcreteCrashMode, random: Random): number {
  switch (mode) {
    case 'lose': return 0;
    case 'keep': return count;
    case 'torn':
    case 'reorder': return random.int(count + 1);
    default: return assertNever(mode);
  }
}

function persistTorn(durable: ByteContent, pending: readonly DataOp[], random: Random): void {
  const cut = random.int(pending.length + 1);
  for (const op of pending.slice(0, cut)) applyDataOp(durable, op);
  const torn = pending[cut];
  if (torn === undefined) return;
  switch (torn.kind) {
    case 'write': {
      const keptBytes = random.int(torn.bytes.length + 1);
      return durable.write(torn.position, torn.bytes.subarray(0, keptBytes));
    }
    case 'truncate': {
      if (random.int(2) === 1) durable.truncate(torn.size);
      return;
    }
    default: return assertNever(torn);
  }
}

function persistReordered(durable: ByteContent, pending: readonly DataOp[], random: Random): void {
  const chosen = pending.flatMap(sectorPieces).filter(() => random.int(2) === 1);
  const truncatesInOrder = chosen.filter((op) => op.kind === 'truncate');
  shuffle(chosen, random);
  // Truncates keep their relative order: they take the slots the shuffle gave to truncates.
  let nextTruncate = 0;
  for (const op of chosen) {
    if (op.kind === 'truncate') {
      const inOrder = truncatesInOrder[nextTruncate++];
      assert(inOrder !== undefined, 'as many truncate slots as truncates');
      applyDataOp(durable, inOrder);
    } else {
      applyDataOp(durable, op);
    }
  }
  assert(nextTruncate === truncatesInOrder.length, 'every chosen truncate applied');
}

/** A write cut at absolute sector boundaries; a truncate stays whole. */
function sectorPieces(op: DataOp): DataOp[] {
  if (op.kind === 'truncate') return [op];
  const pieces: DataOp[] = [];
  const end = op.position + op.bytes.length;
  for (let start = op.position; start < end; ) {
    const pieceEnd = Math.min(end, (Math.floor(start / sectorSizeBytes) + 1) * sectorSizeBytes);
    pieces.push({ kind: 'write', position: start, bytes: op.bytes.subarray(start - op.position, pieceEnd - op.position) });
    start = pieceEnd;
  }
  return pieces;
}

function shuffle<T>(items: T[], random: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
}
