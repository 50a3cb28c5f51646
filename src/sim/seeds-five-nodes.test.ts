import { describe, it } from 'vitest';
import { expectSeedsClean } from './sim.test-kit.js';

// A fixed range, so CI is deterministic; `npm run sim:long` explores new seeds.
describe('simulator: 5 nodes, every fault', () => {
  it('seeds 1-80 hold every invariant', async () => expectSeedsClean(1, 80, 5, 'all'), 300_000);
  it('seeds 201-215 with the scripted figure-8 scenario on top of every fault hold every invariant', async () => expectSeedsClean(201, 15, 5, 'all,figure8'), 300_000);
  it('seeds 101-140 under churn, partitions and loss hold every invariant', async () => expectSeedsClean(101, 40, 5, 'churn,partition,drop,delay,transfer'), 300_000);
});
