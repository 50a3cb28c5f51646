import { expect } from 'vitest';
import { joinPath } from '../../core/path.js';
import { WAL_DIR, memoryFs, openWal, record, records } from '../storage.test-kit.js';

/**
 * A torn last batch whose first frame was lost but whose later frames reached the disk: recovery
 * must cut them too, or a later, shorter append leaves them in place to be read back as if they
 * followed it (a dropped record resurrected). Exported for the mutation test.
 */
export async function tornTailResurrectionScenario(): Promise<number | undefined> {
  const fs = memoryFs();
  const { wal } = await openWal(fs, { segmentSizeBytes: 1 << 16 });
  for (let i = 1; i <= 3; i++) await wal.append([record(i, 100)]);
  await wal.append(records(4, 3, 100, 0));
  await wal.close();
  const path = joinPath(WAL_DIR, (await fs.readdir(WAL_DIR)).filter((n) => n.endsWith('.wal'))[0]!);
  const frame = 40 + 104; // header + 100-byte payload, 8-aligned
  const zeros = new Uint8Array(frame);
  const handle = await fs.open(path, 'readWrite');
  await handle.write(64 + 3 * frame, zeros); // record 4's sector never reached the disk; 5 and 6 did
  await handle.sync();
  await handle.close();
  const first = await openWal(fs, { segmentSizeBytes: 1 << 16 });
  expect(first.report.lastIndex).toBe(3);
  expect(first.report.tornTail?.droppedBytes).toBeGreaterThan(0);
  await first.wal.append([record(4, 100, 1)]);
  await first.wal.close();
  const second = await openWal(fs, { segmentSizeBytes: 1 << 16 });
  return second.report.lastIndex;
}

