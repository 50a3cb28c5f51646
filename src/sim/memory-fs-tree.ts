import { assert, assertNever } from '../core/assert.js';
import type { ByteContent } from './memory-fs-content.js';
import type { DataOp } from './memory-fs-crash.js';

// The namespace of the in-memory disk: files (inodes), directories and path resolution.

export interface Inode {
  readonly kind: 'file';
  /** Creation order, so that a crash visits files in the same order on every run. */
  readonly id: number;
  cached: ByteContent;
  durable: ByteContent;
  pending: DataOp[];
  /** Entries naming this file in the cached namespace. */
  links: number;
  openCount: number;
}

export interface Dir {
  readonly kind: 'dir';
  cached: Map<string, Entry>;
  durable: Map<string, Entry>;
  /** Invariant: applying these to `durable` in order yields `cached`. */
  pending: EntryOp[];
}

export type Entry = Inode | Dir;

export type EntryOp =
  | { readonly kind: 'create'; readonly name: string; readonly entry: Entry }
  | { readonly kind: 'unlink'; readonly name: string }
  | { readonly kind: 'rename'; readonly from: string; readonly to: string };

export function newDir(): Dir {
  return { kind: 'dir', cached: new Map(), durable: new Map(), pending: [] };
}

export function applyEntryOp(entries: Map<string, Entry>, op: EntryOp): void {
  switch (op.kind) {
    case 'create':
      entries.set(op.name, op.entry);
      return;
    case 'unlink': {
      const existed = entries.delete(op.name);
      assert(existed, `unlink replays on an existing name: ${op.name}`);
      return;
    }
    case 'rename': {
      const entry = entries.get(op.from);
      assert(entry !== undefined, `rename replays on an existing name: ${op.from}`);
      entries.delete(op.from);
      entries.set(op.to, entry);
      return;
    }
    default: return assertNever(op);
  }
}

export function mentions(op: EntryOp, name: string): boolean {
  return op.kind === 'rename' ? op.from === name || op.to === name : op.name === name;
}

/** Path components, resolved against the root: `.` dropped, `..` pops, `//` collapses. */
export function components(path: string): string[] {
  const names: string[] = [];
  for (const part of path.split('/')) {
    if (part === '..') names.pop();
    else if (part !== '' && part !== '.') names.push(part);
  }
  return names;
}

export function normalize(path: string): string {
  return `/${components(path).join('/')}`;
}

/** The entry at `names` in the cached namespace; 'notDir' when a component is a file. */
export function findEntry(root: Dir, names: readonly string[]): Entry | undefined | 'notDir' {
  let entry: Entry = root;
  for (const name of names) {
    if (entry.kind === 'file') return 'notDir';
    const next = entry.cached.get(name);
    if (next === undefined) return undefined;
    entry = next;
  }
  return entry;
}
