/**
 * The dashboard's timeline of faults and recoveries, derived by diffing consecutive samples.
 * Pure: time comes only from the samples, so tests drive it with explicit times.
 *
 * Rules (docs/dashboard.md):
 * - The first sample is the baseline: it produces no events; what is already broken in it
 *   recovers later with an unknown duration (null).
 * - Leader: a healthy leader is `leaderId` present among the members and healthy. Losing it (no
 *   leader, the leader member absent or unhealthy) is `leaderLost`; the next healthy leader is
 *   `leaderElected` with `failoverMs` from the loss. Both may come from one view when the election
 *   finished between two views. A new leader (or a new term) while the previous leader is still
 *   healthy is a handover (leadership transfer, or an election too quick to see): `leaderElected`
 *   alone, with `failoverMs` null.
 * - Members: `memberUnhealthy`, then `memberHealthy` with `downMs`. Read only from views with a
 *   healthy leader: a follower's own view (used while the leader is dead) cannot tell whether
 *   another follower is alive, followers never hear from each other.
 * - Times: a cluster view holds for some moment between when it was asked for and when it
 *   answered (`clusterRead`). Changes are dated when the view answered; "last seen well" is when
 *   it was asked for, so a slow view never makes a failover look shorter than it was; but a loss
 *   is never dated before the election or recovery event that came before it.
 * - Loss times are refined to when the serving view last heard from the member (`lastHeartbeatMs`),
 *   or to the worker's last heartbeat (`lastSeenMs`), never before the last view or sample that
 *   showed it well nor after the one that showed it lost; durations are therefore not limited
 *   to the sampling period.
 * - Workers: `workerDown` (status up -> down, with the tasks it was running in the previous
 *   sample), `workerUp` for a new worker or a down worker that registered again (`downMs`).
 * - Jobs: `jobSubmitted` for a job not seen before, `jobFinished` when it leaves `running`.
 * - A member, worker or job that leaves the sample is forgotten without an event.
 */
import type { ClusterResponse, MemberStatus } from '../api/wire.js';
import { assert } from '../core/assert.js';
import type { JobCounts, JobState } from '../tasks/index.js';
import { timelineEventsMax, type ClusterRead, type DashboardSample } from './sample.js';

export type TimelineEvent =
  | { readonly kind: 'leaderLost'; readonly seq: number; readonly atMs: number; readonly leaderId: string; readonly term: number }
  | {
    readonly kind: 'leaderElected'; readonly seq: number; readonly atMs: number; readonly leaderId: string; readonly term: number;
    readonly previousLeaderId: string | null; readonly failoverMs: number | null;
  }
  | { readonly kind: 'memberUnhealthy'; readonly seq: number; readonly atMs: number; readonly memberId: string }
  | { readonly kind: 'memberHealthy'; readonly seq: number; readonly atMs: number; readonly memberId: string; readonly downMs: number | null }
  | { readonly kind: 'workerDown'; readonly seq: number; readonly atMs: number; readonly workerId: string; readonly runningTasks: number }
  | { readonly kind: 'workerUp'; readonly seq: number; readonly atMs: number; readonly workerId: string; readonly rejoined: boolean; readonly downMs: number | null }
  | { readonly kind: 'jobSubmitted'; readonly seq: number; readonly atMs: number; readonly jobId: string; readonly total: number }
  | {
    readonly kind: 'jobFinished'; readonly seq: number; readonly atMs: number; readonly jobId: string; readonly state: JobState;
    readonly counts: JobCounts; readonly durationMs: number | null;
  };

export type TimelineEventKind = TimelineEvent['kind'];

/** An event before the timeline numbers it. */
type Draft = TimelineEvent extends infer E ? E extends TimelineEvent ? Omit<E, 'seq'> : never : never;

interface LeaderSeen { readonly id: string; readonly term: number; readonly seenAtMs: number }
interface LeaderLoss { readonly id: string | null; readonly atMs: number | null }
/** `downSinceMs`: null while healthy/up, or down since before the baseline (unknown). */
interface Tracked { well: boolean; wellAtMs: number; downSinceMs: number | null }
interface WorkerTracked extends Tracked { running: number }
interface JobTracked { state: JobState; submittedAtMs: number | null }

export class Timeline {
  private readonly kept: TimelineEvent[] = [];
  private nextSeq = 1;
  private clusterSeen = false;
  private workersSeen = false;
  private jobsSeen = false;
  private leader: LeaderSeen | null = null;
  private loss: LeaderLoss | null = null;
  private readonly members = new Map<string, Tracked>();
  private readonly workers = new Map<string, WorkerTracked>();
  private readonly jobs = new Map<string, JobTracked>();
  private lastAtMs = -Infinity;

  constructor(private readonly eventsMax: number = timelineEventsMax) {
    assert(eventsMax >= 1, `timeline eventsMax ${eventsMax} < 1`);
  }

  /** The kept events, oldest first. */
  events(): readonly TimelineEvent[] {
    return this.kept;
  }

  /** Diffs `sample` against the previous ones; returns the new events (also kept). */
  observe(sample: DashboardSample): readonly TimelineEvent[] {
    assert(sample.atMs >= this.lastAtMs, `timeline sample at ${sample.atMs} before the previous one at ${this.lastAtMs}`);
    this.lastAtMs = sample.atMs;
    const drafts: Draft[] = [];
    if (sample.cluster !== null && sample.clusterRead !== null) this.observeCluster(sample.cluster, sample.clusterRead, drafts);
    this.observeWorkers(sample, drafts);
    this.observeJobs(sample, drafts);
    const added: TimelineEvent[] = drafts.map((draft) => ({ ...draft, seq: this.nextSeq++ }));
    this.kept.push(...added);
    if (this.kept.length > this.eventsMax) this.kept.splice(0, this.kept.length - this.eventsMax);
    return added;
  }

  private observeCluster(cluster: ClusterResponse, read: ClusterRead, out: Draft[]): void {
    assert(read.askedAtMs <= read.answeredAtMs, `cluster view answered at ${read.answeredAtMs} before it was asked for at ${read.askedAtMs}`);
    const members = new Map(cluster.members.map((m) => [m.id, m]));
    const current = healthyLeader(cluster, members);
    const baseline = !this.clusterSeen;
    this.clusterSeen = true;
    if (baseline) {
      this.leader = current === null ? null : { id: current, term: cluster.term, seenAtMs: read.askedAtMs };
      this.loss = current === null ? { id: null, atMs: null } : null;
    } else {
      this.observeLeader(cluster, members, current, read, out);
    }
    // Only a view with a healthy leader knows every member's health (see the rules above).
    if (current !== null) this.observeMembers(members, read, baseline, out);
  }

  private observeLeader(cluster: ClusterResponse, members: Map<string, MemberStatus>, current: string | null, read: ClusterRead, out: Draft[]): void {
    const held = this.leader;
    const atMs = read.answeredAtMs;
    if (held !== null && current === held.id && cluster.term === held.term) {
      this.leader = { ...held, seenAtMs: Math.max(held.seenAtMs, read.askedAtMs) };
      return;
    }
    if (held !== null) {
      const previous = members.get(held.id);
      if (current !== null && previous?.healthy === true) {
        this.loss = { id: held.id, atMs: null }; // a handover: nothing was lost
      } else {
        const lostAtMs = refinedLossMs(held.seenAtMs, atMs, previous?.lastHeartbeatMs ?? null);
        out.push({ kind: 'leaderLost', atMs: lostAtMs, leaderId: held.id, term: held.term });
        this.loss = { id: held.id, atMs: lostAtMs };
      }
      this.leader = null;
    }
    if (current !== null) {
      const loss = this.loss;
      out.push({
        kind: 'leaderElected', atMs, leaderId: current, term: cluster.term, previousLeaderId: loss?.id ?? null,
        failoverMs: loss === null || loss.atMs === null ? null : atMs - loss.atMs,
      });
      // From the election on (not from when its view was asked for): a later loss never predates it.
      this.leader = { id: current, term: cluster.term, seenAtMs: atMs };
      this.loss = null;
    }
  }

  private observeMembers(members: Map<string, MemberStatus>, read: ClusterRead, baseline: boolean, out: Draft[]): void {
    const atMs = read.answeredAtMs;
    for (const id of this.members.keys()) if (!members.has(id)) this.members.delete(id);
    for (const [id, member] of members) {
      const tracked = this.members.get(id);
      if (tracked === undefined || baseline) {
        this.members.set(id, { well: member.healthy, wellAtMs: read.askedAtMs, downSinceMs: null });
        continue;
      }
      if (tracked.well && !member.healthy) {
        tracked.downSinceMs = refinedLossMs(tracked.wellAtMs, atMs, member.lastHeartbeatMs);
        out.push({ kind: 'memberUnhealthy', atMs: tracked.downSinceMs, memberId: id });
      } else if (!tracked.well && member.healthy) {
        out.push({ kind: 'memberHealthy', atMs, memberId: id, downMs: tracked.downSinceMs === null ? null : atMs - tracked.downSinceMs });
        tracked.downSinceMs = null;
        tracked.wellAtMs = atMs; // a later loss never predates this recovery
      }
      tracked.well = member.healthy;
      if (member.healthy) tracked.wellAtMs = Math.max(tracked.wellAtMs, read.askedAtMs);
    }
  }

  private observeWorkers(sample: DashboardSample, out: Draft[]): void {
    const atMs = sample.atMs;
    const baseline = !this.workersSeen;
    this.workersSeen = true;
    const present = new Set(sample.workers.map((w) => w.workerId as string));
    for (const id of this.workers.keys()) if (!present.has(id)) this.workers.delete(id);
    for (const worker of sample.workers) {
      const up = worker.status === 'up';
      const tracked = this.workers.get(worker.workerId);
      if (tracked === undefined) {
        this.workers.set(worker.workerId, { well: up, wellAtMs: atMs, downSinceMs: null, running: worker.running });
        if (!baseline && up) out.push({ kind: 'workerUp', atMs, workerId: worker.workerId, rejoined: false, downMs: null });
        continue;
      }
      if (tracked.well && !up) {
        // Down since its last heartbeat, if the state machine's clock agrees with the samples.
        tracked.downSinceMs = Math.min(atMs, Math.max(tracked.wellAtMs, worker.lastSeenMs));
        out.push({ kind: 'workerDown', atMs: tracked.downSinceMs, workerId: worker.workerId, runningTasks: Math.max(tracked.running, worker.running) });
      } else if (!tracked.well && up) {
        out.push({ kind: 'workerUp', atMs, workerId: worker.workerId, rejoined: true, downMs: tracked.downSinceMs === null ? null : atMs - tracked.downSinceMs });
        tracked.downSinceMs = null;
      }
      tracked.well = up;
      tracked.running = worker.running;
      if (up) tracked.wellAtMs = atMs;
    }
  }

  private observeJobs(sample: DashboardSample, out: Draft[]): void {
    const atMs = sample.atMs;
    const baseline = !this.jobsSeen;
    this.jobsSeen = true;
    const present = new Set(sample.jobs.map((j) => j.jobId));
    for (const id of this.jobs.keys()) if (!present.has(id)) this.jobs.delete(id);
    for (const job of sample.jobs) {
      const tracked = this.jobs.get(job.jobId);
      if (tracked === undefined) {
        this.jobs.set(job.jobId, { state: job.state, submittedAtMs: baseline ? null : atMs });
        if (baseline) continue;
        out.push({ kind: 'jobSubmitted', atMs, jobId: job.jobId, total: job.total });
        if (job.state !== 'running') out.push({ kind: 'jobFinished', atMs, jobId: job.jobId, state: job.state, counts: job.counts, durationMs: null });
        continue;
      }
      if (tracked.state === 'running' && job.state !== 'running') {
        out.push({
          kind: 'jobFinished', atMs, jobId: job.jobId, state: job.state, counts: job.counts,
          durationMs: tracked.submittedAtMs === null ? null : atMs - tracked.submittedAtMs,
        });
      }
      tracked.state = job.state;
    }
  }
}

/** The leader if it is among the members and healthy, else null. */
function healthyLeader(cluster: ClusterResponse, members: Map<string, MemberStatus>): string | null {
  if (cluster.leaderId === null) return null;
  return members.get(cluster.leaderId)?.healthy === true ? cluster.leaderId : null;
}

/**
 * When a member was lost: `lastHeartbeatMs` before the view, clamped between the last view that
 * showed it well and this view.
 */
function refinedLossMs(wellAtMs: number, atMs: number, lastHeartbeatMs: number | null): number {
  if (lastHeartbeatMs === null) return atMs;
  return Math.min(atMs, Math.max(wellAtMs, atMs - lastHeartbeatMs));
}
