/**
 * What the unplaced operations of a key can still produce (reduction 2 in search.ts): a pending
 * operation that needs a value nothing left can produce dooms the node at once.
 */
import type { KeyModel } from './kv-model.js';

export class Producers {
  /** Unplaced operations that set each fixed state (put, delete, cas). */
  private readonly setters: Int32Array;
  private appends = 0;
  /** Unplaced appends by the suffix they add, and the lengths those suffixes come in. */
  private readonly appendsBySuffix = new Map<string, number>();
  private readonly suffixLengths: readonly number[];

  /** Counts every operation of the key whose index passes `counted` as unplaced. */
  constructor(private readonly model: KeyModel, opCount: number, counted: (index: number) => boolean) {
    this.setters = new Int32Array(model.fixedStateCount);
    const lengths = new Set<number>();
    for (let index = 0; index < opCount; index++) {
      const suffix = model.appendedSuffix(index);
      if (suffix !== undefined) lengths.add(suffix.length);
      if (counted(index)) this.count(index, 1);
    }
    this.suffixLengths = [...lengths];
  }

  /** `delta` -1 when `op` is placed, +1 when that is undone. */
  count(op: number, delta: number): void {
    const produced = this.model.produces(op);
    if (produced >= 0) {
      this.setters[produced]! += delta;
      return;
    }
    const suffix = this.model.appendedSuffix(op);
    if (suffix === undefined) return;
    this.appends += delta;
    this.appendsBySuffix.set(suffix, (this.appendsBySuffix.get(suffix) ?? 0) + delta);
  }

  /**
   * False only if no sequence of the unplaced operations leads from `state` to the fixed state
   * `needed`: an unplaced operation sets it, or unplaced appends build it on `state` or on a value
   * an unplaced operation sets (checked as far as the first append: one must fit right there).
   */
  canReach(needed: number, state: number): boolean {
    if (this.setters[needed]! > 0) return true;
    if (this.appends === 0) return false;
    const model = this.model;
    if (model.extends(needed, state) && this.appendFits(needed, model.lengthOf(state))) return true;
    for (const base of model.settableBases(needed)) {
      if (this.setters[base]! > 0 && this.appendFits(needed, model.lengthOf(base))) return true;
    }
    return false;
  }

  /** True if some unplaced append's suffix occurs in the value of `needed` at `at`. */
  private appendFits(needed: number, at: number): boolean {
    const text = this.model.text(needed);
    for (const length of this.suffixLengths) {
      if ((this.appendsBySuffix.get(text.slice(at, at + length)) ?? 0) > 0) return true;
    }
    return false;
  }
}
