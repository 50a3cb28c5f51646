/**
 * The replicated KV state machine: etcd-like revisions, compare-and-set, and client sessions for
 * exactly-once application of retried commands. See docs/kv.md.
 *
 * Determinism: `apply` depends only on the state and the entry. No clock, no randomness, and no
 * output depends on Map iteration order except through an explicit sort (snapshot) or the session
 * table's insertion order, which follows the log (sessions.ts).
 */
import { assert, assertNever } from '../core/assert.js';
import { concatBytes, hex16 } from '../core/bytes.js';
import { KeelError } from '../core/errors.js';
import type { AppliedEntry, StateMachine } from '../ports/state-machine.js';
import { crc32cChunk } from '../storage/crc.js';
import {
  decodeCommand, encodeResult, kvError, validateCommand,
  type KvCommand, type KvEnvelope, type KvErrorResult, type KvGetResult, type KvResult,
} from './commands.js';
import { compareKeys, utf8Length } from './keys.js';
import { resolveKvOptions, type KvOptions, type KvOptionsInput } from './options.js';
import { SessionTable } from './sessions.js';
import { decodeSnapshot, snapshotChunks, type KeyRecord, type SnapshotContent } from './snapshot.js';

type Command<K extends KvCommand['kind']> = Extract<KvCommand, { readonly kind: K }>;

export class KvStateMachine implements StateMachine {
  readonly options: KvOptions;
  private keys = new Map<string, KeyRecord>();
  private revisionValue = 0;
  /** UTF-8 bytes of all live keys plus values, against dataBytesMax. */
  private dataBytes = 0;
  private sessions: SessionTable;
  private appliedIndexValue = 0;

  constructor(options: KvOptionsInput = {}) {
    this.options = resolveKvOptions(options);
    this.sessions = new SessionTable(this.options);
  }

  get appliedIndex(): number {
    return this.appliedIndexValue;
  }

  /** The store revision: the number of mutations applied so far (0 for an empty store). */
  get revision(): number {
    return this.revisionValue;
  }

  get keyCount(): number {
    return this.keys.size;
  }

  get dataSizeBytes(): number {
    return this.dataBytes;
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
    this.appliedIndexValue = entry.index;
    return bytes;
  }

  /** Serves a read (an encoded envelope holding a `get`, without session) against the current state. */
  query(request: Uint8Array): Uint8Array {
    const decoded = decodeCommand(request);
    if (!decoded.ok) return encodeResult(decoded.error);
    if (decoded.value.session !== undefined) {
      return encodeResult(kvError('QUERY_UNSUPPORTED', 'a query carries no session: reads are not deduplicated'));
    }
    const command = decoded.value.command;
    switch (command.kind) {
      case 'get': return encodeResult(validateCommand(command) ?? this.onGet(command));
      case 'put':
      case 'delete':
      case 'cas':
      case 'noop': return encodeResult(kvError('QUERY_UNSUPPORTED', `query serves reads only, got "${command.kind}"`));
      default: return assertNever(command);
    }
  }

  snapshot(): Uint8Array {
    return concatBytes(snapshotChunks(this.content()));
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
    let dataBytes = 0;
    for (const [key, record] of content.keys) dataBytes += utf8Length(key) + utf8Length(record.value);
    const sessionsBytes = content.sessions.reduce((sum, s) => sum + s.sizeBytes, 0);
    const problems: string[] = [];
    if (dataBytes > this.options.dataBytesMax) problems.push(`${dataBytes} data bytes > dataBytesMax ${this.options.dataBytesMax}`);
    if (content.sessions.length > this.options.sessionsMax) problems.push(`${content.sessions.length} sessions > sessionsMax ${this.options.sessionsMax}`);
    if (sessionsBytes > this.options.sessionsBytesMax) problems.push(`${sessionsBytes} session bytes > sessionsBytesMax ${this.options.sessionsBytesMax}`);
    if (problems.length > 0) {
      throw new KeelError('CONFIG_INVALID', `KV snapshot does not fit this node's options (replicas must share them): ${problems.join('; ')}`, { data: { problems } });
    }
    this.keys = new Map(content.keys);
    this.revisionValue = content.revision;
    this.dataBytes = dataBytes;
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

  private content(): SnapshotContent {
    return {
      appliedIndex: this.appliedIndexValue,
      revision: this.revisionValue,
      keys: [...this.keys.entries()].sort((a, b) => compareKeys(a[0], b[0])),
      sessions: this.sessions.sorted(compareKeys),
    };
  }

  private applyEnvelope(index: number, envelope: KvEnvelope): Uint8Array {
    const session = envelope.session;
    if (session === undefined) return encodeResult(this.execute(envelope.command));
    const check = this.sessions.check(session);
    switch (check.kind) {
      case 'duplicate':
      case 'stale': return encodeResult(check.result);
      case 'apply': {
        const result = this.execute(envelope.command);
        const bytes = encodeResult(result);
        this.sessions.record(session, index, result, utf8Length(session.clientId) + bytes.length);
        return bytes;
      }
      default: return assertNever(check);
    }
  }

  private execute(command: KvCommand): KvResult {
    const invalid = validateCommand(command);
    if (invalid !== undefined) return invalid;
    switch (command.kind) {
      case 'put': return this.onPut(command);
      case 'delete': return this.onDelete(command);
      case 'cas': return this.onCas(command);
      case 'get': return this.onGet(command);
      case 'noop': return { kind: 'noop', revision: this.revisionValue };
      default: return assertNever(command);
    }
  }

  private onPut(command: Command<'put'>): KvResult {
    const revision = this.write(command.key, command.value);
    return typeof revision === 'number' ? { kind: 'put', revision } : revision;
  }

  private onDelete(command: Command<'delete'>): KvResult {
    const current = this.keys.get(command.key);
    if (current === undefined) return { kind: 'delete', revision: this.revisionValue, deleted: false };
    this.keys.delete(command.key);
    this.dataBytes -= utf8Length(command.key) + utf8Length(current.value);
    assert(this.dataBytes >= 0, 'data bytes went negative');
    this.revisionValue += 1;
    return { kind: 'delete', revision: this.revisionValue, deleted: true };
  }

  private onCas(command: Command<'cas'>): KvResult {
    const current = this.keys.get(command.key);
    const matches = command.expected === null ? current === undefined : current !== undefined && current.value === command.expected;
    if (!matches) return { kind: 'cas', succeeded: false, revision: this.revisionValue, value: current?.value ?? null };
    const revision = this.write(command.key, command.value);
    return typeof revision === 'number' ? { kind: 'cas', succeeded: true, revision, value: command.value } : revision;
  }

  private onGet(command: Command<'get'>): KvGetResult {
    const record = this.keys.get(command.key);
    if (record === undefined) return { kind: 'get', revision: this.revisionValue, found: false };
    return {
      kind: 'get', revision: this.revisionValue, found: true,
      value: record.value, createRevision: record.createRevision, modRevision: record.modRevision, version: record.version,
    };
  }

  /** Sets `key` to `value` as the next revision; returns that revision, or QUOTA_EXCEEDED. */
  private write(key: string, value: string): number | KvErrorResult {
    const previous = this.keys.get(key);
    const keyBytes = utf8Length(key);
    const sizeBefore = previous === undefined ? 0 : keyBytes + utf8Length(previous.value);
    const sizeAfter = keyBytes + utf8Length(value);
    const dataBytes = this.dataBytes - sizeBefore + sizeAfter;
    // A write that does not grow the data passes even at the quota, so a full store can shrink.
    if (sizeAfter > sizeBefore && dataBytes > this.options.dataBytesMax) {
      return kvError('QUOTA_EXCEEDED', `write would take the store to ${dataBytes} bytes, dataBytesMax is ${this.options.dataBytesMax}`);
    }
    const revision = this.revisionValue + 1;
    this.keys.set(key, previous === undefined
      ? { value, createRevision: revision, modRevision: revision, version: 1 }
      : { value, createRevision: previous.createRevision, modRevision: revision, version: previous.version + 1 });
    this.revisionValue = revision;
    this.dataBytes = dataBytes;
    return revision;
  }
}
