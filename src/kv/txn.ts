/**
 * Multi-op writes, as etcd's Txn: compares decide the branch, then the branch's ops run in order
 * against the store with the branch's earlier writes visible, and all writes share one new
 * revision. Ops are planned first (reads, lease checks, result budget, quota) without touching
 * the state, then committed at once: a txn that fails changes nothing. Top-level put, delete and
 * cas run through the same path.
 */
import { assert, assertNever } from '../core/assert.js';
import type { KvCommand, KvCompare, KvTxnOp } from './commands.js';
import { compareKeys } from './keys.js';
import { resultKvBytesMax } from './limits.js';
import { collectRange, PendingView } from './reads.js';
import { kvError, type KvErrorResult, type KvResult, type KvTxnOpResult } from './results.js';
import type { KvState, Write } from './state.js';
import { keyValue, kvCostBytes, type KeyRecord } from './store.js';

type Txn = Extract<KvCommand, { readonly kind: 'txn' }>;

export interface OpsOutcome {
  readonly kind: 'applied';
  readonly results: readonly KvTxnOpResult[];
  /** The store revision after the ops: one more than before if they changed anything. */
  readonly revision: number;
}

export function executeTxn(state: KvState, txn: Txn, dataBytesMax: number): KvResult {
  const succeeded = txn.compare.every((c) => compareHolds(c, state.store.get(c.key)));
  const outcome = runOps(state, succeeded ? txn.success : txn.failure, dataBytesMax);
  if (outcome.kind === 'error') return outcome;
  return { kind: 'txn', succeeded, revision: outcome.revision, results: outcome.results };
}

/** Plans the ops, then commits their writes as one revision; on any error nothing changes. */
export function runOps(state: KvState, ops: readonly KvTxnOp[], dataBytesMax: number): OpsOutcome | KvErrorResult {
  const next = state.revision + 1;
  const view = new PendingView(state.store);
  const budget = { bytesLeft: resultKvBytesMax };
  const results: KvTxnOpResult[] = [];
  const writes: Write[] = [];
  const write = (key: string, record: KeyRecord | null) => {
    view.set(key, record);
    writes.push({ key, record });
  };
  for (const op of ops) {
    switch (op.kind) {
      case 'put': {
        if (op.lease !== undefined && !state.leases.has(op.lease)) return kvError('LEASE_NOT_FOUND', `lease ${op.lease} not found`);
        const previous = view.get(op.key);
        write(op.key, {
          value: op.value, createRevision: previous?.createRevision ?? next, modRevision: next, version: (previous?.version ?? 0) + 1,
          ...(op.lease === undefined ? {} : { lease: op.lease }),
        });
        results.push({ kind: 'put', revision: next });
        break;
      }
      case 'delete': {
        const deleted = view.get(op.key) !== undefined;
        if (deleted) write(op.key, null);
        results.push({ kind: 'delete', deleted });
        break;
      }
      case 'get': {
        const record = view.get(op.key);
        const cost = record === undefined ? 0 : kvCostBytes(op.key, record);
        if (cost > budget.bytesLeft) return kvError('RESULT_TOO_LARGE', `the txn's reads exceed resultKvBytesMax (${resultKvBytesMax} bytes)`);
        budget.bytesLeft -= cost;
        results.push({ kind: 'get', kv: record === undefined ? null : keyValue(op.key, record) });
        break;
      }
      case 'range': results.push({ kind: 'range', ...collectRange(view, op, budget) }); break;
      default: return assertNever(op);
    }
  }
  if (writes.length === 0) return { kind: 'applied', results, revision: state.revision };
  const quota = state.quotaError(writes, dataBytesMax);
  if (quota !== undefined) return quota;
  const revision = state.commit(writes);
  assert(revision === next, 'a commit spends exactly one revision');
  return { kind: 'applied', results, revision };
}

/**
 * Whether a compare holds for the key's current record. An absent key has value null and
 * version and revisions 0; null is not ordered, so '<' and '>' on an absent value are false.
 * Values compare by UTF-8 bytes, as etcd compares byte values.
 */
export function compareHolds(c: KvCompare, record: KeyRecord | undefined): boolean {
  if (c.target === 'value') {
    assert(typeof c.value !== 'number', 'validated: a value compare takes a string or null');
    const actual = record?.value ?? null;
    switch (c.op) {
      case '=': return actual === c.value;
      case '!=': return actual !== c.value;
      case '<': return actual !== null && c.value !== null && compareKeys(actual, c.value) < 0;
      case '>': return actual !== null && c.value !== null && compareKeys(actual, c.value) > 0;
      default: return assertNever(c.op);
    }
  }
  assert(typeof c.value === 'number', `validated: a ${c.target} compare takes a number`);
  const actual = record === undefined ? 0 : record[c.target];
  switch (c.op) {
    case '=': return actual === c.value;
    case '!=': return actual !== c.value;
    case '<': return actual < c.value;
    case '>': return actual > c.value;
    default: return assertNever(c.op);
  }
}
