import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitOnLines } from './corpus.js';
import { countWords, countsDigest, decodeCountsInto, encodeCounts, sameSummary, summarize, topWords } from './word-count.js';

const count = (text: string): Map<string, number> => {
  const counts = new Map<string, number>();
  countWords(text, counts);
  return counts;
};

describe('word counting', () => {
  it('lower-cases, keeps inner apostrophes (straight or curly) and drops punctuation', () => {
    const counts = new Map<string, number>();
    expect(countWords('The cat, the HAT. Don\'t stop; don\u2019t!  "Well"--well.', counts)).toBe(9);
    expect(Object.fromEntries(counts)).toEqual({ the: 2, cat: 1, hat: 1, "don't": 2, stop: 1, well: 2 });
  });

  it('counts letters and digits of any script; words never span a line', () => {
    expect(Object.fromEntries(count('Éclair café 42\nnaïve\ncafé'))).toEqual({ 'éclair': 1, 'café': 2, '42': 1, 'naïve': 1 });
    expect(count('end-\nof-line').size).toBe(3);
  });

  it('handles words that are Object.prototype names', () => {
    const counts = count('constructor __proto__ toString hasOwnProperty constructor');
    expect(counts.get('constructor')).toBe(2);
    expect(counts.get('proto')).toBe(1);
    const back = new Map<string, number>();
    decodeCountsInto(back, encodeCounts(counts));
    expect(back).toEqual(counts);
  });
});

describe('counts as text', () => {
  it('encodes sorted by word and decodes by adding', () => {
    const counts = new Map([['b', 2], ['a', 1], ["it's", 3]]);
    expect(encodeCounts(counts)).toBe("a 1\nb 2\nit's 3\n");
    const merged = new Map([['a', 10]]);
    decodeCountsInto(merged, encodeCounts(counts));
    expect(Object.fromEntries(merged)).toEqual({ a: 11, b: 2, "it's": 3 });
  });

  it('refuses a malformed text', () => {
    expect(() => decodeCountsInto(new Map(), 'word\n')).toThrow(/malformed/);
    expect(() => decodeCountsInto(new Map(), 'word -1\n')).toThrow(/malformed/);
  });

  it('digests equal counts equally, whatever the insertion order', () => {
    expect(countsDigest(new Map([['x', 1], ['y', 2]]))).toBe(countsDigest(new Map([['y', 2], ['x', 1]])));
    expect(countsDigest(new Map([['x', 1], ['y', 2]]))).not.toBe(countsDigest(new Map([['x', 1], ['y', 3]])));
  });
});

describe('summaries', () => {
  it('breaks ties of the top words alphabetically', () => {
    expect(topWords(new Map([['b', 2], ['a', 2], ['c', 5], ['d', 1]]), 3)).toEqual([['c', 5], ['a', 2], ['b', 2]]);
  });

  it('tells equal counts from different ones', () => {
    const a = summarize(count('one two two three three three'), 2);
    expect(a).toMatchObject({ words: 6, distinct: 3, top: [['three', 3], ['two', 2]] });
    expect(sameSummary(a, summarize(count('three two one three two three'), 2))).toBe(true);
    expect(sameSummary(a, summarize(count('one two two three three'), 2))).toBe(false);
  });
});

describe('map and reduce equal one pass (the property the demo verifies)', () => {
  const line = fc.array(fc.constantFrom('the', 'The', 'cat', "don't", 'é', '42', ',', '.', ' ', '  ', '"', '\u2019', 'x'), { maxLength: 12 }).map((parts) => parts.join(' '));
  it('counting every split and merging the encoded counts gives the whole text\'s counts', () => {
    fc.assert(fc.property(fc.array(line, { maxLength: 40 }), fc.boolean(), fc.integer({ min: 1, max: 64 }), (lines, trailingNewline, splitBytes) => {
      const text = lines.join('\n') + (trailingNewline ? '\n' : '');
      const bytes = Buffer.from(text);
      const merged = new Map<string, number>();
      for (const split of splitOnLines(bytes, splitBytes)) {
        decodeCountsInto(merged, encodeCounts(count(bytes.subarray(split.start, split.end).toString('utf8'))));
      }
      expect(countsDigest(merged)).toBe(countsDigest(count(text)));
    }));
  });
});
