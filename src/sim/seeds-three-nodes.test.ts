import { describe, it } from 'vitest';
import { expectSeedsClean } from './sim.test-kit.js';

describe('simulator: 3 nodes', () => {
  // Halves: each gets its own timeout on a loaded 2-core CI machine.
  it('seeds 1001-1050, every fault, hold every invariant', async () => expectSeedsClean(1001, 50, 3, 'all'), 300_000);
  it('seeds 1051-1100, every fault, hold every invariant', async () => expectSeedsClean(1051, 50, 3, 'all'), 300_000);
  it('seeds 2001-2040 under churn and partitions hold every invariant', async () => expectSeedsClean(2001, 40, 3, 'churn,partition,drop,duplicate'), 300_000);
  it('seeds 4001-4020 with the scripted figure-8 scenario on top of every fault hold every invariant', async () => expectSeedsClean(4001, 20, 3, 'all,figure8'), 300_000);
  it('seeds 3001-3040 with disk faults only (crash, fsync EIO, bit flips) hold every invariant', async () => expectSeedsClean(3001, 40, 3, 'crash,fsync,bitflip'), 300_000);
});
