import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clipText, compareKeys, isWellFormed, utf8Length } from './keys.js';

const anyText = fc.string({ unit: 'binary', maxLength: 12 }); // any code point, including astral planes
const codeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), maxLength: 8 });

describe('key helpers', () => {
  it('compareKeys orders as the UTF-8 bytes do', () => {
    fc.assert(fc.property(anyText, anyText, (a, b) => {
      expect(Math.sign(compareKeys(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
    }));
  });

  it('utf8Length matches TextEncoder, lone surrogates included', () => {
    fc.assert(fc.property(fc.oneof(anyText, codeUnits), (s) => {
      expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
    }));
  });

  it('isWellFormed is true exactly when the string survives UTF-8', () => {
    fc.assert(fc.property(fc.oneof(anyText, codeUnits), (s) => {
      expect(isWellFormed(s)).toBe(new TextDecoder().decode(new TextEncoder().encode(s)) === s);
    }));
    expect(isWellFormed('\ud800')).toBe(false);
    expect(isWellFormed('a\udc00')).toBe(false);
    expect(isWellFormed('😀')).toBe(true);
  });
});

describe('clipText', () => {
  it('bounds the length and never leaves a lone surrogate', () => {
    fc.assert(fc.property(fc.oneof(anyText, codeUnits), fc.integer({ min: 0, max: 6 }), (s, max) => {
      const clipped = clipText(s, max);
      expect(isWellFormed(clipped)).toBe(true);
      expect(clipped.length).toBeLessThanOrEqual(max + 3);
    }));
    expect(clipText('a😀', 2)).toBe('a\uFFFD...');
  });
});
