import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitFlipProperty } from './bitflip.test-kit.js';

describe('wal bit flips', () => {
  it('a flipped bit anywhere is detected: never a corrupted record returned, never a synced one silently dropped', async () => {
    const details = await bitFlipProperty(300);
    expect(details.failed, `${fc.defaultReportMessage(details)}\n${String(details.errorInstance)}`).toBe(false);
  });
});
