/** What the HTTP layer needs from a node: implemented by src/server, faked by nothing. */
import type { KvEnvelope, KvEvent, KvQuery, KvResult, KvWatchFilter } from '../kv/index.js';
import type { ClusterResponse, Consistency, HealthResponse, LeaderTransferResponse, MemberAddRequest } from './wire.js';

export interface ApiBackend {
  readonly id: string;
  write(envelope: KvEnvelope): Promise<KvResult>;
  read(query: KvQuery, consistency: Consistency): Promise<KvResult>;
  /** Streams changes from `fromRevision` (default: from now on); returns the cancel function. */
  watch(filter: KvWatchFilter, fromRevision: number | undefined, sink: { events(events: readonly KvEvent[]): void; compacted(compactRevision: number): void }): () => void;
  cluster(): Promise<ClusterResponse>;
  health(): HealthResponse;
  addMember(request: MemberAddRequest): Promise<void>;
  removeMember(id: string): Promise<void>;
  transferLeader(to: string | undefined): Promise<LeaderTransferResponse>;
  /** Prometheus text exposition. */
  metrics(): Promise<{ contentType: string; body: string }>;
}
