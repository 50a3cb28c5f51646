import { describe, expect, it } from 'vitest';
import { metricSum } from './metrics-text.js';
import { formatReport, formatResult, type FaultOutcome } from './report.js';

describe('the recovery report', () => {
  const faults: FaultOutcome[] = [
    { kind: 'killWorker', worker: 'w1', atMs: 4_000, held: 4, stats: { rescheduled: ['map-1', 'map-2'], detectedMs: 113, recoveryMs: [600, 700] }, leaderDetectionMs: 150, resumedTasks: 2, linesSaved: 320 },
    { kind: 'startWorker', worker: 'w1b', replaces: 'w1', atMs: 5_600, upAfterMs: 2_800 },
    { kind: 'pauseWorker', worker: 'w2', atMs: 10_300, held: 4, stats: { rescheduled: [], recoveryMs: [] }, resumedTasks: 0, linesSaved: 0 },
    { kind: 'killLeader', node: 'n3', atMs: 10_600, electedAfterMs: 276, newLeader: 'n2', term: 2, firstCommitAfterMs: 588, rescheduled: 0 },
    { kind: 'resumeWorker', worker: 'w2', atMs: 14_500, rejoinedAfterMs: 261, zombieResults: 1, zombieCheckpoints: 0 },
    { kind: 'restartNode', node: 'n3', atMs: 18_800, answeringAfterMs: 1_200, servingAfterMs: 5_700, appliedIndex: 1_270 },
  ];

  it('has a numbered entry per fault and the totals', () => {
    const text = formatReport(faults, {
      mapTasks: 240, attempts: 249, deadLettered: 0, resumedTasks: 8, linesSaved: 1_088, corpusLines: 75_919, zombieResults: 1, zombieCheckpoints: 1, jobMs: 29_200,
      leaders: [{ id: 'n3', term: 1 }, { id: 'n2', term: 2 }],
    }).join('\n');
    expect(text).toContain('  1. kill -9 worker w1 at 4.0 s, holding 4 tasks');
    expect(text).toContain('detected in 113 ms (leader\'s failure detector: 150 ms after its last heartbeat)');
    expect(text).toContain('2 tasks rescheduled, running again on other workers 600 ms after the fault (median; max 700 ms)');
    expect(text).toContain('checkpoints: 2 tasks resumed mid-split, 320 lines not counted again');
    expect(text).toContain('no attempt of w2 was ended while the demo watched');
    expect(text).toContain('new leader n2 (term 2) elected 276 ms after the kill; first task event committed after 588 ms');
    expect(text).toContain('its stale work refused by fencing tokens: 1 result, 0 checkpoints');
    expect(text).toContain('caught up with the leader (index 1,270) and serving after 5700 ms');
    expect(text).toContain('240 map tasks + 1 reduce in 29.2 s: 249 attempts (8 rescheduled), 0 dead letters');
    expect(text).toContain('work saved by checkpoints: 1,088 lines (1.4% of the corpus) not counted again, in 8 resumed tasks');
    expect(text).toContain('zombie results rejected: 1 (zombie checkpoints rejected: 1)');
    expect(text).toContain('leaders: n3 (term 1) -> n2 (term 2)');
  });

  it('says so when no fault was injected', () => {
    expect(formatReport([], { mapTasks: 1, attempts: 2, deadLettered: 0, resumedTasks: 0, linesSaved: 0, corpusLines: 10, zombieResults: 0, zombieCheckpoints: 0, jobMs: 1, leaders: [] }))
      .toContain('  no faults injected (--no-faults)');
  });

  it('lists the top words', () => {
    const lines = formatResult({ words: 5, distinct: 2, top: [['the', 3], ['cat', 2]], digest: 'ab'.repeat(32) }, 2, 12);
    expect(lines).toContain('   1. the          3');
    expect(lines).toContain('   2. cat          2');
  });
});

describe('Prometheus text', () => {
  const text = [
    '# HELP keel_worker_detection_seconds x',
    'keel_worker_detection_seconds_bucket{le="0.1",cause="silence"} 1',
    'keel_worker_detection_seconds_sum{cause="silence"} 0.5',
    'keel_worker_detection_seconds_sum{cause="markedDown"} 0.25',
    'keel_worker_detection_seconds_count{cause="silence"} 1',
    'keel_task_zombie_results_rejected 3',
    'keel_task_zombie_results_rejected_total 99',
  ].join('\n');

  it('sums a metric over its label sets, and only that metric', () => {
    expect(metricSum(text, 'keel_worker_detection_seconds_sum')).toBe(0.75);
    expect(metricSum(text, 'keel_task_zombie_results_rejected')).toBe(3);
    expect(metricSum(text, 'keel_worker_detection_seconds')).toBeUndefined();
  });
});
