/**
 * Client sessions for exactly-once application (Raft dissertation §6.3): per client, the last
 * seq applied and its result. A retried command (same clientId and seq) is answered from the
 * table instead of being applied again.
 *
 * Bounded by count (`sessionsMax`) and by bytes of stored results (`sessionsBytesMax`): beyond
 * either, the session with the smallest lastIndex (least recently applied) is evicted. Entries
 * arrive in strictly increasing index order, so keeping the Map in insertion order (an update
 * moves its session to the end) keeps it sorted by lastIndex: the first entry is the one to evict,
 * found in O(1), and the choice is the same on every replica.
 */
import { assert } from '../core/assert.js';
import type { ClientSession } from './commands.js';
import { kvError, type KvErrorResult, type KvResult } from './results.js';

export interface Session {
  readonly clientId: string;
  readonly lastSeq: number;
  /** Index of the entry that applied `lastSeq`. Unique across sessions: one entry updates one session. */
  readonly lastIndex: number;
  readonly lastResult: KvResult;
  /** UTF-8 bytes of the client id plus the encoded result: what counts against sessionsBytesMax. */
  readonly sizeBytes: number;
}

export interface SessionLimits {
  readonly sessionsMax: number;
  readonly sessionsBytesMax: number;
}

export type SessionCheck =
  /** Unknown client (new or evicted) or a later seq: apply the command. */
  | { readonly kind: 'apply' }
  /** The same seq again: answer with the stored result, apply nothing. */
  | { readonly kind: 'duplicate'; readonly result: KvResult }
  /** An older seq: the client already received a later answer. */
  | { readonly kind: 'stale'; readonly result: KvErrorResult };

export class SessionTable {
  /** Insertion order is increasing lastIndex (asserted in `record`). */
  private readonly sessions = new Map<string, Session>();
  private bytes = 0;
  private lastIndexMax = 0;

  constructor(private readonly limits: SessionLimits) {}

  /** Builds a table from restored sessions (any order); the caller has validated each one. */
  static from(sessions: readonly Session[], limits: SessionLimits): SessionTable {
    const table = new SessionTable(limits);
    for (const session of [...sessions].sort((a, b) => a.lastIndex - b.lastIndex)) table.insert(session);
    assert(table.count <= limits.sessionsMax, `restored ${table.count} sessions, sessionsMax is ${limits.sessionsMax}`);
    assert(table.bytes <= limits.sessionsBytesMax, `restored ${table.bytes} session bytes, sessionsBytesMax is ${limits.sessionsBytesMax}`);
    return table;
  }

  get count(): number {
    return this.sessions.size;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  get(clientId: string): Session | undefined {
    return this.sessions.get(clientId);
  }

  check(session: ClientSession): SessionCheck {
    const known = this.sessions.get(session.clientId);
    if (known === undefined || session.seq > known.lastSeq) return { kind: 'apply' };
    if (session.seq === known.lastSeq) return { kind: 'duplicate', result: known.lastResult };
    return {
      kind: 'stale',
      result: kvError('SESSION_EXPIRED_SEQ', `client ${JSON.stringify(session.clientId)} sent seq ${session.seq} after seq ${known.lastSeq} was applied`),
    };
  }

  /** Records the result of `session.seq` applied at `index`, then evicts down to the limits. */
  record(session: ClientSession, index: number, result: KvResult, sizeBytes: number): void {
    const previous = this.sessions.get(session.clientId);
    assert(previous === undefined || session.seq > previous.lastSeq, `session ${session.clientId}: seq ${session.seq} recorded after ${previous?.lastSeq}`);
    assert(sizeBytes <= this.limits.sessionsBytesMax, `one session of ${sizeBytes} bytes exceeds sessionsBytesMax`);
    if (previous !== undefined) this.remove(previous);
    this.insert({ clientId: session.clientId, lastSeq: session.seq, lastIndex: index, lastResult: result, sizeBytes });
    while (this.sessions.size > this.limits.sessionsMax || this.bytes > this.limits.sessionsBytesMax) {
      const oldest = this.sessions.values().next().value;
      assert(oldest !== undefined, 'session table over its limits while empty');
      assert(oldest.clientId !== session.clientId, 'eviction reached the session just recorded');
      this.remove(oldest);
    }
  }

  /** Sessions sorted by client id (the snapshot order). */
  sorted(compare: (a: string, b: string) => number): Session[] {
    return [...this.sessions.values()].sort((a, b) => compare(a.clientId, b.clientId));
  }

  private insert(session: Session): void {
    assert(session.lastIndex > this.lastIndexMax, `session lastIndex ${session.lastIndex} not above ${this.lastIndexMax}: table order would not follow lastIndex`);
    assert(!this.sessions.has(session.clientId), `session ${session.clientId} inserted twice`);
    this.sessions.set(session.clientId, session);
    this.bytes += session.sizeBytes;
    this.lastIndexMax = session.lastIndex;
  }

  private remove(session: Session): void {
    this.sessions.delete(session.clientId);
    this.bytes -= session.sizeBytes;
    assert(this.bytes >= 0, 'session bytes went negative');
  }
}
