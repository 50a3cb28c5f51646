import { describe, expect, it } from 'vitest';
import { hashString, murmur3x86_32 } from './murmur3.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('murmur3x86_32', () => {
  // Reference vectors of MurmurHash3_x86_32 (SMHasher's implementation), covering the empty
  // input, seeds, every tail length (0 to 3 bytes) and multi-block inputs.
  it.each([
    ['', 0, 0x00000000],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['\0\0\0\0', 0, 0x2362f9de],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['aaa', 0x9747b28c, 0x283e0130],
    ['aa', 0x9747b28c, 0x5d211726],
    ['a', 0x9747b28c, 0x7fa09ea6],
    ['abcd', 0x9747b28c, 0xf0478627],
    ['abc', 0x9747b28c, 0xc84a62dd],
    ['ab', 0x9747b28c, 0x74875592],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ])('hash(%j, seed %d) matches the reference', (text, seed, expected) => {
    expect(murmur3x86_32(ascii(text), seed)).toBe(expected);
  });

  it('hashString hashes UTF-8 bytes, also for long strings and non-ASCII text', () => {
    for (const text of ['worker-1#0', 'ключ', '鍵🔑', 'x'.repeat(5000), 'é'.repeat(1024), 'é'.repeat(1025)]) {
      expect(hashString(text)).toBe(murmur3x86_32(ascii(text)));
      expect(hashString(text, 7)).toBe(murmur3x86_32(ascii(text), 7));
    }
  });

  it('returns unsigned 32-bit integers', () => {
    for (let i = 0; i < 1000; i++) {
      const hash = hashString(`key-${i}`);
      expect(Number.isInteger(hash) && hash >= 0 && hash < 2 ** 32).toBe(true);
    }
  });
});
