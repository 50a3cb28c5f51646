import { describe, expect, it } from 'vitest';
import { parseFaults } from './faults.js';
import { runSeed } from './sim-world.js';

describe('simulator', () => {
  it('is deterministic: the same seed gives the same trace and history, byte for byte', async () => {
    const a = await runSeed({ seed: 77, nodes: 5, faults: parseFaults('all'), trace: true });
    const b = await runSeed({ seed: 77, nodes: 5, faults: parseFaults('all'), trace: true });
    expect(a.trace.length).toBeGreaterThan(1000);
    expect(b.trace.join('\n')).toBe(a.trace.join('\n'));
    expect(JSON.stringify(b.history)).toBe(JSON.stringify(a.history));
  });

  it('regression seeds (each once failed: see docs/sim.md) stay clean', async () => {
    const cases: [number, number][] = [[10, 5], [1562, 5], [1630, 5], [1075, 5], [1375, 5], [1411, 5], [15, 5], [14, 5], [2, 5], [5011, 3], [23, 3]];
    for (const [seed, nodes] of cases) {
      const result = await runSeed({ seed, nodes, faults: parseFaults('all') });
      expect(result.violations, `seed ${seed} (${nodes} nodes)`).toEqual([]);
    }
  }, 120_000);

  it('rejects an unknown fault kind with the list of known ones', () => {
    expect(() => parseFaults('drop,meteor')).toThrow(/unknown fault "meteor".*partition/);
  });

  it('keeps the opt-in scenarios out of `all` unless they are named', () => {
    expect(parseFaults('all').has('figure8')).toBe(false);
    expect(parseFaults('all').has('churn')).toBe(false);
    expect([...parseFaults('all,figure8')]).toContain('figure8');
    expect(parseFaults('none').size).toBe(0);
  });
});
