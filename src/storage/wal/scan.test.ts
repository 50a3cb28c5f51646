import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanSegment } from './scan.js';

describe('scanSegment tail detection', () => {
  it('finds the last non-zero byte wherever it is, at any alignment', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 64, max: 300 }), fc.option(fc.integer({ min: 0, max: 299 })), (shift, length, hot) => {
        const backing = new Uint8Array(length + shift);
        const bytes = backing.subarray(shift);
        if (hot !== null && hot < length) bytes[hot] = 1;
        const scan = scanSegment(bytes, 1, 1024);
        const expectDamage = hot !== null && hot < length && hot >= 64;
        expect(scan.tail.kind === 'clean').toBe(!expectDamage);
        if (scan.tail.kind === 'torn') expect(scan.tail.droppedBytes).toBe(hot! + 1 - 64);
      }),
    );
  });
});
