/**
 * The demo's corpus: finding its files, cutting them into map splits on line boundaries (like
 * Hadoop's input splits: a map task gets a file and a byte range, not the text), and counting it
 * in this one process to check the cluster's answer.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { countWords } from './word-count.js';

/** One map task's share of the corpus: bytes [start, end) of `file`, whole lines only. (A type: task inputs must be JsonValue.) */
export type Split = {
  readonly file: string;
  readonly start: number;
  readonly end: number;
  readonly lines: number;
};

export interface CorpusFile {
  readonly path: string;
  readonly sizeBytes: number;
}

/** Map tasks the demo aims for, and the bounds on a split's size that win over that aim. */
export const splitCountTarget = 240;
export const splitBytesMin = 2 * 1024;
/** Keeps a split's counts (its result and its checkpoints) well below the 256 KiB payload limits. */
export const splitBytesMax = 48 * 1024;
/** Corpora above this are refused: the demo holds every split's counts in the cluster. */
export const corpusBytesMax = 64 * 1024 * 1024;

const textFile = /\.txt$/i;

/** The text files of `path` (a file, or a directory searched recursively), in name order. */
export function listCorpus(path: string): CorpusFile[] {
  const root = resolve(path);
  const found: CorpusFile[] = [];
  const visit = (file: string): void => {
    const stat = statSync(file);
    if (stat.isDirectory()) {
      for (const name of readdirSync(file).sort()) if (!name.startsWith('.')) visit(join(file, name));
    } else if (stat.isFile() && (file === root || textFile.test(file)) && stat.size > 0) {
      found.push({ path: file, sizeBytes: stat.size });
    }
  };
  visit(root);
  return found;
}

/** The split size that gives about `splitCountTarget` splits, within the bounds. */
export function splitBytesFor(totalBytes: number): number {
  return Math.min(splitBytesMax, Math.max(splitBytesMin, Math.ceil(totalBytes / splitCountTarget)));
}

/** Cuts `bytes` into ranges of about `splitBytes`, each ending just after a newline (or at the end). */
export function splitOnLines(bytes: Uint8Array, splitBytes: number): { start: number; end: number; lines: number }[] {
  const newline = 0x0a;
  const splits: { start: number; end: number; lines: number }[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(bytes.length, start + splitBytes);
    if (end < bytes.length) {
      const at = bytes.indexOf(newline, end - 1);
      end = at < 0 ? bytes.length : at + 1;
    }
    let lines = 0;
    for (let i = start; i < end; i++) if (bytes[i] === newline) lines += 1;
    if (bytes[end - 1] !== newline) lines += 1;
    splits.push({ start, end, lines });
    start = end;
  }
  return splits;
}

export function planSplits(files: readonly CorpusFile[], splitBytes: number): Split[] {
  return files.flatMap((file) => splitOnLines(readFileSync(file.path), splitBytes).map((s) => ({ file: file.path, ...s })));
}

/** The whole corpus counted here, in one pass per file: the reference the cluster's result must equal. */
export function countLocally(files: readonly CorpusFile[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const file of files) countWords(readFileSync(file.path, 'utf8'), counts);
  return counts;
}
