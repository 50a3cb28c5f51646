/**
 * The job demo's tasks module (run by `keel worker --tasks`): `wordcount.map` counts the words of
 * one split of the corpus, checkpointing `{ line, counts }` every few lines so a re-run after a
 * crash resumes there instead of recounting; `wordcount.reduce` merges the counts of every map.
 *
 * As in Hadoop, the data stays on the (here: shared) disk and the cluster holds the small facts:
 * a map task's input is a byte range of a corpus file, and its output is written to a file named
 * after the attempt (`map-12.a2.counts`) whose path and SHA-256 are the task's committed result.
 * The reduce reads only the files that committed results name, so the file of an attempt whose
 * result was refused (a zombie's) is never read. (Map results of a few MB in all would also fit
 * in the cluster, but serving them in one read stalls a node's event loop for ~0.1 s per MB.)
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NonRetryableError, defineTasks } from '../../worker/sdk.js';
import type { Split } from './corpus.js';
import { countWords, decodeCountsInto, encodeCounts, summarize, type WordCountSummary } from './word-count.js';

export type MapItem = Split & {
  /** Simulated extra cost of each line (the demo's pacing, so faults land mid-task); 0 for none. */
  readonly msPerLine: number;
  readonly checkpointEveryLines: number;
  /** Directory for the map output files (and, when paced, the progress files). */
  readonly outputDir: string;
};

/**
 * A paced map task also writes `<attempt> <line> <lines>` to this file before each pause, and
 * `<attempt> done` at the end: the demo watches it to time its pause of a worker so that it lands
 * in a task's last batch (on SIGCONT the zombie then tries to commit that task's result).
 */
export function progressFile(outputDir: string, task: string): string {
  return join(outputDir, `${task}.progress`);
}

/** What `mapReduce` hands each map task. */
export interface MapInput {
  readonly offset: number;
  readonly items: readonly MapItem[];
}

/** A type, not an interface: it must be assignable to JsonValue. */
export type MapCheckpoint = {
  /** Lines of the split counted so far. */
  readonly line: number;
  /** `encodeCounts` text. */
  readonly counts: string;
  /** The line each earlier resume started from. */
  readonly resumedFrom: number[];
};

export type MapOutput = {
  readonly file: string;
  readonly start: number;
  readonly lines: number;
  readonly words: number;
  readonly distinct: number;
  /** The file holding this split's counts (`encodeCounts` text), and its SHA-256. */
  readonly output: string;
  readonly sha256: string;
  /** Lines skipped thanks to checkpoints, one entry per resumed attempt (the line it started from). */
  readonly resumedFrom: number[];
};

export interface ReduceInput {
  readonly top: number;
}

export type ReduceOutput = WordCountSummary & {
  readonly maps: number;
};

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Sleeps after each batch of lines, not each line: timers are coarse. */
export const paceBatchLines = 16;

async function readSplit(split: Split): Promise<string> {
  const file = await open(split.file, 'r');
  try {
    const buffer = Buffer.alloc(split.end - split.start);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, split.start);
    if (bytesRead !== buffer.length) throw new Error(`${split.file} is shorter than the split ${split.start}-${split.end}: did it change?`);
    return buffer.toString('utf8');
  } finally {
    await file.close();
  }
}

export default defineTasks({
  async 'wordcount.map'(input: MapInput, ctx) {
    const item = input.items[0];
    // One split per task: the checkpoint is the task's, so it describes one split.
    if (item === undefined || input.items.length !== 1) throw new NonRetryableError(`a map task takes exactly one split, got ${input.items.length}`);
    const all = (await readSplit(item)).split('\n');
    if (all.at(-1) === '') all.pop();
    const saved = await ctx.checkpointed<MapCheckpoint>();
    const counts = new Map<string, number>();
    if (saved !== undefined) decodeCountsInto(counts, saved.counts);
    const resumedFrom = saved === undefined ? [] : [...saved.resumedFrom, saved.line];
    let line = saved?.line ?? 0;
    let lastCheckpoint = line;
    const task = ctx.taskId.slice(ctx.taskId.indexOf('/') + 1);
    const progress = progressFile(item.outputDir, task);
    while (line < all.length) {
      ctx.signal.throwIfAborted();
      const batchEnd = Math.min(all.length, line + paceBatchLines);
      for (; line < batchEnd; line++) countWords(all[line]!, counts);
      if (item.msPerLine > 0) {
        await writeFile(progress, `${ctx.attempt.token} ${line} ${all.length}`);
        await sleep(item.msPerLine * paceBatchLines, undefined, { signal: ctx.signal });
      }
      if (line - lastCheckpoint >= item.checkpointEveryLines && line < all.length) {
        await ctx.checkpoint({ line, counts: encodeCounts(counts), resumedFrom } satisfies MapCheckpoint);
        lastCheckpoint = line;
      }
    }
    let words = 0;
    for (const n of counts.values()) words += n;
    const text = encodeCounts(counts);
    // Named after the attempt, written whole, then renamed: a file the reduce reads is complete.
    const output = join(item.outputDir, `${task}.a${ctx.attempt.token}.counts`);
    await writeFile(`${output}.tmp`, text);
    await rename(`${output}.tmp`, output);
    if (item.msPerLine > 0) await writeFile(progress, `${ctx.attempt.token} done`);
    return {
      file: item.file, start: item.start, lines: all.length, words, distinct: counts.size, output, sha256: sha256(text), resumedFrom,
    } satisfies MapOutput;
  },

  async 'wordcount.reduce'(input: ReduceInput, ctx) {
    const counts = new Map<string, number>();
    let maps = 0;
    for (const result of await ctx.results()) {
      if (!result.taskId.startsWith('map-')) continue;
      const map = result.output as unknown as MapOutput;
      const text = await readFile(map.output, 'utf8');
      if (sha256(text) !== map.sha256) throw new NonRetryableError(`${map.output} does not hold what ${result.taskId} committed (SHA-256 differs)`);
      decodeCountsInto(counts, text);
      maps += 1;
    }
    return { ...summarize(counts, input.top), maps } satisfies ReduceOutput;
  },
});
