/**
 * Quick refutation before the search (keys without appends): an ok operation that needs a value
 * (a get reading it, a cas expecting it) when no write of that value can be the latest one while
 * the operation runs. A write of the value cannot be, if it was called after the operation
 * returned, or if an ok write of another value ran entirely between the two (it must take effect
 * after the first and before the operation). This finds stale reads, lost writes and lost deletes
 * in O(n log n), however many clients overlap, and names the operations that prove it.
 */
import type { HistoryOp } from './history.js';
import { absentState, type KeyModel } from './kv-model.js';

/** Why one write cannot be the one read: it came too late, or `overwrittenBy` came in between. */
export interface Evidence {
  /** The write (index into the key's ops), or -1 for the key's initial absence. */
  readonly write: number;
  /** An ok write of another value in between, or -1 if `write` was called after the read returned. */
  readonly overwrittenBy: number;
}

export interface Refutation {
  /** The operation that cannot take effect anywhere. */
  readonly op: number;
  /** One entry per write of the needed value (empty: no operation writes it). */
  readonly evidence: readonly Evidence[];
}

/** The first ok operation (in time order of calls) that cannot take effect anywhere, if any. */
export function refute(ops: readonly HistoryOp[], model: KeyModel): Refutation | undefined {
  if (ops.some((op) => op.op === 'append')) return undefined;
  const producers = new Map<number, number[]>();
  ops.forEach((_, index) => {
    const state = model.produces(index);
    if (state < 0) return;
    const list = producers.get(state);
    if (list === undefined) producers.set(state, [index]);
    else list.push(index);
  });
  const latest = new LatestWrites(ops, model);
  const byCall = ops.map((_, index) => index).sort((a, b) => ops[a]!.call - ops[b]!.call || a - b);
  for (const index of byCall) {
    const op = ops[index]!;
    const needed = model.requires(index);
    if (op.status !== 'ok' || needed < 0) continue;
    const evidence: Evidence[] = [];
    const blocker = latest.before(op.call, needed);
    if (needed === absentState) {
      if (blocker < 0) continue; // the initial absence may still hold
      evidence.push({ write: -1, overwrittenBy: blocker });
    }
    let usable = false;
    for (const write of producers.get(needed) ?? []) {
      const candidate = ops[write]!;
      if (candidate.call > op.return!) {
        evidence.push({ write, overwrittenBy: -1 });
      } else if (candidate.status === 'ok' && blocker >= 0 && candidate.return! < ops[blocker]!.call) {
        evidence.push({ write, overwrittenBy: blocker });
      } else {
        usable = true;
        break;
      }
    }
    if (!usable) return { op: index, evidence };
  }
  return undefined;
}

/**
 * For a time t and a value v: among ok operations that set the state to something other than v
 * and returned before t, the one called last (or -1). Prefix maxima over returns keep the best
 * two with different targets, so each query is a binary search.
 */
class LatestWrites {
  private readonly returns: number[] = [];
  private readonly best: number[] = [];
  private readonly second: number[] = [];

  constructor(private readonly ops: readonly HistoryOp[], private readonly model: KeyModel) {
    const setters = ops.map((_, index) => index).filter((index) => ops[index]!.status === 'ok' && model.produces(index) >= 0);
    setters.sort((a, b) => ops[a]!.return! - ops[b]!.return! || a - b);
    let best = -1;
    let second = -1; // called last among those with a target other than best's
    for (const index of setters) {
      if (best < 0 || this.target(index) === this.target(best)) {
        if (best < 0 || this.call(index) > this.call(best)) best = index;
      } else if (this.call(index) > this.call(best)) {
        second = best;
        best = index;
      } else if (second < 0 || this.call(index) > this.call(second)) {
        second = index;
      }
      this.returns.push(ops[index]!.return!);
      this.best.push(best);
      this.second.push(second);
    }
  }

  before(time: number, value: number): number {
    let low = 0;
    let high = this.returns.length; // count of setters that returned strictly before `time`
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.returns[mid]! < time) low = mid + 1;
      else high = mid;
    }
    if (low === 0) return -1;
    const best = this.best[low - 1]!;
    return this.target(best) !== value ? best : this.second[low - 1]!;
  }

  private target(index: number): number {
    return this.model.produces(index);
  }

  private call(index: number): number {
    return this.ops[index]!.call;
  }
}
