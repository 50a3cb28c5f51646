/**
 * The bit-flip property, shared by the real test and the mutation test that disables checksums:
 * flip random bits anywhere in a closed log; reopening and reading must either fail with
 * WAL_CORRUPT or return exactly what was written, and a flip inside a record of any batch but
 * the last must be refused at open (unless the last batch was hit too: then it is a reported torn tail).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { isKeelError } from '../../core/errors.js';
import { joinPath } from '../../core/path.js';
import { WAL_DIR, memoryFs, openWal, payloadFor } from '../storage.test-kit.js';
import { RECORD_HEADER_SIZE } from './format.js';
import { scanSegment } from './scan.js';

export function bitFlipProperty(numRuns: number, seed?: number) {
  return fc.check(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 40 }),
      fc.integer({ min: 0, max: 900 }),
      fc.integer({ min: 1, max: 3 }),
      async (fsSeed, batchSizes, payloadBytes, flips) => {
        const disk = memoryFs(fsSeed);
        const { wal } = await openWal(disk);
        let next = 1;
        for (const size of batchSizes) {
          await wal.append(Array.from({ length: size }, (_, i) => ({ index: next + i, term: 1, type: 0, payload: payloadFor(next + i, 0, payloadBytes) })));
          next += size;
        }
        const lastBatchFirst = next - batchSizes[batchSizes.length - 1]!;
        await wal.close();
        const files = (await disk.readdir(WAL_DIR)).filter((n) => n.endsWith('.wal')).map((n) => joinPath(WAL_DIR, n));
        const guarded: [string, number, number][] = [];
        const lastBatch: [string, number, number][] = [];
        for (const file of files) {
          const bytes = disk.durableBytes(file)!;
          const first = new DataView(bytes.buffer, bytes.byteOffset).getUint32(24, true);
          const scan = scanSegment(bytes, first, 1 << 20);
          scan.records.forEach((r, i) => {
            const end = i + 1 < scan.records.length ? scan.records[i + 1]!.offset : scan.endOffset;
            const payloadLength = new DataView(bytes.buffer, bytes.byteOffset + r.offset + 4, 4).getUint32(0, true);
            const range: [string, number, number] = [file, r.offset, Math.min(end, r.offset + RECORD_HEADER_SIZE + payloadLength)];
            (r.index >= lastBatchFirst ? lastBatch : guarded).push(range);
          });
        }
        let hitGuarded = false;
        let hitLastBatch = false;
        const inside = (ranges: typeof guarded, file: string, offset: number) => ranges.some(([g, start, end]) => g === file && offset >= start && offset < end);
        for (let f = 0; f < flips; f++) {
          const file = files[(fsSeed + f) % files.length]!;
          const [offset] = disk.flipRandomBits(file, 1);
          hitGuarded ||= inside(guarded, file, offset!);
          hitLastBatch ||= inside(lastBatch, file, offset!);
        }
        let opened: Awaited<ReturnType<typeof openWal>>;
        try {
          opened = await openWal(disk);
        } catch (error) {
          expect(isKeelError(error, 'WAL_CORRUPT'), String(error)).toBe(true);
          return;
        }
        // The last batch is the evidence that earlier damage is not a torn write; when it is
        // damaged too, the loss is reported as a torn tail instead (docs/storage.md, limits).
        if (!hitLastBatch) expect(hitGuarded, 'a flipped bit inside a synced record of an earlier batch went undetected at open').toBe(false);
        else if (hitGuarded) expect(opened.report.tornTail, 'double damage must at least be reported').toBeDefined();
        const { wal: reopened } = opened;
        const first = reopened.firstIndex;
        const last = reopened.lastIndex;
        if (first === undefined || last === undefined) return;
        try {
          for (const r of await reopened.read(first, last + 1)) expect(r.payload, `record ${r.index} returned corrupted`).toEqual(payloadFor(r.index, 0, payloadBytes));
        } catch (error) {
          if (!isKeelError(error, 'WAL_CORRUPT')) throw error;
        }
      },
    ),
    { numRuns, ...(seed === undefined ? {} : { seed }) },
  );
}
