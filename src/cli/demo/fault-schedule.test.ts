import { describe, expect, it } from 'vitest';
import { describeAction, faultSchedule, isDue, replacementId, type FaultAction } from './fault-schedule.js';

const kinds = (actions: readonly { action: FaultAction }[]): string[] => actions.map((s) => s.action.kind);

describe('the fault schedule', () => {
  it('kills and replaces a worker, pauses another, kills the leader while it is paused, resumes it, restarts the node', () => {
    const steps = faultSchedule({ workers: ['w1', 'w2', 'w3'], nodes: 3 });
    expect(kinds(steps)).toEqual(['killWorker', 'startWorker', 'pauseWorker', 'killLeader', 'resumeWorker', 'restartNode']);
    expect(steps[0]!.action).toEqual({ kind: 'killWorker', worker: 'w1' });
    expect(steps[1]!.action).toEqual({ kind: 'startWorker', worker: 'w1b', replaces: 'w1' });
    expect(steps[2]!.action).toEqual({ kind: 'pauseWorker', worker: 'w2' });
    expect(steps[4]!.action).toEqual({ kind: 'resumeWorker', worker: 'w2' });
  });

  it('kills the leader before the paused worker can be detected (so the zombie is not told by its stream)', () => {
    const steps = faultSchedule({ workers: ['w1', 'w2'], nodes: 3 });
    const kill = steps.find((s) => s.action.kind === 'killLeader')!;
    expect(kill.afterPreviousMs).toBeLessThan(500);
    const resume = steps.find((s) => s.action.kind === 'resumeWorker')!;
    expect(resume.afterPreviousMs).toBeGreaterThanOrEqual(3_000);
  });

  it('moves forward with the job: fractions never decrease, every step after the first waits', () => {
    const steps = faultSchedule({ workers: ['w1', 'w2', 'w3'], nodes: 5 });
    for (let i = 1; i < steps.length; i++) {
      expect(steps[i]!.atFraction).toBeGreaterThanOrEqual(steps[i - 1]!.atFraction);
      expect(steps[i]!.afterPreviousMs).toBeGreaterThan(0);
    }
    expect(steps.at(-1)!.atFraction).toBeLessThan(1);
  });

  it('leaves out what the cluster could not survive', () => {
    expect(kinds(faultSchedule({ workers: ['w1'], nodes: 3 }))).toEqual(['killWorker', 'startWorker', 'killLeader', 'restartNode']);
    expect(kinds(faultSchedule({ workers: ['w1', 'w2'], nodes: 1 }))).toEqual(['killWorker', 'startWorker', 'pauseWorker', 'resumeWorker']);
    expect(faultSchedule({ workers: [], nodes: 1 })).toEqual([]);
  });

  it('runs a step only when both its fraction and its delay are reached', () => {
    const step = { atFraction: 0.3, afterPreviousMs: 1_000, action: { kind: 'killLeader' } as const };
    expect(isDue(step, 0.29, 5_000)).toBe(false);
    expect(isDue(step, 0.5, 999)).toBe(false);
    expect(isDue(step, 0.3, 1_000)).toBe(true);
  });

  it('describes every action', () => {
    for (const step of faultSchedule({ workers: ['w1', 'w2'], nodes: 3 })) expect(describeAction(step.action, 'n1')).toMatch(/\w/);
    expect(describeAction({ kind: 'killLeader' }, 'n2')).toBe('kill -9 the Raft leader n2');
    expect(replacementId('w7')).toBe('w7b');
  });
});
