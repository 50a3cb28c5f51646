/**
 * Linearizability of one key's history: the Wing & Gong depth-first search with Lowe's
 * memoization, laid out as in Porcupine, plus reductions that keep it fast with info operations
 * and many readers. docs/check.md states the algorithm and why each reduction is sound.
 *
 * The ok calls before the first pending return (and the info calls up to that time) are the
 * candidates: any of them may take effect next. Taking one "lifts" its entries out of the lists;
 * a dead end "unlifts" it and the next candidate is tried. Reaching a return means that operation
 * should already have taken effect: the node is a dead end. `info` operations have no return
 * (+inf) and need not take effect at all: the search succeeds once every `ok` operation is placed.
 *
 * Before searching, refute.ts looks for an ok operation that cannot take effect anywhere.
 * Reductions, per node (set of placed operations, state):
 * 1. A legal read (ok get, ok cas that failed its comparison) is taken at once and alone: reads do
 *    not change the state, so if any completion exists, one starting with that read does.
 * 2. A node where some pending ok operation needs a state that no unplaced operation can produce
 *    is a dead end at once (and a key where one needs a state nothing can produce fails at once);
 *    see search-producers.ts.
 * 3. Info operations are tried after the ok ones (so "never took effect" is explored first, which
 *    feeds reduction 6), and never when they would not change the state.
 * 4. Of pending operations with the same effect on every state (deletes; puts of unread values),
 *    only the one that must take effect first is a candidate (an info one only if no ok one is
 *    pending): in any completion the two can trade places.
 * 5. In a key of only appends and gets, an info append whose suffix no get read is left out.
 * 6. A node is pruned if a failed node had the same placed ok operations, the same state and a
 *    subset of its placed info operations: whatever completes the larger one completes the
 *    smaller one too (an info operation may always be left out). Equal sets are always found;
 *    subsets among a few kept per key (search-memo.ts). With no info operations this is Lowe's
 *    memoization.
 */
import { assert } from '../core/assert.js';
import type { HistoryOp } from './history.js';
import { KeyModel, absentState, illegalStep } from './kv-model.js';
import { refute, type Evidence } from './refute.js';
import { buildLists, head, type EventList, type InfoList } from './search-entries.js';
import { FailedNodes } from './search-memo.js';
import { Producers } from './search-producers.js';

/**
 * Why the search failed. After the deepest prefix: the blocked operation is illegal in the state
 * reached (`illegal-in-state`), or legal there but every continuation fails (`no-continuation`).
 * Before any search: it needs a value no sequence of the key's operations produces
 * (`never-written`), or no write of it can be the latest while it runs (`stale`, see refute.ts).
 */
export type DeadEndReason = 'illegal-in-state' | 'no-continuation' | 'never-written' | 'stale';

export type SearchOutcome =
  /** `order`: the operations that took effect, in a valid linearization order (indexes into `ops`). */
  | { readonly kind: 'ok'; readonly steps: number; readonly order: readonly number[] }
  /**
   * `prefix`: the longest linearizable prefix found; `blocked`: an operation that had to take
   * effect after it but could not; `state`: the value after the prefix (null = absent).
   */
  | {
    readonly kind: 'illegal';
    readonly steps: number;
    readonly prefix: readonly number[];
    readonly blocked: number;
    readonly state: string | null;
    readonly reason: DeadEndReason;
    /** For `stale`: why each write of the needed value cannot be the one seen. */
    readonly evidence: readonly Evidence[];
  }
  /** The step budget ran out; `deepest`: the length of the longest prefix found so far. */
  | { readonly kind: 'unknown'; readonly steps: number; readonly deepest: number };

/** Searches `ops` (ok operations and info writes of one key), giving up after `budgetSteps`. */
export function searchKey(ops: readonly HistoryOp[], budgetSteps: number): SearchOutcome {
  assert(Number.isSafeInteger(budgetSteps) && budgetSteps >= 0, `bad step budget ${budgetSteps}`);
  return new KeySearch(ops).run(budgetSteps);
}

/** Where the walk is: at a fresh node, among its ok candidates, or among its info candidates. */
type Phase = 'fresh' | 'ok' | 'info';

class KeySearch {
  private readonly events: EventList;
  private readonly infos: InfoList;
  private readonly entryOf: Int32Array;
  private readonly model: KeyModel;
  /** Bit of each info operation in `infoMask`, -1 for ok operations. */
  private readonly infoBit: Int32Array;
  private readonly infoMask: Uint32Array;
  private readonly failed: FailedNodes;
  private readonly producers: Producers;
  /** `model.effectClass` of each operation, or -1 when no other operation shares it. */
  private readonly twinClass: Int32Array;

  private readonly stackOp: Int32Array;
  private readonly stackState: Int32Array;
  private readonly stackHiOk: Int32Array;
  private readonly stackForced: Uint8Array;
  private readonly stackKey: string[] = [];
  private depth = 0;
  private state = absentState;
  /** Highest call rank among the placed ok operations (-1: none). */
  private hiOk = -1;
  private okLeft = 0;
  private steps = 0;
  private phase: Phase = 'fresh';
  /** The next entry to look at: in `events` (phase ok) or `infos` (phase info). */
  private cursor = head;
  /** In phase info: the time of the first pending return; later info calls are not candidates. */
  private infoLimit = 0;

  // The deepest prefix so far, copied incrementally: `best[0, lowWater)` still equals the stack.
  private readonly best: Int32Array;
  private bestDepth = 0;
  private lowWater = 0;
  private deadEndPending = true;
  private blockedOp = -1;
  private blockedState = absentState;
  private presearchReason: DeadEndReason | undefined;
  private evidence: readonly Evidence[] = [];

  constructor(private readonly ops: readonly HistoryOp[]) {
    this.model = new KeyModel(ops);
    const leftOut = ops.map((_, index) => this.model.isUnobservableInfo(index));
    ({ events: this.events, infos: this.infos, entryOf: this.entryOf } = buildLists(ops, (index) => leftOut[index]!));
    const count = ops.length;
    this.infoBit = new Int32Array(count).fill(-1);
    let infoCount = 0;
    ops.forEach((op, index) => {
      if (op.status === 'ok') this.okLeft += 1;
      else this.infoBit[index] = infoCount++;
    });
    this.producers = new Producers(this.model, count, (index) => !leftOut[index]);
    this.twinClass = twinClasses(ops.map((_, index) => this.model.effectClass(index)));
    const infoWords = Math.ceil(infoCount / 32);
    this.infoMask = new Uint32Array(infoWords);
    this.failed = new FailedNodes(infoWords);
    this.stackOp = new Int32Array(count);
    this.stackState = new Int32Array(count);
    this.stackHiOk = new Int32Array(count);
    this.stackForced = new Uint8Array(count);
    this.best = new Int32Array(count);
  }

  run(budgetSteps: number): SearchOutcome {
    const refuted = refute(this.ops, this.model);
    if (refuted !== undefined) {
      this.blockedOp = refuted.op;
      this.presearchReason = refuted.evidence.length === 0 ? 'never-written' : 'stale';
      this.evidence = refuted.evidence;
      return this.illegal();
    }
    const impossible = this.neverProducible();
    if (impossible >= 0) {
      this.blockedOp = impossible;
      this.presearchReason = 'never-written';
      return this.illegal();
    }
    while (this.okLeft > 0) {
      if (this.steps >= budgetSteps) return { kind: 'unknown', steps: this.steps, deepest: this.bestDepth };
      this.steps += 1;
      if (!this.advance()) return this.illegal();
    }
    return { kind: 'ok', steps: this.steps, order: Array.from(this.stackOp.subarray(0, this.depth)) };
  }

  /** One step of the walk; false when the root has failed. */
  private advance(): boolean {
    const { events, infos, model } = this;
    if (this.phase === 'fresh') {
      const found = this.scanCandidates();
      if (found === 0) {
        this.phase = 'ok';
        this.cursor = events.next[head]!;
        return true;
      }
      if (found > 0 && this.push(events.entryOp[found]!, this.state, true)) return true;
      // A pending operation can never take effect, or the forced read's node already failed
      // (and this node stands or falls with it).
      this.noteDeadEnd(found < 0 ? events.entryOp[-found]! : -1);
      return this.backtrack();
    }
    if (this.phase === 'ok') {
      const e = this.cursor;
      if (events.isCall[e] === 0) {
        this.noteDeadEnd(-1);
        this.enterInfoPhase(infos.next[head]!);
        return true;
      }
      this.cursor = events.next[e]!;
      const op = events.entryOp[e]!;
      if (model.readOnly(op)) return true; // legal reads were taken when the node was fresh
      if (this.twinClass[op]! >= 0 && this.hasEarlierTwin(e)) return true;
      const after = model.step(op, this.state);
      if (after !== illegalStep) this.push(op, after, false);
      return true;
    }
    const e = this.cursor;
    if (e === infos.tail || infos.call[e]! > this.infoLimit) return this.backtrack();
    this.cursor = infos.next[e]!;
    const op = infos.entryOp[e]!;
    if (this.twinClass[op]! >= 0 && this.hasInfoTwin(e)) return true;
    const after = model.step(op, this.state);
    if (after !== this.state) this.push(op, after, false);
    return true;
  }

  private enterInfoPhase(cursor: number): void {
    const { events } = this;
    let e = events.next[head]!;
    while (events.isCall[e] === 1) e = events.next[e]!;
    assert(e !== events.tail, 'a node with ok operations left has a pending return');
    this.phase = 'info';
    this.infoLimit = events.time[e]!;
    this.cursor = cursor;
  }

  /**
   * Looks at the ok candidates of a fresh node: the first read legal in the current state (> 0),
   * else minus the entry of one that needs a state nothing left can produce (< 0), else 0.
   */
  private scanCandidates(): number {
    const { events, model } = this;
    let doomed = 0;
    for (let e = events.next[head]!; events.isCall[e] === 1; e = events.next[e]!) {
      const op = events.entryOp[e]!;
      if (model.readOnly(op) && model.step(op, this.state) !== illegalStep) return e;
      if (doomed === 0) {
        const needed = model.requires(op);
        if (needed >= 0 && !model.equals(this.state, needed) && !this.producers.canReach(needed, this.state)) doomed = e;
      }
    }
    return -doomed;
  }

  /** True if another pending ok call with the same effect as `entry`'s must return no later. */
  private hasEarlierTwin(entry: number): boolean {
    const { events } = this;
    const twin = this.twinClass[events.entryOp[entry]!]!;
    const ret = events.time[events.match[entry]!]!;
    for (let e = events.next[head]!; events.isCall[e] === 1; e = events.next[e]!) {
      if (e === entry || this.twinClass[events.entryOp[e]!] !== twin) continue;
      const other = events.time[events.match[e]!]!;
      if (other < ret || (other === ret && events.match[e]! < events.match[entry]!)) return true;
    }
    return false;
  }

  /** True if a pending ok call, or an earlier pending info call, has the same effect as info `entry`'s. */
  private hasInfoTwin(entry: number): boolean {
    const { events, infos } = this;
    const twin = this.twinClass[infos.entryOp[entry]!]!;
    for (let e = events.next[head]!; events.isCall[e] === 1; e = events.next[e]!) {
      if (this.twinClass[events.entryOp[e]!] === twin) return true;
    }
    for (let e = infos.next[head]!; e !== entry; e = infos.next[e]!) {
      if (this.twinClass[infos.entryOp[e]!] === twin) return true;
    }
    return false;
  }

  /** An ok operation needing a state that no sequence of the key's operations produces, or -1. */
  private neverProducible(): number {
    const { events, model } = this;
    for (let e = events.next[head]!; e !== events.tail; e = events.next[e]!) {
      if (events.isCall[e] === 0) continue;
      const op = events.entryOp[e]!;
      const needed = model.requires(op);
      if (needed >= 0 && needed !== absentState && !this.producers.canReach(needed, absentState)) return op;
    }
    return -1;
  }

  /** Places `op` (leading to state `after`) unless that node is pruned; true if placed. */
  private push(op: number, after: number, forced: boolean): boolean {
    const e = this.entryOf[op]!;
    const bit = this.infoBit[op]!;
    let hiOk = this.hiOk;
    if (bit < 0) {
      this.events.lift(e);
      hiOk = Math.max(hiOk, this.events.callRank[e]!);
    } else {
      this.infos.lift(e);
      this.infoMask[bit >>> 5]! |= 1 << (bit & 31);
    }
    const key = this.nodeKey(hiOk, after);
    if (this.failed.covers(key, this.infoMask)) {
      this.unplace(op);
      return false;
    }
    const depth = this.depth;
    this.stackOp[depth] = op;
    this.stackState[depth] = this.state;
    this.stackHiOk[depth] = this.hiOk;
    this.stackForced[depth] = forced ? 1 : 0;
    this.stackKey[depth] = key;
    this.depth = depth + 1;
    this.state = after;
    this.hiOk = hiOk;
    if (bit < 0) this.okLeft -= 1;
    this.producers.count(op, -1);
    this.phase = 'fresh';
    if (this.depth > this.bestDepth) {
      this.best.set(this.stackOp.subarray(this.lowWater, this.depth), this.lowWater);
      this.bestDepth = this.depth;
      this.lowWater = this.depth;
      this.deadEndPending = true;
    }
    return true;
  }

  /** Puts `op`'s entries back and clears its info bit. */
  private unplace(op: number): void {
    const bit = this.infoBit[op]!;
    if (bit < 0) {
      this.events.unlift(this.entryOf[op]!);
    } else {
      this.infos.unlift(this.entryOf[op]!);
      this.infoMask[bit >>> 5]! &= ~(1 << (bit & 31));
    }
  }

  /**
   * Undoes the last choice, recording the node it led to as failed, and resumes after it; a
   * forced choice makes its parent fail too. False when the root has failed.
   */
  private backtrack(): boolean {
    for (;;) {
      if (this.depth === 0) return false;
      const depth = this.depth - 1;
      this.failed.add(this.stackKey[depth]!, this.infoMask); // the mask is still the failed node's
      this.depth = depth;
      if (depth < this.lowWater) this.lowWater = depth;
      const op = this.stackOp[depth]!;
      this.state = this.stackState[depth]!;
      this.hiOk = this.stackHiOk[depth]!;
      this.producers.count(op, 1);
      this.unplace(op);
      const isOk = this.infoBit[op]! < 0;
      if (isOk) this.okLeft += 1;
      if (this.stackForced[depth] === 1) continue;
      const e = this.entryOf[op]!;
      if (isOk) {
        this.phase = 'ok';
        this.cursor = this.events.next[e]!;
      } else {
        this.enterInfoPhase(this.infos.next[e]!);
      }
      return true;
    }
  }

  /**
   * The placed ok operations and the state, in a few bytes: every ok call of rank <= hiOk is
   * placed except the calls still in the event list before the first return or call of rank >
   * hiOk (invariant: before hiOk's position the list holds only calls of unplaced operations).
   */
  private nodeKey(hiOk: number, state: number): string {
    const { next, isCall, callRank } = this.events;
    let key = `${hiOk}:${state}`;
    for (let e = next[head]!; isCall[e] === 1 && callRank[e]! < hiOk; e = next[e]!) key += `,${callRank[e]!}`;
    return key;
  }

  /**
   * At the first dead end of the deepest node, remembers what stopped it for the witness: `op`,
   * or (if -1) the operation of the first pending return.
   */
  private noteDeadEnd(op: number): void {
    if (!this.deadEndPending || this.depth !== this.bestDepth) return;
    const { events } = this;
    let blocked = op;
    if (blocked < 0) {
      let e = events.next[head]!;
      while (events.isCall[e] === 1) e = events.next[e]!;
      assert(e !== events.tail, 'a dead end has a pending return');
      blocked = events.entryOp[e]!;
    }
    this.deadEndPending = false;
    this.blockedOp = blocked;
    this.blockedState = this.state;
  }

  private illegal(): SearchOutcome {
    assert(this.blockedOp >= 0, 'the deepest node met a dead end');
    const prefix = Array.from(this.best.subarray(0, this.bestDepth));
    const reason: DeadEndReason = this.presearchReason
      ?? (this.model.step(this.blockedOp, this.blockedState) === illegalStep ? 'illegal-in-state' : 'no-continuation');
    return { kind: 'illegal', steps: this.steps, prefix, blocked: this.blockedOp, state: this.model.replay(prefix), reason, evidence: this.evidence };
  }
}

/** Keeps each effect class that at least two operations share; -1 for the rest. */
function twinClasses(classes: readonly number[]): Int32Array {
  const counts = new Map<number, number>();
  for (const c of classes) if (c >= 0) counts.set(c, (counts.get(c) ?? 0) + 1);
  return Int32Array.from(classes, (c) => (c >= 0 && counts.get(c)! > 1 ? c : -1));
}
