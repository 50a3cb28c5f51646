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
}

export class NodeMetrics {
  readonly registry = new Registry();
  readonly leaderChanges: Counter;
  readonly writeLatency: Histogram;
  readonly writeErrors: Counter<'code'>;
  readonly divergence: Counter;

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
  }

  async timeWrite<T>(write: () => Promise<T>): Promise<T> {
    const end = this.writeLatency.startTimer();
    try {
      const result = await write();
      end();
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
