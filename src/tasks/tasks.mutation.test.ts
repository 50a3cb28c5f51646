/** The model-based property bites: with stale results accepted, it finds a counterexample. */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { resetTaskBugs, taskBugs } from './bugs.js';
import { opsArb, runModel } from './tasks.model.test-kit.js';

describe('mutation: accept stale fencing tokens', () => {
  afterEach(resetTaskBugs);

  it('the exactly-once property fails when a zombie result may commit, and passes again once restored', () => {
    const property = fc.property(opsArb, (ops) => {
      runModel(ops);
    });
    taskBugs.acceptStaleResults = true;
    const broken = fc.check(property, { numRuns: 2000, seed: 42 });
    expect(broken.failed).toBe(true);
    expect(String(broken.errorInstance)).toMatch(/invariant broken: .*(committed attempt|committed twice|result attempt)/);
    resetTaskBugs();
    expect(fc.check(property, { numRuns: 200, seed: 42 }).failed).toBe(false);
  });
});
