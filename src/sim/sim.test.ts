import { describe, expect, it } from 'vitest';
import { parseFaults } from './faults.js';
import { runSeed } from './sim-world.js';

describe('simulator smoke', () => {
  it('runs one calm seed cleanly', async () => {
    const t = performance.now();
    const result = await runSeed({ seed: 1, nodes: 3, faults: parseFaults('none') });
    console.log(performance.now() - t, result.ops, result.okOps, result.violations, result.linearizable);
    expect(result.violations).toEqual([]);
  });
  it('runs one faulty seed', async () => {
    const t = performance.now();
    const result = await runSeed({ seed: 2, nodes: 5, faults: parseFaults('all') });
    console.log(performance.now() - t, result.ops, result.okOps, result.faultsInjected, result.violations, result.linearizable);
  });
});
