/** Shared by the simulator's seed suites: run a range of seeds, fail with replay commands. */
import { expect } from 'vitest';
import { parseFaults } from './faults.js';
import { runSeeds } from './run-seeds.js';

export async function expectSeedsClean(start: number, seeds: number, nodes: number, faults: string): Promise<void> {
  const summary = await runSeeds({ start, seeds, nodes, faults: parseFaults(faults), faultsSpec: faults });
  const report = summary.failures.map((f) => `seed ${f.seed}: ${f.violations.map((v) => `${v.invariant}: ${v.message}`).join('; ')}\n  replay: ${f.replay}`).join('\n');
  expect(summary.failures, report).toEqual([]);
  // Each seed must be a real workout (issue 3: >= 20 s simulated, >= 1,000 client ops, several faults).
  expect(summary.simulatedSeconds / seeds).toBeGreaterThanOrEqual(20);
  expect(summary.simulatedOps / seeds).toBeGreaterThanOrEqual(1000);
  if (faults !== 'none') expect(summary.faultsInjected / seeds).toBeGreaterThanOrEqual(3);
}
