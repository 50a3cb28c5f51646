/**
 * The replicated KV state machine: etcd-like revisions, prefix ranges, transactions, leases, a
 * watch history, and client sessions for exactly-once application of retried commands. See
 * docs/kv.md.
 *
 * Determinism: `apply` depends only on the state and the entry. No clock, no randomness, and no
 * output depends on Map or Set iteration order except through an explicit sort or an order that
 * follows the log by construction (sessions.ts, leases.ts).
 */
import { assert, assertNever } from '../core/assert.js';
import { concatBytes, hex16 } from '../core/bytes.js';
import { KeelError } from '../core/errors.js';
import type { AppliedEntry, StateMachine } from '../ports/state-machine.js';
import { crc32cChunk } from '../storage/crc.js';
import type { KvEnvelope } from './commands.js';
import { decodeCommand } from './decode.js';
import { encodeResult } from './encode.js';
import { execute, readKey, readRange } from './execute.js';
import { eventSizeBytes, type KvEventsResult, type KvWatchFilter } from './history.js';
import { compareKeys, utf8Length } from './keys.js';
import { resultBytesMax } from './limits.js';
import { resolveKvOptions, type KvOptions, type KvOptionsInput } from './options.js';
import { kvError } from './results.js';
import { SessionTable } from './sessions.js';
import { decodeSnapshot, snapshotChunks, type DecodedSnapshot, type SnapshotContent } from './snapshot.js';
import { KvState } from './state.js';
import { dataSizeBytes } from './store.js';
import { validateCommand } from './validate.js';

export class KvStateMachine implements StateMachine {
  readonly options: KvOptions;
  private state: KvState;
  private sessions: SessionTable;
  private appliedIndexValue = 0;

  constructor(options: KvOptionsInput = {}) {
    this.options = resolveKvOptions(options);
    this.state = KvState.empty(this.options);
    this.sessions = new SessionTable(this.options);
  }

  get appliedIndex(): number {
    return this.appliedIndexValue;
  }

  /** The store revision: the number of revisions spent on changes so far (0 for an empty store). */
  get revision(): number {
    return this.state.revision;
  }

  /** Events at or below this revision are no longer in the watch history. */
  get compactRevision(): number {
    return this.state.history.compactRevision;
  }

  get keyCount(): number {
    return this.state.store.count;
  }

  get dataSizeBytes(): number {
    return this.state.store.dataBytes;
  }

  get leaseCount(): number {
    return this.state.leases.count;
  }

  get historyEventCount(): number {
    return this.state.history.count;
  }

  get historySizeBytes(): number {
    return this.state.history.sizeBytes;
  }

  get sessionCount(): number {
    return this.sessions.count;
  }

  get sessionsSizeBytes(): number {
    return this.sessions.sizeBytes;
  }

  /** Applies a committed entry. Malformed bytes give an error result; an out-of-order index is a bug. */
  apply(entry: AppliedEntry): Uint8Array {
    assert(Number.isSafeInteger(entry.index), `entry index ${entry.index} is not a safe integer`);
    assert(entry.index > this.appliedIndexValue, `entry ${entry.index} applied after entry ${this.appliedIndexValue}: indexes must strictly increase`);
    const decoded = decodeCommand(entry.command);
    const bytes = decoded.ok ? this.applyEnvelope(entry.index, decoded.value) : encodeResult(decoded.error);
    // The limits bound every result (limits.ts); sessions and decodeResult rely on it.
    assert(bytes.length <= resultBytesMax, `result of entry ${entry.index} is ${bytes.length} bytes, resultBytesMax is ${resultBytesMax}`);
    this.appliedIndexValue = entry.index;
    return bytes;
  }

  /** Serves a read (an encoded envelope holding a get, range or leases, without session) from the current state. */
  query(request: Uint8Array): Uint8Array {
    const decoded = decodeCommand(request);
    if (!decoded.ok) return encodeResult(decoded.error);
    if (decoded.value.session !== undefined) {
      return encodeResult(kvError('QUERY_UNSUPPORTED', 'a query carries no session: reads are not deduplicated'));
    }
    const command = decoded.value.command;
    const invalid = validateCommand(command);
    switch (command.kind) {
      case 'get': return encodeResult(invalid ?? readKey(this.state.store, command.key, this.state.revision));
      case 'range': return encodeResult(invalid ?? readRange(this.state, command));
      case 'leases': return encodeResult({ kind: 'leases', leases: this.state.leases.list() });
      case 'put':
      case 'delete':
      case 'cas':
      case 'txn':
      case 'leaseGrant':
      case 'leaseKeepAlive':
      case 'leaseRevoke':
      case 'noop': return encodeResult(kvError('QUERY_UNSUPPORTED', `query serves reads only, got "${command.kind}"`));
      default: return assertNever(command);
    }
  }

  /**
   * Watch events matching `filter` from `fromRevision` (an integer >= 1) on, at most about
   * `limit` (whole revisions only), or COMPACTED when the history no longer reaches back that
   * far. Pure: the server calls it after applies to feed watchers, continuing from `nextRevision`.
   */
  eventsSince(fromRevision: number, filter: KvWatchFilter, limit: number): KvEventsResult {
    return this.state.history.since(fromRevision, filter, limit, this.state.revision);
  }

  snapshot(): Uint8Array {
    return concatBytes([...snapshotChunks(this.content())]);
  }

  /**
   * Replaces the whole state, atomically: a snapshot that fails validation (CHECKPOINT_CORRUPT,
   * FORMAT_VERSION_UNSUPPORTED) or does not fit this machine's options (CONFIG_INVALID) throws
   * and leaves the state as it was.
   */
  restore(snapshot: Uint8Array, index: number): void {
    assert(Number.isSafeInteger(index) && index >= 0, `restore index ${index} is not a non-negative integer`);
    const content = decodeSnapshot(snapshot);
    if (content.appliedIndex !== index) {
      throw new KeelError('CHECKPOINT_CORRUPT', `KV snapshot holds appliedIndex ${content.appliedIndex} but is restored as index ${index}`, { data: { snapshotIndex: content.appliedIndex, index } });
    }
    this.requireFits(content);
    this.state = KvState.restored(content, this.options);
    this.sessions = SessionTable.from(content.sessions, this.options);
    this.appliedIndexValue = index;
  }

  /** 24 hex digits: CRC32C of the snapshot bytes (8), then their length (16). Costs a full snapshot encoding. */
  digest(): string {
    let crc = 0;
    let size = 0;
    for (const chunk of snapshotChunks(this.content())) {
      crc = crc32cChunk(chunk, crc);
      size += chunk.length;
    }
    return crc.toString(16).padStart(8, '0') + hex16(size);
  }

  /** CONFIG_INVALID, listing every problem, if a snapshot does not fit this machine's options. */
  private requireFits(content: DecodedSnapshot): void {
    const o = this.options;
    const dataBytes = content.keys.reduce((sum, [key, record]) => sum + dataSizeBytes(key, record), 0);
    const sessionsBytes = content.sessions.reduce((sum, s) => sum + s.sizeBytes, 0);
    const historyBytes = content.events.reduce((sum, e) => sum + eventSizeBytes(e), 0);
    const problems: string[] = [];
    if (dataBytes > o.dataBytesMax) problems.push(`${dataBytes} data bytes > dataBytesMax ${o.dataBytesMax}`);
    if (content.sessions.length > o.sessionsMax) problems.push(`${content.sessions.length} sessions > sessionsMax ${o.sessionsMax}`);
    if (sessionsBytes > o.sessionsBytesMax) problems.push(`${sessionsBytes} session bytes > sessionsBytesMax ${o.sessionsBytesMax}`);
    if (content.leases.length > o.leasesMax) problems.push(`${content.leases.length} leases > leasesMax ${o.leasesMax}`);
    if (content.events.length > o.historyEventsMax) problems.push(`${content.events.length} events > historyEventsMax ${o.historyEventsMax}`);
    if (historyBytes > o.historyBytesMax) problems.push(`${historyBytes} history bytes > historyBytesMax ${o.historyBytesMax}`);
    if (problems.length > 0) {
      throw new KeelError('CONFIG_INVALID', `KV snapshot does not fit this node's options (replicas must share them): ${problems.join('; ')}`, { data: { problems } });
    }
  }

  private content(): SnapshotContent {
    return {
      appliedIndex: this.appliedIndexValue,
      revision: this.state.revision,
      compactRevision: this.state.history.compactRevision,
      leases: this.state.leases.list(),
      keys: this.state.store.entries(),
      keyCount: this.state.store.count,
      events: this.state.history.kept(),
      sessions: this.sessions.sorted(compareKeys),
    };
  }

  private applyEnvelope(index: number, envelope: KvEnvelope): Uint8Array {
    const session = envelope.session;
    if (session === undefined) return encodeResult(execute(this.state, envelope.command, index, this.options));
    const check = this.sessions.check(session);
    switch (check.kind) {
      case 'duplicate':
      case 'stale': return encodeResult(check.result);
      case 'apply': {
        const result = execute(this.state, envelope.command, index, this.options);
        const bytes = encodeResult(result);
        this.sessions.record(session, index, result, utf8Length(session.clientId) + bytes.length);
        return bytes;
      }
      default: return assertNever(check);
    }
  }
}
