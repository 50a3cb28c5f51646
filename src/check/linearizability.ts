/**
 * Linearizability checker for kv-history v1. Linearizability is compositional (Herlihy & Wing's
 * locality, used per key as P-compositionality): a history is linearizable iff each key's
 * sub-history is, so keys are checked one by one, each with a bounded search (search.ts).
 */
import { assert, assertNever } from '../core/assert.js';
import { describeOp, describeValue, type HistoryOp } from './history.js';
import { searchKey, type DeadEndReason } from './search.js';

export interface CheckOptions {
  /** Steps for the whole history; keys past it are `unknown`. */
  readonly budgetSteps?: number;
  /** Steps for one key; a key that needs more is `unknown`. */
  readonly keyBudgetSteps?: number;
}

/**
 * A step is one move of the search (look at one candidate, or undo at a dead end). The search runs
 * at about 1-5 million steps per second; a linearizable key of a few thousand operations from a
 * handful of clients needs 3-30 steps per operation. The per-key default leaves ample room while
 * bounding a hopeless key to a few seconds and a few hundred MB (freed after the key).
 */
export const checkDefaults = Object.freeze({
  budgetSteps: 50_000_000,
  keyBudgetSteps: 5_000_000,
});

export type KeyStatus = 'ok' | 'illegal' | 'unknown';
export type CheckStatus = 'linearizable' | 'not-linearizable' | 'unknown';

/** Why a key is not linearizable: the deepest point the search reached and what stopped it there. */
export interface IllegalWitness {
  /** The longest linearizable prefix found (indexes into the checked ops), in effect order. */
  readonly prefix: readonly number[];
  /** The state after that prefix (null = absent). */
  readonly state: string | null;
  /** The operation that could not be placed after the prefix (its return came, or nothing left can give it the state it needs). */
  readonly blocked: number;
  /**
   * `illegal-in-state`: `blocked` is illegal in `state`; `no-continuation`: it is legal there but
   * every continuation fails before some return. Found before any search (empty prefix):
   * `never-written`: it needs a value no sequence of the key's operations produces; `stale`: no
   * write of that value can be the latest while it runs (see `evidence`).
   */
  readonly reason: DeadEndReason;
  /** For `stale`, per write of the value needed: the write (null: the initial absence) and the ok write of another value that ran entirely between it and `blocked` (null: the write was called after `blocked` returned). */
  readonly evidence: readonly { readonly write: number | null; readonly overwrittenBy: number | null }[];
  /** One or two sentences for humans. */
  readonly explanation: string;
}

export interface KeyResult {
  readonly key: string;
  readonly status: KeyStatus;
  /** Operations the search placed: ok operations and info writes. */
  readonly ops: number;
  /** Operations dropped before the search: fail operations and info gets. */
  readonly dropped: number;
  readonly steps: number;
  /** For `ok`: the operations that took effect (indexes into the checked ops) in a valid order. */
  readonly linearization?: readonly number[];
  /** For `illegal`. */
  readonly witness?: IllegalWitness;
}

export interface CheckResult {
  /** not-linearizable if any key is illegal; otherwise unknown if any key is unknown. */
  readonly status: CheckStatus;
  /** In order of each key's first operation. */
  readonly keys: readonly KeyResult[];
  readonly steps: number;
}

/** Checks a parsed history (parseHistory's `ops`); every index in the result refers to `ops`. */
export function checkHistory(ops: readonly HistoryOp[], options: CheckOptions = {}): CheckResult {
  const budgetSteps = options.budgetSteps ?? checkDefaults.budgetSteps;
  const keyBudgetSteps = options.keyBudgetSteps ?? checkDefaults.keyBudgetSteps;
  assert(Number.isSafeInteger(budgetSteps) && budgetSteps >= 0, `budgetSteps must be an integer >= 0, got ${budgetSteps}`);
  assert(Number.isSafeInteger(keyBudgetSteps) && keyBudgetSteps >= 0, `keyBudgetSteps must be an integer >= 0, got ${keyBudgetSteps}`);

  const keys: KeyResult[] = [];
  let steps = 0;
  for (const [key, indexes] of partitionByKey(ops)) {
    const searched = indexes.filter((index) => isSearched(ops[index]!));
    const keyOps = searched.map((index) => ops[index]!);
    const common = { key, ops: searched.length, dropped: indexes.length - searched.length };
    const outcome = searchKey(keyOps, Math.min(keyBudgetSteps, budgetSteps - steps));
    steps += outcome.steps;
    switch (outcome.kind) {
      case 'ok':
        keys.push({ ...common, status: 'ok', steps: outcome.steps, linearization: outcome.order.map((i) => searched[i]!) });
        break;
      case 'unknown':
        keys.push({ ...common, status: 'unknown', steps: outcome.steps });
        break;
      case 'illegal': {
        const prefix = outcome.prefix.map((i) => searched[i]!);
        const blocked = searched[outcome.blocked]!;
        const global = (index: number): number | null => (index < 0 ? null : searched[index]!);
        const evidence = outcome.evidence.map((e) => ({ write: global(e.write), overwrittenBy: global(e.overwrittenBy) }));
        const explanation = explain(ops, { prefix, state: outcome.state, blocked, reason: outcome.reason, evidence }, searched.length);
        const witness = { prefix, state: outcome.state, blocked, reason: outcome.reason, evidence, explanation };
        keys.push({ ...common, status: 'illegal', steps: outcome.steps, witness });
        break;
      }
      default:
        assertNever(outcome);
    }
  }
  const status: CheckStatus = keys.some((k) => k.status === 'illegal')
    ? 'not-linearizable'
    : keys.some((k) => k.status === 'unknown') ? 'unknown' : 'linearizable';
  return { status, keys, steps };
}

/** Fail operations never took effect and info gets observed nothing: both are dropped. */
function isSearched(op: HistoryOp): boolean {
  if (op.status === 'fail') return false;
  return !(op.status === 'info' && op.op === 'get');
}

function partitionByKey(ops: readonly HistoryOp[]): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  ops.forEach((op, index) => {
    const list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, [index]);
    else list.push(index);
  });
  return byKey;
}

/** Writes listed in a `stale` explanation. */
const explainedWritesMax = 3;

function explain(ops: readonly HistoryOp[], witness: Omit<IllegalWitness, 'explanation'>, total: number): string {
  const { prefix, state, reason } = witness;
  const op = ops[witness.blocked]!;
  const needed = op.op === 'cas' ? op.expected : op.op === 'get' ? (op.output ?? null) : null;
  const verb = op.op === 'cas' ? 'compares with' : 'read';
  switch (reason) {
    case 'never-written':
      return `${describeOp(op)} ${verb} ${describeValue(needed)}, but no operation on this key that may have taken effect writes that value (or can build it), so it cannot take effect anywhere.`;
    case 'stale': {
      const reasons = witness.evidence.slice(0, explainedWritesMax).map(({ write, overwrittenBy }) => {
        const what = write === null ? 'the initial absence of the key' : describeOp(ops[write]!);
        return overwrittenBy === null
          ? `${what} was called after it returned`
          : `${what} was overwritten by ${describeOp(ops[overwrittenBy]!)} before it was called`;
      });
      const more = witness.evidence.length - reasons.length;
      const tail = more > 0 ? `; and ${more} more write(s) of it likewise` : '';
      return `${describeOp(op)} ${verb} ${describeValue(needed)}, but no write of that value can be the latest while it runs: ${reasons.join('; ')}${tail}.`;
    }
    case 'illegal-in-state':
    case 'no-continuation': {
      const where = prefix.length === 0
        ? `Before any operation takes effect (state: ${describeState(state)})`
        : `After the longest linearizable prefix found (${prefix.length} of ${total} operations; state: ${describeState(state)})`;
      const why = reason === 'illegal-in-state'
        ? `it is illegal there${stateHint(op, state)}`
        : 'every order of the operations still pending then fails before its return';
      return `${where}, ${describeOp(op)} must take effect before it returns, but ${why}.`;
    }
    default:
      return assertNever(reason);
  }
}

function describeState(state: string | null): string {
  return state === null ? 'absent' : describeValue(state);
}

function stateHint(op: HistoryOp, state: string | null): string {
  const holds = state === null ? 'the key is absent' : `the key holds ${describeValue(state)}`;
  if (op.op === 'get') return `: it read ${describeValue(op.output ?? null)}, ${holds}`;
  if (op.op === 'cas' && op.output === true) return `: the swap needs ${describeValue(op.expected)}, ${holds}`;
  if (op.op === 'cas' && op.output === false) return `: the comparison with ${describeValue(op.expected)} would have succeeded`;
  return '';
}
