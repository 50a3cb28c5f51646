/** Fakes for the dashboard tests: a mutable source and sample builders with explicit times. */
import type { ClusterResponse, MemberStatus } from '../api/wire.js';
import type { JobCounts, JobState, WorkerId, WorkerView } from '../tasks/index.js';
import type { DashboardSample, DashboardState } from './sample.js';
import type { DashboardCounters, DashboardJob, DashboardSource } from './source.js';
import type { TimelineEvent } from './timeline.js';

export function member(id: string, fields: Partial<MemberStatus> = {}): MemberStatus {
  return {
    id, role: 'follower', voter: true, term: 1, commitIndex: 10, appliedIndex: 10, lastHeartbeatMs: 50, healthy: true,
    peerAddress: `127.0.0.1:700${id.slice(1)}`, httpAddress: `127.0.0.1:800${id.slice(1)}`, ...fields,
  };
}

/** A 3-member cluster led by `leaderId` (null: no leader), with some members unhealthy. */
export function cluster(leaderId: string | null, term: number, unhealthy: Record<string, number | null> = {}): ClusterResponse {
  return {
    leaderId, term,
    members: ['n1', 'n2', 'n3'].map((id) => {
      const down = id in unhealthy;
      return member(id, {
        role: down ? 'unknown' : id === leaderId ? 'leader' : 'follower', term: down ? 0 : term, healthy: !down,
        lastHeartbeatMs: down ? unhealthy[id]! : id === leaderId ? 0 : 50,
      });
    }),
  };
}

export function worker(id: string, status: 'up' | 'down', running: number, lastSeenMs = 0, capacity = 4): WorkerView {
  return { workerId: id as WorkerId, status, capacity, weight: 1, running, handlers: ['countWords'], lastSeenMs };
}

export function job(jobId: string, total: number, counts: Partial<JobCounts> = {}): DashboardJob {
  const c: JobCounts = { pending: 0, running: 0, succeeded: 0, failed: 0, deadLettered: 0, cancelled: 0, ...counts };
  const state: JobState = c.pending + c.running > 0 ? 'running' : c.cancelled > 0 ? 'cancelled' : c.succeeded === total ? 'succeeded' : 'failed';
  return { jobId, total, state, counts: c };
}

export const zeroCounters: DashboardCounters = { writes: 0, writeSecondsSum: 0, tasksCompleted: 0, zombieResultsRejected: 0 };

/** A sample at `atMs`; its cluster view was asked for and answered at `atMs` unless `clusterRead` says otherwise. */
export function sample(atMs: number, fields: Partial<DashboardSample> = {}): DashboardSample {
  return {
    atMs, nodeId: 'n2', cluster: null, clusterRead: fields.cluster === undefined || fields.cluster === null ? null : { askedAtMs: atMs, answeredAtMs: atMs }, jobs: [], jobsCount: fields.jobs?.length ?? 0,
    workers: [], rates: { writesPerSec: 0, writeLatencyMsMean: null, tasksPerSec: 0 }, counters: zeroCounters, ...fields,
  };
}

/** A source whose every answer the test sets; `cluster()` answers at once unless `clusterGate` holds it. */
export class FakeSource implements DashboardSource {
  readonly nodeId = 'n2';
  nowValueMs = 1_000_000;
  clusterValue: ClusterResponse = cluster('n1', 1);
  clusterGate: Promise<void> | undefined;
  clusterCalls = 0;
  jobsValue: DashboardJob[] = [];
  workersValue: WorkerView[] = [];
  countersValue: DashboardCounters = zeroCounters;
  /** Follow the real clock (for tests that run the hub's timers). */
  realTime = false;

  async cluster(): Promise<ClusterResponse> {
    this.clusterCalls += 1;
    const answer = this.clusterValue;
    if (this.clusterGate !== undefined) await this.clusterGate;
    return answer;
  }
  jobs(): readonly DashboardJob[] {
    return this.jobsValue;
  }
  workers(): readonly WorkerView[] {
    return this.workersValue;
  }
  counters(): DashboardCounters {
    return this.countersValue;
  }
  nowMs(): number {
    return this.realTime ? Date.now() : this.nowValueMs;
  }
}

/** What each event of the dashboard stream carries. */
export interface StreamData {
  readonly history: Omit<DashboardState, 'sample'>;
  readonly sample: DashboardSample;
  readonly timeline: TimelineEvent;
}
export type StreamEvent = { [K in keyof StreamData]: { readonly event: K; readonly id: string | undefined; readonly data: StreamData[K] } }[keyof StreamData];

/** Parses one `event:/id:/data:` block (comments and `retry:` alone give undefined). */
export function parseSseBlock(block: string): StreamEvent | undefined {
  const fields = new Map(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
  const event = fields.get('event');
  if (event === undefined) return undefined;
  if (event !== 'history' && event !== 'sample' && event !== 'timeline') throw new Error(`unknown event ${event}`);
  return { event, id: fields.get('id'), data: JSON.parse(fields.get('data') ?? 'null') as never };
}

/** The data of the events named `event`, in order. */
export function dataOf<E extends keyof StreamData>(events: readonly StreamEvent[], event: E): StreamData[E][] {
  return events.filter((e) => e.event === event).map((e) => e.data as StreamData[E]);
}
