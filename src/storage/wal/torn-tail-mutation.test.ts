/** Mutation test: with the torn-tail cut skipped at open, the resurrection scenario must fail. */
import { afterEach, describe, expect, it } from 'vitest';
import { bugs, resetBugs } from '../../core/bug-switches.js';
import { tornTailResurrectionScenario } from './torn-tail.test-kit.js';

afterEach(resetBugs);

describe('mutation: WAL torn-tail truncation skipped', () => {
  it('resurrects dropped records, which the scenario detects', async () => {
    bugs.skipTornTailTruncation = true;
    expect(await tornTailResurrectionScenario()).toBe(6);
  });
});
