/**
 * Mutation test: with the checksum check disabled, the bit-flip property must fail.
 * Proves that test can fail, i.e. that checksums are what stands between a flip and the reader.
 */
import { describe, expect, it, vi } from 'vitest';
import { bitFlipProperty } from './bitflip.test-kit.js';

vi.mock('../crc.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../crc.js')>();
  return { ...real, maskedCrc32c: () => 0x5eed };
});

describe('mutation: checksums disabled', () => {
  it('the bit-flip property catches it', async () => {
    const details = await bitFlipProperty(300, 7);
    expect(details.failed).toBe(true);
    expect(String(details.errorInstance)).toMatch(/returned corrupted|went undetected/);
  });
});
