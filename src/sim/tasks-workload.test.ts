/**
 * The `tasks` workload (docs/sim.md): jobs, simulated workers that crash and pause (zombies), node
 * faults, and the exactly-once checker at the end. Fixed seed ranges, so CI is deterministic.
 */
import { describe, expect, it } from 'vitest';
import { parseFaults } from './faults.js';
import { runSeeds, type SeedsSummary } from './run-seeds.js';
import { runSeed } from './sim-world.js';

async function expectTaskSeedsClean(start: number, seeds: number, nodes: number, faults: string): Promise<SeedsSummary> {
  const unfinished: number[] = [];
  const summary = await runSeeds({
    start, seeds, nodes, faults: parseFaults(faults), faultsSpec: faults, workload: 'tasks',
    onSeed: (result) => { if (result.tasks?.finishedAtMs === undefined) unfinished.push(result.seed); },
  });
  const report = summary.failures.map((f) => `seed ${f.seed}: ${f.violations.map((v) => `${v.invariant}: ${v.message}`).join('; ')}\n  replay: ${f.replay}`).join('\n');
  expect(summary.failures, report).toEqual([]);
  expect(unfinished, 'seeds whose jobs did not all finish').toEqual([]);
  const t = summary.tasks!;
  expect(t.duplicates).toBe(0);
  // Each seed's flaky job dead-letters its poison task (and fails the task after it); rarely a
  // flaky task too, when worker faults took the attempts it had left.
  expect(t.deadLettered).toBeGreaterThanOrEqual(seeds);
  expect(t.deadLettered).toBeLessThanOrEqual(seeds * 1.5);
  expect(t.committed / seeds).toBeGreaterThanOrEqual(30);
  // Real workouts: worker and node faults, zombies refused, attempts resumed from checkpoints.
  expect(summary.faultsInjected / seeds).toBeGreaterThanOrEqual(5);
  expect(t.staleRejected).toBeGreaterThan(0);
  expect(t.resumedFromCheckpoint / seeds).toBeGreaterThanOrEqual(3);
  return summary;
}

describe('simulator: tasks workload', () => {
  it('3 nodes, seeds 1-20, every fault: exactly-once holds', async () => {
    await expectTaskSeedsClean(1, 20, 3, 'all');
  }, 120_000);

  it('5 nodes, seeds 101-112, every fault: exactly-once holds', async () => {
    await expectTaskSeedsClean(101, 12, 5, 'all');
  }, 120_000);

  it('3 nodes, seeds 201-208, worker faults under churn and loss: exactly-once holds', async () => {
    await expectTaskSeedsClean(201, 8, 3, 'worker-crash,worker-pause,churn,drop,delay,partition');
  }, 120_000);

  it('is deterministic: the same seed gives the same trace and task history', async () => {
    const a = await runSeed({ seed: 9, nodes: 3, faults: parseFaults('all'), workload: 'tasks', trace: true });
    const b = await runSeed({ seed: 9, nodes: 3, faults: parseFaults('all'), workload: 'tasks', trace: true });
    expect(a.trace.length).toBeGreaterThan(1000);
    expect(b.trace.join('\n')).toBe(a.trace.join('\n'));
    expect(JSON.stringify(b.tasks?.history)).toBe(JSON.stringify(a.tasks?.history));
  }, 60_000);
});
