/**
 * Prometheus metrics of one node (prom-client, one registry per node so several nodes can share
 * a process in tests). Gauges read live state at scrape time; histograms are fed as events happen.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsSource {
  raft(): { term: number; commitIndex: number; appliedIndex: number; isLeader: boolean };
  transport(): Readonly<Record<string, number>>;
  digest(): { checks: number; mismatches: number };
  serving(): boolean;
  leasesExpired(): number;
  tasks(): TaskGauges;
  /** Faults seen and recovered per kind (RecoveryMetrics). */
  recovery(): ReadonlyMap<string, { readonly faults: number; readonly recovered: number }>;
}

/** The task state as this replica holds it (counts over the jobs it keeps). */
export interface TaskGauges {
  readonly byStatus: Readonly<Record<string, number>>;
  readonly workersUp: number;
  readonly workersDown: number;
  readonly zombieResults: number;
  readonly zombieCheckpoints: number;
}

export class NodeMetrics {
  readonly registry = new Registry();
  readonly leaderChanges: Counter;
  readonly writeLatency: Histogram;
  readonly writeErrors: Counter<'code'>;
  readonly divergence: Counter;
  /** ms from a worker's last heartbeat to its suspicion, by cause (silence or a closed stream). */
  readonly workerDetection: Histogram<'cause'>;
  readonly workerSuspicions: Counter<'cause'>;
  readonly falseSuspicions: Counter;
  /** Attempts ended without a result, by reason and what became of the task. */
  readonly attemptsEnded: Counter<'reason' | 'outcome'>;
  readonly commitLatency: Histogram;
  readonly fsyncLatency: Histogram;
  readonly batchEntries: Histogram;
  readonly checkpointSeconds: Histogram;
  readonly forwarded: Counter<'method'>;
  readonly recoverySeconds: Histogram<'fault'>;
  readonly faults: Counter<'fault'>;
  readonly recovered: Counter<'fault'>;

  constructor(source: MetricsSource, options: { defaultMetrics?: boolean } = {}) {
    const r = this.registry;
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: r, prefix: 'keel_process_' });
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({ name, help, registers: [r], collect() { this.set(read()); } });
    };
    gauge('keel_raft_term', 'Current Raft term', () => source.raft().term);
    gauge('keel_raft_commit_index', 'Highest log index known committed', () => source.raft().commitIndex);
    gauge('keel_raft_applied_index', 'Highest log index applied to the state machine', () => source.raft().appliedIndex);
    gauge('keel_raft_is_leader', '1 if this node is the leader', () => (source.raft().isLeader ? 1 : 0));
    gauge('keel_serving', '1 if this node serves reads and writes (not recovering, not diverged)', () => (source.serving() ? 1 : 0));
    gauge('keel_leases_expired', 'Leases this node revoked as leader because their TTL ran out', () => source.leasesExpired());
    gauge('keel_digest_checks', 'Replica digests compared by this node as leader', () => source.digest().checks);
    new Gauge({
      name: 'keel_transport', help: 'Peer transport counters (frames, bytes, rejected frames, auth failures, reconnects, drops, RPC timeouts)',
      labelNames: ['stat'], registers: [r],
      collect() {
        for (const [stat, value] of Object.entries(source.transport())) this.set({ stat }, value);
      },
    });
    this.leaderChanges = new Counter({ name: 'keel_raft_leader_changes_total', help: 'Leader changes seen by this node', registers: [r] });
    this.writeLatency = new Histogram({
      name: 'keel_write_seconds', help: 'Client write latency at this node (proposal or forward until applied)', registers: [r],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    });
    this.writeErrors = new Counter({ name: 'keel_write_errors_total', help: 'Failed client writes by error code', labelNames: ['code'], registers: [r] });
    this.divergence = new Counter({ name: 'keel_replica_divergence_total', help: 'ALARM: replica state digests differed at the same applied index', registers: [r] });
    new Gauge({
      name: 'keel_tasks', help: 'Tasks of the kept jobs by status', labelNames: ['status'], registers: [r],
      collect() {
        for (const [status, n] of Object.entries(source.tasks().byStatus)) this.set({ status }, n);
      },
    });
    new Gauge({
      name: 'keel_workers', help: 'Registered workers by status', labelNames: ['status'], registers: [r],
      collect() {
        const t = source.tasks();
        this.set({ status: 'up' }, t.workersUp);
        this.set({ status: 'down' }, t.workersDown);
      },
    });
    gauge('keel_task_zombie_results_rejected', 'Results refused because their fencing token was stale (zombie workers)', () => source.tasks().zombieResults);
    gauge('keel_task_zombie_checkpoints_rejected', 'Checkpoints refused because their fencing token was stale', () => source.tasks().zombieCheckpoints);
    this.workerDetection = new Histogram({
      name: 'keel_worker_detection_seconds', help: 'Worker failure detection time (last heartbeat to suspicion), on the leader', labelNames: ['cause'], registers: [r],
      buckets: [0.01, 0.05, 0.1, 0.2, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
    });
    this.workerSuspicions = new Counter({ name: 'keel_worker_suspicions_total', help: 'Workers suspected by the leader, by cause', labelNames: ['cause'], registers: [r] });
    this.falseSuspicions = new Counter({ name: 'keel_worker_false_suspicions_total', help: 'Suspected workers that heartbeated again (they were alive)', registers: [r] });
    const latencyBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];
    this.commitLatency = new Histogram({ name: 'keel_raft_commit_seconds', help: 'Leader: proposal to applied (replicated to a majority, fsynced, applied)', registers: [r], buckets: latencyBuckets });
    this.fsyncLatency = new Histogram({ name: 'keel_wal_fsync_seconds', help: 'One group-commit batch: WAL append plus fdatasync', registers: [r], buckets: latencyBuckets });
    this.batchEntries = new Histogram({ name: 'keel_wal_batch_entries', help: 'Log entries per group-commit batch', registers: [r], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] });
    this.checkpointSeconds = new Histogram({ name: 'keel_checkpoint_seconds', help: 'Writing one checkpoint (snapshot) durably', registers: [r], buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30] });
    this.forwarded = new Counter({ name: 'keel_forwarded_requests_total', help: 'Writes this follower forwarded to the leader, by RPC method', labelNames: ['method'], registers: [r] });
    this.recoverySeconds = new Histogram({
      name: 'keel_recovery_seconds', help: 'Recovery time per fault kind: leader (last message of the lost leader to the next leader), worker (last heartbeat to all its tasks assigned again), worker-task (per task)',
      labelNames: ['fault'], registers: [r], buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30],
    });
    this.faults = new Counter({ name: 'keel_faults_total', help: 'Faults this node observed, by kind (leader lost, worker suspected)', labelNames: ['fault'], registers: [r] });
    this.recovered = new Counter({ name: 'keel_faults_recovered_total', help: 'Observed faults that recovered, by kind', labelNames: ['fault'], registers: [r] });
    new Gauge({
      name: 'keel_recovery_rate', help: 'Recovered faults / observed faults, by kind (1 when none)', labelNames: ['fault'], registers: [r],
      collect() {
        for (const [fault, c] of source.recovery()) this.set({ fault }, c.faults === 0 ? 1 : c.recovered / c.faults);
      },
    });
    this.attemptsEnded = new Counter({
      name: 'keel_task_attempts_ended_total', help: 'Attempts ended without a result (retry, dead letter, cancel), by reason', labelNames: ['reason', 'outcome'], registers: [r],
    });
  }

  /** Served writes and their summed latency (for rates without an async registry read). */
  readonly writeTotals = { count: 0, sum: 0 };

  async timeWrite<T>(write: () => Promise<T>): Promise<T> {
    const end = this.writeLatency.startTimer();
    try {
      const result = await write();
      this.writeTotals.count += 1;
      this.writeTotals.sum += end();
      return result;
    } catch (error) {
      this.writeErrors.inc({ code: (error as { code?: string }).code ?? 'unknown' });
      throw error;
    }
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
