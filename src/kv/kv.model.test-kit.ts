/**
 * A deliberately simple model of the KV state machine for property tests: plain Maps, a full
 * (unbounded) event list, linear scans, byte order via TextEncoder. It restates docs/kv.md
 * independently of the production code. Not modelled: quotas and result byte budgets (the
 * generated values are tiny), and error messages (compared by code only).
 */
import type { ClientSession, KvCommand, KvCompare, KvEnvelope, KvTxnOp } from './commands.js';
import type { KvEvent, KvEventsResult, KvWatchFilter } from './history.js';
import { keyBytesMax, leaseTtlMsMax, leaseTtlMsMin, rangeLimitMax, txnOpsMax } from './limits.js';
import { kvError, type KeyValue, type KvErrorCode, type KvResult, type KvTxnOpResult } from './results.js';

export interface ModelLimits {
  readonly sessionsMax: number;
  readonly leasesMax: number;
  readonly historyEventsMax: number;
}

/** A concrete log entry; `envelope` is undefined for garbage. */
export interface Step {
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly envelope: KvEnvelope | undefined;
}

interface Rec { readonly value: string; readonly createRevision: number; readonly modRevision: number; readonly version: number; readonly lease?: string }
interface ModelSession { lastSeq: number; lastIndex: number; lastResult: KvResult }

const error = (code: KvErrorCode): KvResult => kvError(code, '');
const encoder = new TextEncoder();

/** Compares by UTF-8 bytes, independently of compareKeys. */
export function byteCompare(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

const kv = (key: string, r: Rec): KeyValue => ({
  key, value: r.value, createRevision: r.createRevision, modRevision: r.modRevision, version: r.version, ...(r.lease === undefined ? {} : { lease: r.lease }),
});

export class Model {
  keys = new Map<string, Rec>();
  readonly leases = new Map<string, number>();
  readonly sessions = new Map<string, ModelSession>();
  readonly events: KvEvent[] = [];
  revision = 0;
  appliedIndex = 0;

  constructor(private readonly limits: ModelLimits) {}

  apply(step: Step): KvResult {
    this.appliedIndex = step.index;
    if (step.envelope === undefined) return error('COMMAND_MALFORMED');
    const { session, command } = step.envelope;
    const known = session === undefined ? undefined : this.sessions.get(session.clientId);
    if (session !== undefined && known !== undefined) {
      if (session.seq === known.lastSeq) return known.lastResult;
      if (session.seq < known.lastSeq) return error('SESSION_EXPIRED_SEQ');
    }
    const result = this.execute(command, step.index);
    if (session !== undefined) this.record(session, step.index, result);
    return result;
  }

  /** The kept history: the longest suffix of whole revisions within historyEventsMax. */
  kept(): { readonly events: KvEvent[]; readonly compactRevision: number } {
    let start = this.events.length;
    let revisions = 0;
    while (start > 0) {
      const revision = this.events[start - 1]!.revision;
      let groupStart = start;
      while (groupStart > 0 && this.events[groupStart - 1]!.revision === revision) groupStart--;
      if (this.events.length - groupStart > this.limits.historyEventsMax) break;
      start = groupStart;
      revisions++;
    }
    return { events: this.events.slice(start), compactRevision: this.revision - revisions };
  }

  eventsSince(from: number, filter: KvWatchFilter, limit: number): KvEventsResult {
    const { events, compactRevision } = this.kept();
    if (from <= compactRevision) return { kind: 'compacted', compactRevision };
    const matching = events.filter((e) => e.revision >= from && (filter.kind === 'key' ? e.key === filter.key : e.key.startsWith(filter.prefix)));
    const out: KvEvent[] = [];
    for (const revision of [...new Set(matching.map((e) => e.revision))]) {
      const group = matching.filter((e) => e.revision === revision);
      if (out.length > 0 && out.length + group.length > limit) return { kind: 'events', events: out, nextRevision: revision };
      out.push(...group);
      if (out.length >= limit) return { kind: 'events', events: out, nextRevision: revision + 1 };
    }
    return { kind: 'events', events: out, nextRevision: Math.max(from, this.revision + 1) };
  }

  leaseList(): { id: string; ttlMs: number; keys: number }[] {
    return [...this.leases.entries()].sort((a, b) => Number(a[0]) - Number(b[0]))
      .map(([id, ttlMs]) => ({ id, ttlMs, keys: [...this.keys.values()].filter((r) => r.lease === id).length }));
  }

  sortedKeys(keys = this.keys): KeyValue[] {
    return [...keys.entries()].sort((a, b) => byteCompare(a[0], b[0])).map(([k, r]) => kv(k, r));
  }

  private record(session: ClientSession, index: number, result: KvResult): void {
    this.sessions.set(session.clientId, { lastSeq: session.seq, lastIndex: index, lastResult: result });
    if (this.sessions.size <= this.limits.sessionsMax) return;
    let oldest: string | undefined;
    for (const [id, s] of this.sessions) if (oldest === undefined || s.lastIndex < this.sessions.get(oldest)!.lastIndex) oldest = id;
    this.sessions.delete(oldest!);
  }

  private execute(command: KvCommand, index: number): KvResult {
    const invalid = invalidCommand(command);
    if (invalid !== undefined) return error(invalid);
    switch (command.kind) {
      case 'noop': return { kind: 'noop', revision: this.revision };
      case 'put': return this.ops([command], (r) => ({ kind: 'put', revision: r.revision }));
      case 'delete': return this.ops([command], (r) => ({ kind: 'delete', revision: r.revision, deleted: (r.results[0] as { deleted: boolean }).deleted }));
      case 'cas': {
        const current = this.keys.get(command.key)?.value ?? null;
        if (current !== command.expected) return { kind: 'cas', succeeded: false, revision: this.revision, value: current };
        return this.ops([{ kind: 'put', key: command.key, value: command.value }], (r) => ({ kind: 'cas', succeeded: true, revision: r.revision, value: command.value }));
      }
      case 'get': {
        const r = this.keys.get(command.key);
        if (r === undefined) return { kind: 'get', revision: this.revision, found: false };
        const { key: _key, ...rest } = kv(command.key, r);
        return { kind: 'get', revision: this.revision, found: true, ...rest };
      }
      case 'range': return { kind: 'range', revision: this.revision, ...rangeOf(this.sortedKeys(), command) };
      case 'txn': {
        const succeeded = command.compare.every((c) => holds(c, this.keys.get(c.key)));
        return this.ops(succeeded ? command.success : command.failure, (r) => ({ kind: 'txn', succeeded, revision: r.revision, results: r.results }));
      }
      case 'leaseGrant':
        if (this.leases.size >= this.limits.leasesMax) return error('LEASE_QUOTA_EXCEEDED');
        this.leases.set(String(index), command.ttlMs);
        return { kind: 'leaseGrant', id: String(index), ttlMs: command.ttlMs };
      case 'leaseKeepAlive': {
        const ttlMs = this.leases.get(command.id);
        return ttlMs === undefined ? error('LEASE_NOT_FOUND') : { kind: 'leaseKeepAlive', id: command.id, ttlMs };
      }
      case 'leaseRevoke': {
        if (!this.leases.has(command.id)) return error('LEASE_NOT_FOUND');
        const doomed = [...this.keys.entries()].filter(([, r]) => r.lease === command.id).map(([k]) => k).sort(byteCompare);
        if (doomed.length > 0) this.revision++;
        for (const key of doomed) {
          this.keys.delete(key);
          this.events.push({ type: 'delete', revision: this.revision, key });
        }
        this.leases.delete(command.id);
        return { kind: 'leaseRevoke', id: command.id, revision: this.revision, deletedKeys: doomed.length };
      }
      case 'leases': return { kind: 'leases', leases: this.leaseList() };
    }
  }

  /** Runs ops on a copy of the keys; commits the copy as one revision if anything changed. */
  private ops(ops: readonly KvTxnOp[], done: (r: { revision: number; results: KvTxnOpResult[] }) => KvResult): KvResult {
    const work = new Map(this.keys);
    const next = this.revision + 1;
    const results: KvTxnOpResult[] = [];
    const changes: KvEvent[] = [];
    for (const op of ops) {
      if (op.kind === 'put') {
        if (op.lease !== undefined && !this.leases.has(op.lease)) return error('LEASE_NOT_FOUND');
        const previous = work.get(op.key);
        const rec: Rec = { value: op.value, createRevision: previous?.createRevision ?? next, modRevision: next, version: (previous?.version ?? 0) + 1, ...(op.lease === undefined ? {} : { lease: op.lease }) };
        work.set(op.key, rec);
        changes.push({ type: 'put', revision: next, key: op.key, kv: kv(op.key, rec) });
        results.push({ kind: 'put', revision: next });
      } else if (op.kind === 'delete') {
        const deleted = work.delete(op.key);
        if (deleted) changes.push({ type: 'delete', revision: next, key: op.key });
        results.push({ kind: 'delete', deleted });
      } else if (op.kind === 'get') {
        const r = work.get(op.key);
        results.push({ kind: 'get', kv: r === undefined ? null : kv(op.key, r) });
      } else {
        results.push({ kind: 'range', ...rangeOf(this.sortedKeys(work), op) });
      }
    }
    if (changes.length > 0) {
      this.keys = work;
      this.revision = next;
      this.events.push(...changes);
    }
    return done({ revision: this.revision, results });
  }
}

function rangeOf(sorted: readonly KeyValue[], range: { prefix: string; limit?: number; after?: string }) {
  const matching = sorted.filter((e) => e.key.startsWith(range.prefix) && (range.after === undefined || byteCompare(e.key, range.after) > 0));
  const limit = range.limit ?? rangeLimitMax;
  return { kvs: matching.slice(0, limit), more: matching.length > limit };
}

function holds(c: KvCompare, r: Rec | undefined): boolean {
  if (c.target === 'value') {
    const actual = r?.value ?? null;
    const expected = c.value as string | null;
    if (c.op === '=') return actual === expected;
    if (c.op === '!=') return actual !== expected;
    if (actual === null || expected === null) return false;
    return c.op === '<' ? byteCompare(actual, expected) < 0 : byteCompare(actual, expected) > 0;
  }
  const actual = r === undefined ? 0 : r[c.target];
  const expected = c.value as number;
  return c.op === '=' ? actual === expected : c.op === '!=' ? actual !== expected : c.op === '<' ? actual < expected : actual > expected;
}

// ---- validation, in the order docs/kv.md gives (generated long strings are ASCII) ----

function invalidKey(key: string, mayBeEmpty = false): KvErrorCode | undefined {
  if (key === '' && !mayBeEmpty) return 'KEY_EMPTY';
  return key.length > keyBytesMax ? 'KEY_TOO_LARGE' : undefined;
}

const isLeaseId = (id: string) => /^[1-9][0-9]{0,15}$/.test(id);

function invalidCommand(c: KvCommand): KvErrorCode | undefined {
  switch (c.kind) {
    case 'noop': case 'leases': return undefined;
    case 'get': case 'delete': case 'cas': return invalidKey(c.key);
    case 'put': return invalidKey(c.key) ?? (c.lease !== undefined && !isLeaseId(c.lease) ? 'COMMAND_MALFORMED' : undefined);
    case 'range':
      return invalidKey(c.prefix, true) ?? (c.after === undefined ? undefined : invalidKey(c.after, true))
        ?? (c.limit !== undefined && c.limit > rangeLimitMax ? 'RANGE_LIMIT_TOO_LARGE' : undefined);
    case 'leaseGrant': return c.ttlMs < leaseTtlMsMin || c.ttlMs > leaseTtlMsMax ? 'LEASE_TTL_INVALID' : undefined;
    case 'leaseKeepAlive': case 'leaseRevoke': return isLeaseId(c.id) ? undefined : 'COMMAND_MALFORMED';
    case 'txn': {
      if ([c.compare, c.success, c.failure].some((list) => list.length > txnOpsMax)) return 'TXN_TOO_LARGE';
      for (const cmp of c.compare) {
        const bad = invalidKey(cmp.key) ?? (cmp.target === 'value'
          ? (typeof cmp.value === 'string' || (cmp.value === null && (cmp.op === '=' || cmp.op === '!=')) ? undefined : 'COMMAND_MALFORMED')
          : (typeof cmp.value === 'number' && Number.isSafeInteger(cmp.value) && cmp.value >= 0 ? undefined : 'COMMAND_MALFORMED'));
        if (bad !== undefined) return bad;
      }
      for (const branch of [c.success, c.failure]) {
        const written = new Set<string>();
        for (const op of branch) {
          const bad = invalidCommand(op);
          if (bad !== undefined) return bad;
          if (op.kind !== 'put' && op.kind !== 'delete') continue;
          if (written.has(op.key)) return 'TXN_DUPLICATE_KEY';
          written.add(op.key);
        }
      }
      return undefined;
    }
  }
}
