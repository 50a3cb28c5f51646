import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/prng.js';
import { bookFileName, generateBook, shippedCorpus, vocabulary, wrap, writeCorpus, zipfSampler } from './corpus-generator.js';
import { countLocally, listCorpus, planSplits, splitBytesFor, splitBytesMax, splitBytesMin, splitOnLines } from './corpus.js';
import { shippedCorpusDir } from './job-demo.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-corpus-'));
  dirs.push(dir);
  return dir;
};

describe('splits', () => {
  it('cover the bytes contiguously and end on line ends', () => {
    const bytes = Buffer.from('aaaa\nbb\ncccccccc\nd\n\ne');
    const splits = splitOnLines(bytes, 6);
    expect(splits).toEqual([
      { start: 0, end: 8, lines: 2 },
      { start: 8, end: 17, lines: 1 },
      { start: 17, end: 21, lines: 3 },
    ]);
    expect(splits.reduce((n, s) => n + s.lines, 0)).toBe(6);
  });

  it('keep a line longer than the split size whole', () => {
    expect(splitOnLines(Buffer.from('x'.repeat(50)), 8)).toEqual([{ start: 0, end: 50, lines: 1 }]);
    expect(splitOnLines(Buffer.alloc(0), 8)).toEqual([]);
  });

  it('aim at a few hundred per corpus, within bounds', () => {
    expect(splitBytesFor(4_000_000)).toBe(16_667);
    expect(splitBytesFor(1_000)).toBe(splitBytesMin);
    expect(splitBytesFor(1e9)).toBe(splitBytesMax);
  });

  it('of a directory: .txt files only, recursively, in name order', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'b.txt'), 'two words\n');
    writeFileSync(join(dir, 'a.txt'), 'one\n');
    writeFileSync(join(dir, 'README.md'), 'not counted\n');
    writeFileSync(join(dir, 'empty.txt'), '');
    expect(listCorpus(dir).map((f) => f.path)).toEqual([join(dir, 'a.txt'), join(dir, 'b.txt')]);
    expect(planSplits(listCorpus(dir), 4).map((s) => [s.file.slice(dir.length + 1), s.start, s.end])).toEqual([['a.txt', 0, 4], ['b.txt', 0, 10]]);
    expect(Object.fromEntries(countLocally(listCorpus(dir)))).toEqual({ one: 1, two: 1, words: 1 });
  });
});

describe('the generated corpus', () => {
  const small = { ...shippedCorpus, books: 2, bytesPerBook: 20_000, vocabularySize: 2_000 };

  it('is the same bytes for the same seed, and other bytes for another', () => {
    const [a, b, c] = [tempDir(), tempDir(), tempDir()];
    writeCorpus(a, small);
    writeCorpus(b, small);
    writeCorpus(c, { ...small, seed: small.seed + 1 });
    for (const name of [bookFileName(0), bookFileName(1)]) {
      expect(readFileSync(join(a, name))).toEqual(readFileSync(join(b, name)));
      expect(readFileSync(join(a, name))).not.toEqual(readFileSync(join(c, name)));
    }
  });

  it('draws words by rank with a Zipf law over a vocabulary of distinct words', () => {
    const words = vocabulary(seededRandom(1), 5_000);
    expect(new Set(words).size).toBe(5_000);
    expect(words.slice(0, 3)).toEqual(['the', 'of', 'and']);
    const sample = zipfSampler(seededRandom(2), 1_000, 1.05);
    const hits = new Array<number>(1_000).fill(0);
    for (let i = 0; i < 100_000; i++) hits[sample()]! += 1;
    expect(hits[0]! / hits[1]!).toBeGreaterThan(1.7);
    expect(hits[0]! / hits[1]!).toBeLessThan(2.5);
    expect(hits[0]! / hits[9]!).toBeGreaterThan(8);
  });

  it('wraps paragraphs at 72 columns', () => {
    const lines = wrap(Array.from({ length: 100 }, (_, i) => `word${i}`).join(' '), 72);
    expect(lines.every((l) => l.length <= 72)).toBe(true);
    expect(lines.join(' ').split(' ')).toHaveLength(100);
  });

  it('shipped in corpus/ is exactly what the generator writes (`keel demo corpus` rewrites it)', () => {
    const words = vocabulary(seededRandom(shippedCorpus.seed), shippedCorpus.vocabularySize);
    const sha = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
    for (let i = 0; i < shippedCorpus.books; i++) {
      expect(sha(readFileSync(join(shippedCorpusDir(), bookFileName(i)))), bookFileName(i)).toBe(sha(generateBook(shippedCorpus, i, words)));
    }
  });
});
