/**
 * Prove it bites: with `taskBugs.acceptStaleResults` on (a zombie's complete commits over a newer
 * lease), the tasks workload's exactly-once checker reports a violation within a bounded seed
 * range; with it off, that seed passes. The seed is listed in docs/sim.md.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resetTaskBugs, taskBugs } from '../tasks/bugs.js';
import { parseFaults } from './faults.js';
import { runSeed } from './sim-world.js';

afterEach(resetTaskBugs);

describe('mutation: the tasks workload catches a stale result committed', () => {
  it('finds a fencing violation with stale results accepted, and none once the rule is back', async () => {
    const faults = parseFaults('all');
    let caught: { seed: number; messages: string[] } | undefined;
    for (let seed = 1; seed <= 40 && caught === undefined; seed++) {
      taskBugs.acceptStaleResults = true;
      const result = await runSeed({ seed, nodes: 3, faults, workload: 'tasks' });
      if (result.violations.length > 0) caught = { seed, messages: result.violations.map((v) => `${v.invariant}: ${v.message}`) };
    }
    expect(caught, 'no seed in 1-40 caught the mutation').toBeDefined();
    expect(caught!.messages[0]).toMatch(/^exactly-once: fencing: task \S+: result of attempt \d+ committed at entry \d+ with a stale token \(live lease: attempt \d+ on \S+\)$/);
    resetTaskBugs();
    const clean = await runSeed({ seed: caught!.seed, nodes: 3, faults, workload: 'tasks' });
    expect(clean.violations).toEqual([]);
  }, 120_000);
});
