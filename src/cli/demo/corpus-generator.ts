/**
 * The shipped corpus (`corpus/`): English-like text from a seeded generator, because this
 * repository is built without network access to fetch real public-domain books. Words follow a
 * Zipf distribution (frequency of the word of rank r proportional to 1 / r^s, s = 1.05) over a
 * vocabulary whose head is the most frequent English words in their real order and whose tail is
 * invented from English syllables. Sentences, paragraphs wrapped at 72 columns, chapters and
 * books make it read (and split) like prose. Same seed, same bytes: `keel demo corpus` rewrites
 * the shipped files exactly.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../core/prng.js';
import type { Random } from '../../ports/random.js';

/** The most frequent English words, most frequent first (after the usual frequency lists). */
const headWords = (
  'the of and to a in that is was he for it with as his on be at by i had not are but from or have an they which ' +
  'one you were her all she there would their we him been has when who will more no if out so said what up its ' +
  'about into than them can only other new some could time these two may then do first any my now such like our ' +
  'over man me even most made after also did many before must through back years where much your way well down ' +
  'should because each just those people how too little state good very make world still own see men work long ' +
  'get here between both life being under never day same another know while last might us great old year off ' +
  'come since against go came right used take three himself few house use during without again place around ' +
  'however home small found thought went say part once general high upon school every don\'t does got united ' +
  'left number course war until always away something fact though water less public put think almost hand ' +
  'enough far took head yet government system better set told nothing night end why called didn\'t eyes find ' +
  'going look asked later knew point next city business give group toward young let room president side social ' +
  'given present several order national second possible rather per face among form important often things ' +
  'looked early white case john become large big need four within felt along children saw best church ever ' +
  'least power development light thing seemed family interest want members mind country area others although ' +
  'turned done open god service certain kind problem began different door thus help sense means whole matter ' +
  'perhaps itself it\'s york times law human line above name example action company hands local show whether ' +
  'five history gave today either act feet across taken past quite anything seen having death experience body ' +
  'word half really field am car words already themselves i\'m information tell together college shall money ' +
  'period held keep sure real probably free seems political cannot behind miss question air office making brought'
).split(' ');

const onsets = ['', 'b', 'br', 'c', 'ch', 'cl', 'cr', 'd', 'dr', 'f', 'fl', 'fr', 'g', 'gl', 'gr', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'pl', 'pr', 'qu', 'r', 's', 'sc', 'sh', 'sl', 'sm', 'sn', 'sp', 'st', 'str', 't', 'th', 'tr', 'v', 'w', 'wh', 'wr', 'y', 'z'];
const vowels = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'ee', 'ie', 'oa', 'oo', 'ou', 'ay', 'y'];
const codas = ['', '', '', '', '', '', 'd', 'ft', 'ght', 'k', 'l', 'ld', 'll', 'm', 'n', 'nd', 'ng', 'nt', 'p', 'r', 'rd', 'rn', 'rt', 's', 'sh', 'ss', 'st', 't', 'th', 'ck', 'x'];
const suffixes = ['', '', '', '', '', '', '', '', 'ing', 'ed', 'er', 'ly', 'ness', 'tion', 'ment', 'able', 'ful', 's', 'es'];

export interface CorpusSpec {
  readonly seed: number;
  readonly books: number;
  readonly bytesPerBook: number;
  /** Distinct words in the vocabulary (the head words included). */
  readonly vocabularySize: number;
  /** The Zipf exponent s. */
  readonly zipfExponent: number;
}

/** What `corpus/` holds: 4 books of 1 MiB. */
export const shippedCorpus: CorpusSpec = Object.freeze({ seed: 1848, books: 4, bytesPerBook: 1024 * 1024, vocabularySize: 30_000, zipfExponent: 1.05 });

function pick<T>(random: Random, list: readonly T[]): T {
  return list[random.int(list.length)]!;
}

/** The vocabulary in rank order: the head words, then invented words, longer as they get rarer. */
export function vocabulary(random: Random, size: number): string[] {
  const words = headWords.slice(0, size);
  const seen = new Set(words);
  // Bounded: a random source that repeats itself must fail, not spin.
  for (let tries = 0; words.length < size; tries++) {
    if (tries > size * 100) throw new Error(`could not invent ${size} distinct words`);
    const syllables = 1 + Math.floor(Math.log10(words.length) / 2.5) + (random.int(3) === 0 ? 1 : 0);
    let word = '';
    for (let i = 0; i < syllables; i++) word += pick(random, onsets) + pick(random, vowels) + pick(random, codas);
    word += pick(random, suffixes);
    if (word.length >= 2 && !seen.has(word)) {
      seen.add(word);
      words.push(word);
    }
  }
  return words;
}

/** Samples ranks 0..n-1 with P(r) proportional to 1 / (r + 1)^s. */
export function zipfSampler(random: Random, n: number, s: number): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < n; r++) {
    total += 1 / (r + 1) ** s;
    cumulative[r] = total;
  }
  return () => {
    const x = random.next() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const capitalize = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);

function sentence(random: Random, words: readonly string[], sample: () => number): string {
  const length = 4 + random.int(10) + random.int(10);
  const parts: string[] = [];
  for (let i = 0; i < length; i++) {
    let word = words[sample()]!;
    if (word === 'i') word = 'I';
    else if (word === "i'm") word = "I'm";
    if (i > 2 && i < length - 2 && random.int(9) === 0) parts[parts.length - 1] += ',';
    parts.push(word);
  }
  parts[0] = capitalize(parts[0]!);
  const end = random.int(12);
  const text = `${parts.join(' ')}${end === 0 ? '?' : end === 1 ? '!' : '.'}`;
  return random.int(10) === 0 ? `"${text}"` : text;
}

/** Wraps a paragraph at `width` columns. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line.length === 0 ? word : `${line} ${word}`;
    }
  }
  if (line.length > 0) lines.push(line);
  return lines;
}

const roman = (n: number): string => {
  const numerals: [number, string][] = [[50, 'L'], [40, 'XL'], [10, 'X'], [9, 'IX'], [5, 'V'], [4, 'IV'], [1, 'I']];
  let out = '';
  for (const [value, symbol] of numerals) while (n >= value) [n, out] = [n - value, out + symbol];
  return out;
};

/** Book `index` (0-based) of the corpus: about `bytesPerBook` bytes of ASCII text. */
export function generateBook(spec: CorpusSpec, index: number, words: readonly string[]): string {
  const random = seededRandom(spec.seed * 1000 + index + 1);
  const sample = zipfSampler(random, words.length, spec.zipfExponent);
  const title = Array.from({ length: 3 }, () => capitalize(words[20 + random.int(400)]!)).join(' ');
  const out: string[] = [`BOOK ${roman(index + 1)}: ${title.toUpperCase()}`, ''];
  let bytes = out.join('\n').length;
  let chapter = 0;
  let paragraphsLeft = 0;
  while (bytes < spec.bytesPerBook) {
    if (paragraphsLeft === 0) {
      chapter += 1;
      paragraphsLeft = 20 + random.int(40);
      out.push('', `CHAPTER ${roman(chapter)}`, '');
      bytes += `CHAPTER ${roman(chapter)}`.length + 3;
    }
    const sentences = Array.from({ length: 2 + random.int(6) }, () => sentence(random, words, sample));
    for (const line of [...wrap(sentences.join(' '), 72), '']) {
      out.push(line);
      bytes += line.length + 1;
    }
    paragraphsLeft -= 1;
  }
  return `${out.join('\n')}\n`;
}

export function bookFileName(index: number): string {
  return `book-${String(index + 1).padStart(2, '0')}.txt`;
}

/** Writes the corpus to `dir`; returns the files written. */
export function writeCorpus(dir: string, spec: CorpusSpec = shippedCorpus): string[] {
  mkdirSync(dir, { recursive: true });
  const words = vocabulary(seededRandom(spec.seed), spec.vocabularySize);
  return Array.from({ length: spec.books }, (_, i) => {
    const file = join(dir, bookFileName(i));
    writeFileSync(file, generateBook(spec, i, words));
    return file;
  });
}
