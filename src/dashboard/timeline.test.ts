import { describe, expect, it } from 'vitest';
import { cluster, job, sample, worker } from './dashboard.test-kit.js';
import { Timeline, type TimelineEvent } from './timeline.js';

/** The events without their sequence numbers, for compact expectations. */
function plain(events: readonly TimelineEvent[]): Omit<TimelineEvent, 'seq'>[] {
  return events.map(({ seq: _seq, ...rest }) => rest);
}

describe('Timeline: the leader', () => {
  it('says nothing about the baseline sample, even with a member down', () => {
    const t = new Timeline();
    expect(t.observe(sample(0, { cluster: cluster('n1', 1, { n3: 5_000 }), workers: [worker('w1', 'down', 0)], jobs: [job('j1', 3, { pending: 3 })] }))).toEqual([]);
    expect(t.events()).toEqual([]);
  });

  it('reports a lost leader when its member turns unhealthy, dated to when it was last heard, then the election with the failover time', () => {
    const t = new Timeline();
    t.observe(sample(0, { cluster: cluster('n1', 1) }));
    t.observe(sample(500, { cluster: cluster('n1', 1) }));
    // The serving node still names n1 (election not over) but has not heard from it for 300 ms.
    expect(plain(t.observe(sample(1_000, { cluster: cluster('n1', 1, { n1: 300 }) })))).toEqual([
      { kind: 'leaderLost', atMs: 700, leaderId: 'n1', term: 1 },
    ]);
    expect(plain(t.observe(sample(1_500, { cluster: cluster(null, 2, { n1: 800 }) })))).toEqual([]);
    expect(plain(t.observe(sample(2_000, { cluster: cluster('n3', 2, { n1: 1_300 }) })))).toEqual([
      { kind: 'leaderElected', atMs: 2_000, leaderId: 'n3', term: 2, previousLeaderId: 'n1', failoverMs: 1_300 },
      // The new leader's view is the first with a healthy leader that shows n1 down.
      { kind: 'memberUnhealthy', atMs: 700, memberId: 'n1' },
    ]);
  });

  it('reports loss and election from one sample when the election finished between two samples', () => {
    const t = new Timeline();
    t.observe(sample(0, { cluster: cluster('n1', 1) }));
    const events = t.observe(sample(500, { cluster: cluster('n2', 2, { n1: 350 }) }));
    expect(plain(events)).toEqual([
      { kind: 'leaderLost', atMs: 150, leaderId: 'n1', term: 1 },
      { kind: 'leaderElected', atMs: 500, leaderId: 'n2', term: 2, previousLeaderId: 'n1', failoverMs: 350 },
      { kind: 'memberUnhealthy', atMs: 150, memberId: 'n1' },
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('never dates a loss before the last sample that showed the leader well, nor after the sample that showed it lost', () => {
    const t = new Timeline();
    t.observe(sample(0, { cluster: cluster('n1', 1) }));
    t.observe(sample(1_000, { cluster: cluster('n1', 1) }));
    expect(plain(t.observe(sample(1_500, { cluster: cluster('n1', 1, { n1: 60_000 }) })))[0]).toMatchObject({ kind: 'leaderLost', atMs: 1_000 });
    const u = new Timeline();
    u.observe(sample(0, { cluster: cluster('n1', 1) }));
    // No heartbeat time known (the member is absent from the view): the loss is dated to the sample.
    const absent = { ...cluster('n1', 1), members: cluster('n1', 1).members.filter((m) => m.id !== 'n1') };
    expect(plain(u.observe(sample(500, { cluster: absent })))).toEqual([{ kind: 'leaderLost', atMs: 500, leaderId: 'n1', term: 1 }]);
  });

  it('reports a handover (a new leader while the previous one is still healthy) as an election without a loss', () => {
    const t = new Timeline();
    t.observe(sample(0, { cluster: cluster('n1', 1) }));
    expect(plain(t.observe(sample(500, { cluster: cluster('n2', 2) })))).toEqual([
      { kind: 'leaderElected', atMs: 500, leaderId: 'n2', term: 2, previousLeaderId: 'n1', failoverMs: null },
    ]);
    // The same leader in a new term: it was elected again.
    expect(plain(t.observe(sample(1_000, { cluster: cluster('n2', 4) })))).toEqual([
      { kind: 'leaderElected', atMs: 1_000, leaderId: 'n2', term: 4, previousLeaderId: 'n2', failoverMs: null },
    ]);
  });

  it('reports a loss when the leader steps down and nobody leads yet, even if its member is healthy', () => {
    const t = new Timeline();
    t.observe(sample(0, { cluster: cluster('n1', 1) }));
    expect(plain(t.observe(sample(500, { cluster: cluster(null, 2) })))).toEqual([{ kind: 'leaderLost', atMs: 450, leaderId: 'n1', term: 1 }]);
  });

  it('reports the first leader after a leaderless baseline with an unknown failover time', () => {
    const t = new Timeline();
    t.observe(sample(0, { cluster: cluster('n2', 1, { n2: null }) }));
    expect(plain(t.observe(sample(500, { cluster: cluster('n2', 1) })))).toEqual([
      { kind: 'leaderElected', atMs: 500, leaderId: 'n2', term: 1, previousLeaderId: null, failoverMs: null },
    ]);
  });

  it('dates changes by when the view answered, and ignores samples without a view', () => {
    const t = new Timeline();
    t.observe(sample(0, { cluster: cluster('n1', 1) }));
    expect(t.observe(sample(500))).toEqual([]);
    // A view answered at 800 (the tick at 1000 reused it): the election is dated 800.
    const read = { askedAtMs: 700, answeredAtMs: 800 };
    expect(plain(t.observe(sample(1_000, { cluster: cluster('n2', 2, { n1: 100 }), clusterRead: read })))[1]).toMatchObject({ kind: 'leaderElected', atMs: 800, failoverMs: 100 });
  });

  it('counts a slow view that still showed the leader well only from when it was asked for', () => {
    const t = new Timeline();
    t.observe(sample(0, { cluster: cluster('n1', 1) }));
    // Asked at 100, answered at 2100 (a forward that took 2 s): n1 was well at some moment in between.
    t.observe(sample(2_100, { cluster: cluster('n1', 1), clusterRead: { askedAtMs: 100, answeredAtMs: 2_100 } }));
    // The next view, 12 ms later, shows n2 elected; n1 never heard from for longer than the views tell.
    expect(plain(t.observe(sample(2_112, { cluster: cluster('n2', 2, { n1: 5_000 }) })))).toEqual([
      { kind: 'leaderLost', atMs: 100, leaderId: 'n1', term: 1 },
      { kind: 'leaderElected', atMs: 2_112, leaderId: 'n2', term: 2, previousLeaderId: 'n1', failoverMs: 2_012 },
      { kind: 'memberUnhealthy', atMs: 100, memberId: 'n1' },
    ]);
  });
});

describe('Timeline: members', () => {
  it('never dates a loss before the recovery or election reported just before it (slow views)', () => {
    const t = new Timeline();
    t.observe(sample(0, { cluster: cluster('n1', 1) }));
    t.observe(sample(500, { cluster: cluster('n1', 1, { n3: 100 }) }));
    // n3 back in a view asked for at 900 and answered at 1000, then lost again in the next one.
    expect(plain(t.observe(sample(1_000, { cluster: cluster('n1', 1), clusterRead: { askedAtMs: 900, answeredAtMs: 1_000 } })))[0]).toMatchObject({ kind: 'memberHealthy', atMs: 1_000 });
    expect(plain(t.observe(sample(1_500, { cluster: cluster('n1', 1, { n3: 1_400 }) })))).toEqual([{ kind: 'memberUnhealthy', atMs: 1_000, memberId: 'n3' }]);
    // Likewise for a leader elected in a slow view and lost in the next.
    expect(plain(t.observe(sample(2_000, { cluster: cluster('n2', 2, { n1: 50, n3: 1_900 }), clusterRead: { askedAtMs: 1_600, answeredAtMs: 2_000 } }))).map((e) => [e.kind, e.atMs])).toEqual([
      ['leaderLost', 1_950], ['leaderElected', 2_000], ['memberUnhealthy', 1_950],
    ]);
    expect(plain(t.observe(sample(2_500, { cluster: cluster('n3', 3, { n1: 550, n2: 900, n3: null }) })))[0]).toMatchObject({ kind: 'leaderLost', atMs: 2_000, leaderId: 'n2' });
  });

  it('reports a member unhealthy then healthy again with how long it was down', () => {
    const t = new Timeline();
    t.observe(sample(0, { cluster: cluster('n1', 1) }));
    expect(plain(t.observe(sample(1_000, { cluster: cluster('n1', 1, { n3: 400 }) })))).toEqual([{ kind: 'memberUnhealthy', atMs: 600, memberId: 'n3' }]);
    expect(t.observe(sample(1_500, { cluster: cluster('n1', 1, { n3: 900 }) }))).toEqual([]);
    expect(plain(t.observe(sample(4_000, { cluster: cluster('n1', 1) })))).toEqual([{ kind: 'memberHealthy', atMs: 4_000, memberId: 'n3', downMs: 3_400 }]);
  });

  it('reads member health only from views with a healthy leader (a follower cannot see other followers)', () => {
    const t = new Timeline();
    t.observe(sample(0, { cluster: cluster('n1', 1) }));
    // The follower's own view while n1 is dead: n1 and n3 both look unreachable to it.
    const events = plain(t.observe(sample(500, { cluster: cluster(null, 1, { n1: 200, n3: null }) })));
    expect(events.map((e) => e.kind)).toEqual(['leaderLost']);
    expect(plain(t.observe(sample(1_000, { cluster: cluster('n3', 2, { n1: 700 }) })))).toEqual([
      { kind: 'leaderElected', atMs: 1_000, leaderId: 'n3', term: 2, previousLeaderId: 'n1', failoverMs: 700 },
      { kind: 'memberUnhealthy', atMs: 300, memberId: 'n1' },
    ]);
  });

  it('recovers a member that was already down in the baseline with an unknown duration', () => {
    const t = new Timeline();
    t.observe(sample(0, { cluster: cluster('n1', 1, { n2: null }) }));
    expect(plain(t.observe(sample(500, { cluster: cluster('n1', 1) })))).toEqual([{ kind: 'memberHealthy', atMs: 500, memberId: 'n2', downMs: null }]);
  });
});

describe('Timeline: workers', () => {
  it('reports a worker down with the tasks it was running, dated to its last heartbeat, and back with its downtime', () => {
    const t = new Timeline();
    t.observe(sample(0, { workers: [worker('w1', 'up', 3, 0), worker('w2', 'up', 1, 0)] }));
    t.observe(sample(1_000, { workers: [worker('w1', 'up', 4, 900), worker('w2', 'up', 1, 950)] }));
    // Its leases already expired when the sample saw it down: the count comes from the previous sample.
    expect(plain(t.observe(sample(3_000, { workers: [worker('w1', 'down', 0, 1_200), worker('w2', 'up', 1, 2_950)] })))).toEqual([
      { kind: 'workerDown', atMs: 1_200, workerId: 'w1', runningTasks: 4 },
    ]);
    expect(plain(t.observe(sample(5_000, { workers: [worker('w1', 'up', 0, 5_000), worker('w2', 'up', 1, 4_950)] })))).toEqual([
      { kind: 'workerUp', atMs: 5_000, workerId: 'w1', rejoined: true, downMs: 3_800 },
    ]);
  });

  it('clamps a worker heartbeat time from another clock into the sampled interval', () => {
    const t = new Timeline();
    t.observe(sample(10_000, { workers: [worker('w1', 'up', 2)] }));
    expect(plain(t.observe(sample(11_000, { workers: [worker('w1', 'down', 0, 3)] })))[0]).toMatchObject({ atMs: 10_000 });
  });

  it('reports a new worker, forgets one that left, and greets it as new when it comes back', () => {
    const t = new Timeline();
    t.observe(sample(0, { workers: [worker('w1', 'up', 0)] }));
    expect(plain(t.observe(sample(500, { workers: [worker('w1', 'up', 0), worker('w2', 'up', 0)] })))).toEqual([
      { kind: 'workerUp', atMs: 500, workerId: 'w2', rejoined: false, downMs: null },
    ]);
    expect(t.observe(sample(1_000, { workers: [worker('w2', 'up', 0)] }))).toEqual([]);
    expect(plain(t.observe(sample(1_500, { workers: [worker('w1', 'up', 0), worker('w2', 'up', 0)] })))).toEqual([
      { kind: 'workerUp', atMs: 1_500, workerId: 'w1', rejoined: false, downMs: null },
    ]);
  });
});

describe('Timeline: jobs', () => {
  it('reports a job submitted and finished with its duration', () => {
    const t = new Timeline();
    t.observe(sample(0, { jobs: [job('old', 2, { succeeded: 2 })] }));
    expect(plain(t.observe(sample(500, { jobs: [job('old', 2, { succeeded: 2 }), job('j1', 10, { pending: 10 })] })))).toEqual([
      { kind: 'jobSubmitted', atMs: 500, jobId: 'j1', total: 10 },
    ]);
    expect(t.observe(sample(1_000, { jobs: [job('j1', 10, { running: 4, succeeded: 6 })] }))).toEqual([]);
    expect(plain(t.observe(sample(3_000, { jobs: [job('j1', 10, { succeeded: 9, deadLettered: 1 })] })))).toEqual([
      { kind: 'jobFinished', atMs: 3_000, jobId: 'j1', state: 'failed', counts: { pending: 0, running: 0, succeeded: 9, failed: 0, deadLettered: 1, cancelled: 0 }, durationMs: 2_500 },
    ]);
  });

  it('reports a job that was submitted and finished between two samples, and a running job of the baseline without a duration', () => {
    const t = new Timeline();
    t.observe(sample(0, { jobs: [job('j0', 1, { running: 1 })] }));
    expect(plain(t.observe(sample(500, { jobs: [job('j0', 1, { succeeded: 1 }), job('j1', 1, { succeeded: 1 })] })))).toEqual([
      { kind: 'jobFinished', atMs: 500, jobId: 'j0', state: 'succeeded', counts: job('j0', 1, { succeeded: 1 }).counts, durationMs: null },
      { kind: 'jobSubmitted', atMs: 500, jobId: 'j1', total: 1 },
      { kind: 'jobFinished', atMs: 500, jobId: 'j1', state: 'succeeded', counts: job('j1', 1, { succeeded: 1 }).counts, durationMs: null },
    ]);
  });
});

describe('Timeline: limits', () => {
  it('keeps only the newest eventsMax events, numbered without gaps', () => {
    const t = new Timeline(3);
    t.observe(sample(0, { workers: [] }));
    for (let i = 1; i <= 5; i++) t.observe(sample(i * 100, { workers: Array.from({ length: i }, (_, k) => worker(`w${k}`, 'up', 0)) }));
    expect(t.events().map((e) => [e.seq, e.kind === 'workerUp' ? e.workerId : '?'])).toEqual([[3, 'w2'], [4, 'w3'], [5, 'w4']]);
  });

  it('refuses samples that go back in time', () => {
    const t = new Timeline();
    t.observe(sample(1_000));
    expect(() => t.observe(sample(999))).toThrow(/before the previous one/);
  });
});
