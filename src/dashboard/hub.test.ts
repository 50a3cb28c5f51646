import { describe, expect, it } from 'vitest';
import { cluster, dataOf, FakeSource, job, parseSseBlock, worker, type StreamEvent } from './dashboard.test-kit.js';
import { DashboardHub, sseMessage, type Subscriber } from './hub.js';
import { jobsMax } from './sample.js';

/** A subscriber that records what it is sent; `accept` false makes it a slow one. */
function recorder(accept = true): Subscriber & { chunks: string[]; closed: boolean; events(): StreamEvent[] } {
  const r = {
    chunks: [] as string[],
    closed: false,
    write(chunk: string) {
      r.chunks.push(chunk);
      return accept;
    },
    close() {
      r.closed = true;
    },
    events() {
      return r.chunks.map((c) => parseSseBlock(c.trim())).filter((e) => e !== undefined);
    },
  };
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('DashboardHub sampling', () => {
  it('samples the source, computes rates between ticks and bounds the chart points', async () => {
    const source = new FakeSource();
    const hub = new DashboardHub(source, { chartPointsMax: 3 });
    for (let i = 0; i < 5; i++) {
      source.nowValueMs = 1_000_000 + i * 500;
      source.countersValue = { writes: i * 100, writeSecondsSum: i * 0.2, tasksCompleted: i * 5, zombieResultsRejected: 0 };
      await hub.tick();
    }
    const state = hub.state();
    expect(state.nodeId).toBe('n2');
    expect(state.points.map((p) => p.atMs)).toEqual([1_001_000, 1_001_500, 1_002_000]);
    expect(state.sample?.rates.writesPerSec).toBeCloseTo(200);
    expect(state.sample?.rates.writeLatencyMsMean).toBeCloseTo(2);
    expect(state.sample?.rates.tasksPerSec).toBeCloseTo(10);
    expect(state.sample?.cluster?.leaderId).toBe('n1');
  });

  it('carries the newest jobsMax jobs with the full count, and the workers sorted by id', async () => {
    const source = new FakeSource();
    source.jobsValue = Array.from({ length: jobsMax + 5 }, (_, i) => job(`j${i}`, 1, { pending: 1 }));
    source.workersValue = [worker('w3', 'up', 0), worker('w1', 'up', 0), worker('w2', 'down', 0)];
    const hub = new DashboardHub(source);
    await hub.tick();
    const s = hub.state().sample!;
    expect(s.jobsCount).toBe(jobsMax + 5);
    expect(s.jobs.length).toBe(jobsMax);
    expect(s.jobs[0]!.jobId).toBe('j5');
    expect(s.jobs.at(-1)!.jobId).toBe(`j${jobsMax + 4}`);
    expect(s.workers.map((w) => w.workerId)).toEqual(['w1', 'w2', 'w3']);
  });

  it('does not wait for a slow cluster view: it reuses the previous one and picks the late answer up later', async () => {
    const source = new FakeSource();
    const hub = new DashboardHub(source, { clusterWaitMsMax: 30 });
    await hub.tick();
    const firstRead = hub.state().sample!.clusterRead;
    let open!: () => void;
    source.clusterGate = new Promise((r) => { open = r; });
    source.clusterValue = cluster('n3', 2, { n1: 100 });
    source.nowValueMs += 500;
    const started = Date.now();
    await hub.tick();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(hub.state().sample!.cluster?.leaderId).toBe('n1');
    expect(hub.state().sample!.clusterRead).toEqual(firstRead);
    source.nowValueMs += 500;
    await hub.tick(); // the call is still in flight: no second one
    expect(source.clusterCalls).toBe(2);
    open();
    source.clusterGate = undefined;
    await sleep(1);
    source.nowValueMs += 500;
    await hub.tick();
    expect(hub.state().sample!.cluster?.leaderId).toBe('n3');
    expect(hub.state().timeline.map((e) => e.kind)).toEqual(['leaderLost', 'leaderElected', 'memberUnhealthy']);
    // Dated by when the view that showed it answered (the fourth tick's own call).
    const elected = hub.state().timeline[1]!;
    expect(elected).toMatchObject({ kind: 'leaderElected', atMs: source.nowValueMs });
  });

  it('keeps the previous view when the cluster call fails', async () => {
    const source = new FakeSource();
    const hub = new DashboardHub(source);
    await hub.tick();
    source.cluster = () => Promise.reject(new Error('stopping'));
    await hub.tick();
    expect(hub.state().sample!.cluster?.leaderId).toBe('n1');
  });
});

describe('DashboardHub subscribers', () => {
  it('sends a new subscriber the history and the latest sample first, then every sample and timeline event', async () => {
    const source = new FakeSource();
    const hub = new DashboardHub(source);
    await hub.tick();
    source.workersValue = [worker('w1', 'up', 0)];
    source.nowValueMs += 500;
    await hub.tick();
    const page = recorder();
    expect(hub.subscribe(page)).toBeTypeOf('function');
    expect(page.chunks[0]).toBe('retry: 1000\n\n');
    const first = page.events();
    expect(first.map((e) => e.event)).toEqual(['history', 'sample']);
    const [history] = dataOf(first, 'history');
    expect(history!.points.length).toBe(2);
    expect(history!.timeline.map((e) => e.kind)).toEqual(['workerUp']);
    expect(dataOf(first, 'sample')[0]!.atMs).toBe(source.nowValueMs);
    source.workersValue = [worker('w1', 'down', 0, source.nowValueMs)];
    source.nowValueMs += 500;
    await hub.tick();
    const next = page.events().slice(2);
    expect(next.map((e) => [e.event, e.id])).toEqual([['sample', undefined], ['timeline', '2']]);
    expect(next[1]!.data).toMatchObject({ kind: 'workerDown', workerId: 'w1', seq: 2 });
  });

  it('refuses subscribers beyond subscribersMax and forgets one that unsubscribed', () => {
    const hub = new DashboardHub(new FakeSource(), { subscribersMax: 2 });
    const a = hub.subscribe(recorder());
    expect(hub.subscribe(recorder())).toBeDefined();
    expect(hub.full).toBe(true);
    expect(hub.subscribe(recorder())).toBeUndefined();
    a!();
    expect(hub.subscriberCount).toBe(1);
    expect(hub.subscribe(recorder())).toBeDefined();
  });

  it('drops and closes a subscriber that cannot keep up', async () => {
    const hub = new DashboardHub(new FakeSource());
    await hub.tick();
    const slow = recorder(false);
    hub.subscribe(slow);
    expect(slow.closed).toBe(true);
    expect(hub.subscriberCount).toBe(0);
  });

  it('samples at the idle period alone, at the live period with a subscriber, and stops on stop()', async () => {
    const source = new FakeSource();
    source.realTime = true;
    const hub = new DashboardHub(source, { sampleIntervalMs: 20, idleSampleIntervalMs: 200, clusterWaitMsMax: 10 });
    hub.start();
    await sleep(300);
    const idle = hub.state().points.length;
    expect(idle).toBeGreaterThanOrEqual(1);
    expect(idle).toBeLessThanOrEqual(3);
    const page = recorder();
    hub.subscribe(page);
    await sleep(300);
    const live = page.events().filter((e) => e.event === 'sample').length;
    expect(live).toBeGreaterThanOrEqual(5);
    await hub.stop();
    expect(page.closed).toBe(true);
    expect(hub.stopping).toBe(true);
    expect(hub.subscribe(recorder())).toBeUndefined();
    const after = hub.state().points.length;
    await sleep(100);
    expect(hub.state().points.length).toBe(after);
  });

  it('formats server-sent events on single data lines', () => {
    expect(sseMessage('sample', { a: 'x\ny' }, 7)).toBe('event: sample\nid: 7\ndata: {"a":"x\\ny"}\n\n');
    expect(sseMessage('history', [])).toBe('event: history\ndata: []\n\n');
  });
});
