import { describe, expect, it } from 'vitest';
import { endedAttemptsBetween, firstEventAfter, localTaskId, median, runningAttempts, TaskTimeline, workerFaultStats, type SeenEvent } from './timeline.js';

const e = (atMs: number, task: string, event: SeenEvent['event'], worker?: string, attempt = 1, reason?: string): SeenEvent => ({
  atMs, task, event, attempt, ...(worker === undefined ? {} : { worker }), ...(reason === undefined ? {} : { reason }),
});

describe('the task timeline', () => {
  it('records task events by local id, and progress', () => {
    const timeline = new TaskTimeline();
    timeline.record({ type: 'task', jobId: 'j', taskId: 'j/map-3', event: 'assigned', attempt: 1, worker: 'w1' }, 10);
    timeline.record({ type: 'progress', jobId: 'j', state: 'running', counts: { pending: 1, running: 1, succeeded: 0, failed: 0, deadLettered: 0, cancelled: 0 } }, 10);
    timeline.record({ type: 'progress', jobId: 'j', state: 'running', counts: { pending: 0, running: 1, succeeded: 4, failed: 0, deadLettered: 0, cancelled: 0 } }, 1_010);
    expect(timeline.events).toEqual([e(10, 'map-3', 'assigned', 'w1')]);
    expect(timeline.throughput(1_010)).toBe(4);
    expect(localTaskId('job/x/map-1')).toBe('x/map-1');
  });

  it('measures a worker fault: detection at the first ended attempt, recovery at each re-assignment elsewhere', () => {
    const events = [
      e(100, 'a', 'assigned', 'w1'), e(120, 'b', 'assigned', 'w1'), e(130, 'c', 'assigned', 'w2'),
      // fault at 1000
      e(1_150, 'a', 'retry', 'w1', 1, 'workerDown'), e(1_150, 'b', 'retry', 'w1', 1, 'workerDown'),
      e(1_300, 'a', 'assigned', 'w2', 2), e(1_700, 'b', 'assigned', 'w3', 2),
      e(1_800, 'c', 'retry', 'w2', 1, 'failed'),
    ];
    const stats = workerFaultStats(events, 'w1', 1_000);
    expect(stats).toEqual({ rescheduled: ['a', 'b'], detectedMs: 150, recoveryMs: [300, 700] });
    expect(median(stats.recoveryMs)).toBe(300);
    expect(workerFaultStats(events, 'w3', 1_000)).toEqual({ rescheduled: [], recoveryMs: [] });
    expect(endedAttemptsBetween(events, 1_000, 2_000, new Set(['w1']))).toBe(1);
    expect(firstEventAfter(events, 1_200)).toEqual(events[5]);
    expect(runningAttempts(events, 'w2')).toEqual(new Map([['a', 2]]));
  });
});
