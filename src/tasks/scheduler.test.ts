import { describe, expect, it } from 'vitest';
import { seededRandom } from '../core/prng.js';
import type { SchedulingPolicy } from './commands.js';
import { Scheduler } from './scheduler.js';
import { Harness } from './tasks.test-kit.js';

function setup(policy: SchedulingPolicy, workers: [string, number, number?][], taskCount: number, key?: (i: number) => string): Harness {
  const h = new Harness();
  for (const [workerId, capacity, weight] of workers) {
    h.ok('registerWorker', { kind: 'registerWorker', workerId, capacity, handlers: ['h'], ...(weight === undefined ? {} : { weight }), nowMs: 0 });
  }
  h.ok('submitJob', {
    kind: 'submitJob', policy, tasks: Array.from({ length: taskCount }, (_, i) => ({ handler: 'h', input: i, ...(key === undefined ? {} : { key: key(i) }) })),
  });
  return h;
}

function perWorker(assigns: readonly { workerId: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of assigns) counts[a.workerId] = (counts[a.workerId] ?? 0) + 1;
  return counts;
}

describe('Scheduler', () => {
  it('gives each worker at most its free capacity (credit-based) and skips backing-off and blocked tasks', () => {
    const h = setup('least-loaded', [['a', 2], ['b', 3]], 10);
    const scheduler = new Scheduler();
    const first = scheduler.schedule({ state: h.machine.view, nowMs: 1, random: seededRandom(1) });
    expect(first).toHaveLength(5);
    expect(perWorker(first)).toEqual({ a: 2, b: 3 });
    expect(first.map((a) => a.taskId)).toEqual(['job-3/t0', 'job-3/t1', 'job-3/t2', 'job-3/t3', 'job-3/t4']);
    for (const a of first) h.ok('assign', a);
    expect(scheduler.schedule({ state: h.machine.view, nowMs: 1, random: seededRandom(1) })).toEqual([]);
    h.ok('complete', { kind: 'complete', taskId: 'job-3/t0', attempt: 1, output: 0 });
    expect(scheduler.schedule({ state: h.machine.view, nowMs: 1, random: seededRandom(1) })).toHaveLength(1);
  });

  it('only picks workers the failure detector holds live', () => {
    const h = setup('least-loaded', [['a', 2], ['b', 2]], 4);
    const assigns = new Scheduler().schedule({ state: h.machine.view, nowMs: 1, random: seededRandom(3), liveWorkers: new Set(['b']) });
    expect(perWorker(assigns)).toEqual({ b: 2 });
  });

  it('least-loaded balances load with power-of-two choices', () => {
    const h = setup('least-loaded', [['a', 100], ['b', 100], ['c', 100], ['d', 100]], 200);
    const counts = perWorker(new Scheduler().schedule({ state: h.machine.view, nowMs: 1, random: seededRandom(7) }));
    for (const n of Object.values(counts)) expect(n).toBeGreaterThanOrEqual(45);
  });

  it('round-robin cycles through eligible workers', () => {
    const h = setup('round-robin', [['a', 10], ['b', 10], ['c', 10]], 6);
    const assigns = new Scheduler().schedule({ state: h.machine.view, nowMs: 1, random: seededRandom(1) });
    expect(assigns.map((a) => a.workerId)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('weighted follows worker weights', () => {
    const h = setup('weighted', [['heavy', 1000, 9], ['light', 1000, 1]], 1000);
    const counts = perWorker(new Scheduler().schedule({ state: h.machine.view, nowMs: 1, random: seededRandom(5) }));
    expect(counts['heavy']).toBeGreaterThan(800);
    expect(counts['light']).toBeGreaterThan(50);
  });

  it('affinity sends the same key to the same worker, and only a dead worker\'s keys move', () => {
    const keys = (i: number): string => `key-${i % 20}`;
    const h = setup('affinity', [['a', 100], ['b', 100], ['c', 100]], 60, keys);
    const scheduler = new Scheduler();
    const all = scheduler.schedule({ state: h.machine.view, nowMs: 1, random: seededRandom(1) });
    const owner = new Map<string, string>();
    for (const a of all) {
      const key = keys(Number(a.taskId.split('/t')[1]));
      expect(owner.get(key) ?? a.workerId).toBe(a.workerId);
      owner.set(key, a.workerId);
    }
    const withoutB = scheduler.schedule({ state: h.machine.view, nowMs: 1, random: seededRandom(1), liveWorkers: new Set(['a', 'c']) });
    for (const a of withoutB) {
      const key = keys(Number(a.taskId.split('/t')[1]));
      if (owner.get(key) !== 'b') expect(a.workerId).toBe(owner.get(key));
    }
  });

  it('the random policy draws from the seeded Random: same seed, same plan', () => {
    const h = setup('random', [['a', 50], ['b', 50]], 40);
    const plan = (seed: number) => new Scheduler().schedule({ state: h.machine.view, nowMs: 1, random: seededRandom(seed) }).map((a) => a.workerId);
    expect(plan(9)).toEqual(plan(9));
    expect(new Set(plan(9)).size).toBe(2);
  });
});
