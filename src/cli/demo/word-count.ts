/**
 * Word counting for the job demo, shared by the map and reduce handlers and by the single-process
 * check: the same tokenizer on both sides, so the cluster's answer and the local one must be
 * identical. Counts travel as one text of `word count` lines, sorted by word: never as object keys
 * (a corpus may contain "__proto__" or "constructor"), and not as an array of pairs either,
 * because one string is parsed, copied between threads and serialized far faster than 100,000
 * small arrays (a worker's main thread that stalls on them misses its heartbeats).
 */
import { createHash } from 'node:crypto';

/** A word: letters or digits, with inner apostrophes ("don't", "o'clock"); lower-cased. Never spans a line. */
const wordPattern = /[\p{L}\p{N}]+(?:['\u2019][\p{L}\p{N}]+)*/gu;

export type CountPairs = [word: string, count: number][];

/** Counts as text: one `word count` line per word, sorted by word (words never contain a space). */
export function encodeCounts(counts: ReadonlyMap<string, number>): string {
  let text = '';
  for (const [word, count] of toPairs(counts)) text += `${word} ${count}\n`;
  return text;
}

/** Adds the counts of an `encodeCounts` text to `counts`. */
export function decodeCountsInto(counts: Map<string, number>, text: string): void {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const space = text.lastIndexOf(' ', end);
    if (space <= start) throw new Error(`malformed counts line at offset ${start}`);
    const word = text.slice(start, space);
    const count = Number(text.slice(space + 1, end));
    if (!Number.isSafeInteger(count) || count <= 0) throw new Error(`malformed count for ${JSON.stringify(word)}`);
    counts.set(word, (counts.get(word) ?? 0) + count);
    start = end + 1;
  }
}

/** Adds the words of `text` to `counts`; returns how many words it saw. */
export function countWords(text: string, counts: Map<string, number>): number {
  let words = 0;
  for (const match of text.toLowerCase().matchAll(wordPattern)) {
    const word = match[0].replace(/\u2019/g, "'");
    counts.set(word, (counts.get(word) ?? 0) + 1);
    words += 1;
  }
  return words;
}

/** Sorted by word (code units), so the same counts always serialize to the same pairs. */
export function toPairs(counts: ReadonlyMap<string, number>): CountPairs {
  return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The `n` most frequent words, ties broken alphabetically (deterministic). */
export function topWords(counts: ReadonlyMap<string, number>, n: number): CountPairs {
  return [...counts.entries()]
    .sort(([wa, ca], [wb, cb]) => cb - ca || (wa < wb ? -1 : wa > wb ? 1 : 0))
    .slice(0, n);
}

/** SHA-256 of the `encodeCounts` text: equal digests mean equal counts for every word. */
export function countsDigest(counts: ReadonlyMap<string, number>): string {
  return createHash('sha256').update(encodeCounts(counts)).digest('hex');
}

/** A type, not an interface: task outputs must be assignable to JsonValue. */
export type WordCountSummary = {
  readonly words: number;
  readonly distinct: number;
  readonly top: CountPairs;
  readonly digest: string;
};

export function summarize(counts: ReadonlyMap<string, number>, topCount: number): WordCountSummary {
  let words = 0;
  for (const count of counts.values()) words += count;
  return { words, distinct: counts.size, top: topWords(counts, topCount), digest: countsDigest(counts) };
}

/** Whether two summaries describe the same counts (digest of every word, and the top list). */
export function sameSummary(a: WordCountSummary, b: WordCountSummary): boolean {
  return a.digest === b.digest && a.words === b.words && a.distinct === b.distinct && JSON.stringify(a.top) === JSON.stringify(b.top);
}
