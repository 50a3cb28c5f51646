/**
 * Prove it bites (issue 3): each deliberate bug must be caught by the simulator within a small,
 * fixed seed budget. The seed and invariant that catch each are listed in docs/sim.md.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bugs, resetBugs, type BugSwitches } from '../core/bug-switches.js';
import { parseFaults } from './faults.js';
import { runSeed } from './sim-world.js';

afterEach(resetBugs);

async function firstCatch(bug: keyof BugSwitches, faults: string, nodes: number, seeds: number): Promise<{ seed: number; invariants: string[] } | undefined> {
  for (let seed = 1; seed <= seeds; seed++) {
    resetBugs();
    bugs[bug] = true;
    const result = await runSeed({ seed, nodes, faults: parseFaults(faults) });
    if (result.violations.length > 0) return { seed, invariants: result.violations.map((v) => v.invariant) };
  }
  return undefined;
}

describe('mutations the simulator must catch', () => {
  it('(1) a vote granted without being persisted', async () => {
    const caught = await firstCatch('voteWithoutPersist', 'all', 3, 10);
    expect(caught?.invariants).toContain('vote-durability');
  }, 120_000);

  it('(2) a leader committing an earlier term\'s entry by counting replicas (figure 8)', async () => {
    const caught = await firstCatch('commitOldTermByCounting', 'figure8', 3, 5);
    expect(caught).toBeDefined();
    expect(caught!.invariants).toContain('state-machine-safety');
  }, 120_000);

  it('(3) a follower acknowledging before its fsync', async () => {
    const caught = await firstCatch('ackBeforeFsync', 'all', 3, 30);
    expect(caught).toBeDefined();
    expect(caught!.invariants.some((i) => ['state-machine-safety', 'linearizability', 'leader-completeness', 'state-digest'].includes(i))).toBe(true);
  }, 120_000);

  it('(4) a leader serving reads without a ReadIndex round', async () => {
    const caught = await firstCatch('staleLeaderReads', 'all', 3, 40);
    expect(caught?.invariants).toContain('linearizability');
  }, 180_000);
});
