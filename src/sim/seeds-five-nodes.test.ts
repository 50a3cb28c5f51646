import { describe, it } from 'vitest';
import { expectSeedsClean } from './sim.test-kit.js';

// A fixed range, so CI is deterministic; `npm run sim:long` explores new seeds.
describe('simulator: 5 nodes, every fault', () => {
  // Two halves: each gets its own timeout on a loaded 2-core CI machine.
  it('seeds 1-40 hold every invariant', async () => expectSeedsClean(1, 40, 5, 'all'), 300_000);
  it('seeds 41-80 hold every invariant', async () => expectSeedsClean(41, 40, 5, 'all'), 300_000);
  it('seeds 201-215 with the scripted figure-8 scenario on top of every fault hold every invariant', async () => expectSeedsClean(201, 15, 5, 'all,figure8'), 300_000);
  it('seeds 101-140 under churn, partitions and loss hold every invariant', async () => expectSeedsClean(101, 40, 5, 'churn,partition,drop,delay,transfer'), 300_000);
});
