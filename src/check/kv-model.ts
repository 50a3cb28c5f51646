/**
 * The sequential specification of one key (history-format.md), compiled for the search. States
 * (absent | string) are small integers, so a step is integer work even when append chains make
 * values long:
 * - fixed states (ids below `fixedStateCount`): absent and every value an operation names,
 *   interned by content;
 * - derived states: the result of an append, kept as (parent state, appended operation) and never
 *   built as a string. Comparing one with a fixed state checks only the appended piece against
 *   the fixed value, memoized along the chain.
 *
 * Every value that no operation can observe is one state, `unreadState`: without appends, a value
 * no get reads and no cas compares with; with appends, a value that is no prefix of such a value
 * (nor, then, is anything appended to it). Such values behave identically for every operation: a
 * get or a successful cas is illegal, a failed cas legal, an info cas does not swap, an append
 * keeps the value unobservable, a put or delete replaces it. Merging them lets the search's memo
 * see that two orders of unread writes meet, and that junk appended by info operations is junk.
 */
import { assert, assertNever } from '../core/assert.js';
import type { HistoryOp } from './history.js';

/** The state id of "the key does not exist". */
export const absentState = 0;
/** The state id shared by all values no operation can observe. */
export const unreadState = 1;
/** What `step` returns when the operation cannot take effect in the given state. */
export const illegalStep = -1;
/** Appends walked back before comparing a value in full (see `isPrefixOf`). */
const prefixWalkMax = 16;

type Transition =
  /** ok get: legal iff the state is the value read. */
  | { readonly kind: 'read'; readonly state: number }
  /** put (to the value) and delete (to absent). */
  | { readonly kind: 'set'; readonly state: number }
  /** append: old + suffix, absent counting as "". */
  | { readonly kind: 'append'; readonly suffix: string }
  /** ok cas with output true: legal iff the state is `expected`, then sets. */
  | { readonly kind: 'swap'; readonly expected: number; readonly state: number }
  /** ok cas with output false: legal iff the state is not `expected`. */
  | { readonly kind: 'noSwap'; readonly expected: number }
  /** info cas: always legal; swaps iff the state is `expected` at the point it takes effect. */
  | { readonly kind: 'maybeSwap'; readonly expected: number; readonly state: number };

export class KeyModel {
  private readonly ids = new Map<string, number>();
  private readonly values: (string | null)[] = [null, null];
  /** Values some operation observes: ok get outputs, cas expected values. */
  private readonly observed: ReadonlySet<string | null>;
  private readonly hasAppends: boolean;
  /** With appends: the observed strings, sorted, so the ones with a given prefix are a range. */
  private readonly observedSorted: readonly string[];
  private readonly observedIndex = new Map<string, number>();
  /** With appends: for each state, an observed value it is a prefix of (index into observedSorted; -1 for absent). */
  private readonly fixedWitness: number[] = [-1, -1];
  private readonly derivedWitness: number[] = [];
  private readonly transitions: readonly Transition[];
  /** Fixed states: absent, `unreadState` and every value an operation names. */
  readonly fixedStateCount: number;
  /** Derived state `fixedStateCount + i` is the value of `derivedParent[i]` followed by `derivedSuffix[i]`. */
  private readonly derivedParent: number[] = [];
  private readonly derivedSuffix: string[] = [];
  private readonly derivedLength: number[] = [];
  /** Derived states by `parent * opCount + opIndex`, so one chain is one id. */
  private readonly appended = new Map<number, number>();
  /** By `state * fixedStateCount + fixed`: whether the state's value is a prefix of the fixed one's. */
  private readonly prefixMemo = new Map<number, boolean>();
  /** For `settableBases`, computed on first use. */
  private settable: readonly number[] | undefined;
  private readonly basesMemo = new Map<number, readonly number[]>();
  /** For `isUnobservableInfo`, computed on first use. */
  private maximalReads: readonly string[] | 'not-append-only' | undefined;

  /** `ops` are the operations the search places: ok ops and info writes (never fail ops or info gets). */
  constructor(private readonly ops: readonly HistoryOp[]) {
    this.observed = observedValues(ops);
    this.hasAppends = ops.some((op) => op.op === 'append');
    this.observedSorted = this.hasAppends ? [...this.observed].filter((v): v is string => v !== null).sort() : [];
    this.observedSorted.forEach((value, index) => this.observedIndex.set(value, index));
    this.transitions = ops.map((op) => this.compile(op));
    this.fixedStateCount = this.values.length;
  }

  /** The state after `opIndex` takes effect in `state`, or `illegalStep`. */
  step(opIndex: number, state: number): number {
    const transition = this.transitions[opIndex]!;
    switch (transition.kind) {
      case 'read':
        return this.equals(state, transition.state) ? state : illegalStep;
      case 'set':
        return transition.state;
      case 'append':
        return this.append(opIndex, state, transition.suffix);
      case 'swap':
        return this.equals(state, transition.expected) ? transition.state : illegalStep;
      case 'noSwap':
        return this.equals(state, transition.expected) ? illegalStep : state;
      case 'maybeSwap':
        return this.equals(state, transition.expected) ? transition.state : state;
      default:
        return assertNever(transition);
    }
  }

  /** True for operations that never change the state (ok gets, ok cas with output false). */
  readOnly(opIndex: number): boolean {
    const kind = this.transitions[opIndex]!.kind;
    return kind === 'read' || kind === 'noSwap';
  }

  /** The state an operation needs to take effect (ok get, ok cas true), or -1. */
  requires(opIndex: number): number {
    const transition = this.transitions[opIndex]!;
    if (transition.kind === 'read') return transition.state;
    return transition.kind === 'swap' ? transition.expected : -1;
  }

  /** The state an operation may set whatever the state before (put, delete, cas), or -1 (append, reads). */
  produces(opIndex: number): number {
    const transition = this.transitions[opIndex]!;
    return transition.kind === 'set' || transition.kind === 'swap' || transition.kind === 'maybeSwap' ? transition.state : -1;
  }

  /**
   * Operations with the same class >= 0 have the same effect on every state (puts of one value
   * or of unread values, deletes): the state they set. -1 for all others.
   */
  effectClass(opIndex: number): number {
    const transition = this.transitions[opIndex]!;
    return transition.kind === 'set' ? transition.state : -1;
  }

  /**
   * True for an info append that can be left out: in a key of only appends and gets every state
   * after it contains its suffix, so if no get read that suffix, nothing read can follow it and
   * it may as well never take effect.
   */
  isUnobservableInfo(opIndex: number): boolean {
    const op = this.ops[opIndex]!;
    if (op.status !== 'info' || op.op !== 'append') return false;
    this.maximalReads ??= maximalReads(this.ops);
    if (this.maximalReads === 'not-append-only') return false;
    return !this.maximalReads.some((output) => output.includes(op.value));
  }

  /** The suffix an append adds, or undefined for other operations. */
  appendedSuffix(opIndex: number): string | undefined {
    const transition = this.transitions[opIndex]!;
    return transition.kind === 'append' ? transition.suffix : undefined;
  }

  /** The length of a state's value (absent: 0). */
  lengthOf(state: number): number {
    const fixedCount = this.fixedStateCount;
    return state < fixedCount ? (this.values[state] ?? '').length : this.derivedLength[state - fixedCount]!;
  }

  /** The value of a fixed state, absent as "" (for prefix tests). */
  text(fixed: number): string {
    assert(fixed < this.fixedStateCount, 'text() takes a fixed state');
    return this.values[fixed] ?? '';
  }

  /**
   * The states some operation sets (put, delete, cas) whose value is a proper prefix of the value
   * of `fixed` (absent counting as ""): where appends could start building it after a reset.
   */
  settableBases(fixed: number): readonly number[] {
    let bases = this.basesMemo.get(fixed);
    if (bases === undefined) {
      const target = this.values[fixed] ?? null;
      this.settable ??= [...new Set(this.ops.map((_, index) => this.produces(index)).filter((state) => state >= 0))];
      bases = target === null ? [] : this.settable.filter((state) => {
        if (state === unreadState) return false;
        const base = this.values[state] ?? '';
        return base.length < target.length && target.startsWith(base);
      });
      this.basesMemo.set(fixed, bases);
    }
    return bases;
  }

  /** True if the value of `fixed` (a fixed state) properly extends that of `state` (absent counting as ""). */
  extends(fixed: number, state: number): boolean {
    const text = this.values[fixed] ?? null;
    return text !== null && this.lengthOf(state) < text.length && this.isPrefixOf(state, fixed);
  }

  /** Whether `state` has the value of the fixed state `fixed` (ids differ when an append built it). */
  equals(state: number, fixed: number): boolean {
    if (state < this.fixedStateCount) return state === fixed;
    const text = this.values[fixed] ?? null;
    return text !== null && this.lengthOf(state) === text.length && this.isPrefixOf(state, fixed);
  }

  /** Whether the value of `state` is a prefix of the (string) value of the fixed state `fixed`. */
  private isPrefixOf(state: number, fixed: number): boolean {
    if (state === unreadState) return false;
    const text = this.values[fixed] ?? '';
    const fixedCount = this.fixedStateCount;
    // Walk up the chain a little to a fixed state or a memoized answer; failing that, compare the
    // whole value once. Then come back down checking only each appended piece.
    const chain: number[] = [];
    let s = state;
    let known: boolean | undefined;
    while (chain.length < prefixWalkMax) {
      if (s < fixedCount) {
        known = text.startsWith(this.values[s] ?? '');
        break;
      }
      known = this.prefixMemo.get(s * fixedCount + fixed);
      if (known !== undefined) break;
      chain.push(s);
      s = this.derivedParent[s - fixedCount]!;
    }
    if (known === undefined) {
      known = this.lengthOf(s) <= text.length && text.startsWith(this.content(s));
      this.prefixMemo.set(s * fixedCount + fixed, known);
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const derived = chain[i]! - fixedCount;
      const at = this.lengthOf(this.derivedParent[derived]!);
      known = known && this.derivedLength[derived]! <= text.length && text.startsWith(this.derivedSuffix[derived]!, at);
      this.prefixMemo.set(chain[i]! * fixedCount + fixed, known);
    }
    return known;
  }

  /** The value of a derived state, built by walking its chain (O(chain length)). */
  private content(state: number): string {
    const fixedCount = this.fixedStateCount;
    const parts: string[] = [];
    let s = state;
    while (s >= fixedCount) {
      parts.push(this.derivedSuffix[s - fixedCount]!);
      s = this.derivedParent[s - fixedCount]!;
    }
    parts.push(this.values[s] ?? '');
    return parts.reverse().join('');
  }

  /** The real value after the operations of `order` take effect one after the other from absent. */
  replay(order: readonly number[]): string | null {
    let value: string | null = null;
    for (const index of order) {
      const op = this.ops[index]!;
      switch (op.op) {
        case 'get':
          break;
        case 'put':
          value = op.value;
          break;
        case 'append':
          value = (value ?? '') + op.value;
          break;
        case 'delete':
          value = null;
          break;
        case 'cas':
          if (value === op.expected) value = op.value;
          break;
        default:
          assertNever(op);
      }
    }
    return value;
  }

  private append(opIndex: number, state: number, suffix: string): number {
    if (state === unreadState) return unreadState;
    const memoKey = state * this.transitions.length + opIndex;
    const known = this.appended.get(memoKey);
    if (known !== undefined) return known;
    const witness = this.witnessAfter(state, suffix);
    let id = unreadState;
    if (witness !== undefined) {
      id = this.fixedStateCount + this.derivedParent.length;
      this.derivedParent.push(state);
      this.derivedSuffix.push(suffix);
      this.derivedLength.push(this.lengthOf(state) + suffix.length);
      this.derivedWitness.push(witness);
    }
    this.appended.set(memoKey, id);
    return id;
  }

  /** An observed value that the value of `state` + `suffix` is a prefix of, or undefined if none. */
  private witnessAfter(state: number, suffix: string): number | undefined {
    const fixedCount = this.fixedStateCount;
    const witness = state < fixedCount ? this.fixedWitness[state]! : this.derivedWitness[state - fixedCount]!;
    if (witness >= 0 && this.observedSorted[witness]!.startsWith(suffix, this.lengthOf(state))) return witness;
    return this.observedWithPrefix((state < fixedCount ? this.values[state] ?? '' : this.content(state)) + suffix);
  }

  /**
   * The index of an observed value starting with `prefix`, or undefined: the last such in sorted
   * order, which among values extending one another is the longest, so it stays a witness longest.
   */
  private observedWithPrefix(prefix: string): number | undefined {
    const sorted = this.observedSorted;
    // The values starting with `prefix` are a range from the first one not below it.
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (sorted[mid]! < prefix) low = mid + 1;
      else high = mid;
    }
    if (low === sorted.length || !sorted[low]!.startsWith(prefix)) return undefined;
    high = sorted.length;
    while (low + 1 < high) {
      const mid = (low + high) >>> 1;
      if (sorted[mid]!.startsWith(prefix)) low = mid;
      else high = mid;
    }
    return low;
  }

  private intern(value: string | null): number {
    if (value === null) return absentState;
    // An observed value is its own witness (a longer one is found if it ever stops being one).
    const witness = !this.hasAppends ? (this.observed.has(value) ? -1 : undefined) : this.observedIndex.get(value) ?? this.observedWithPrefix(value);
    if (witness === undefined) return unreadState;
    const known = this.ids.get(value);
    if (known !== undefined) return known;
    const id = this.values.length;
    this.values.push(value);
    this.ids.set(value, id);
    this.fixedWitness.push(witness);
    return id;
  }

  private compile(op: HistoryOp): Transition {
    assert(op.status !== 'fail', 'fail operations are dropped before the search');
    switch (op.op) {
      case 'get':
        assert(op.status === 'ok', 'info gets are dropped before the search');
        assert(op.output !== undefined, 'an ok get has an output');
        return { kind: 'read', state: this.intern(op.output) };
      case 'put':
        return { kind: 'set', state: this.intern(op.value) };
      case 'delete':
        return { kind: 'set', state: absentState };
      case 'append':
        return { kind: 'append', suffix: op.value };
      case 'cas': {
        const expected = this.intern(op.expected);
        if (op.status === 'info') return { kind: 'maybeSwap', expected, state: this.intern(op.value) };
        assert(op.output !== undefined, 'an ok cas has an output');
        return op.output ? { kind: 'swap', expected, state: this.intern(op.value) } : { kind: 'noSwap', expected };
      }
      default:
        return assertNever(op);
    }
  }
}

/** What gets read and what cas compares with: the only values that can make a difference. */
function observedValues(ops: readonly HistoryOp[]): Set<string | null> {
  const observed = new Set<string | null>();
  for (const op of ops) {
    if (op.op === 'get' && op.output !== undefined) observed.add(op.output);
    if (op.op === 'cas') observed.add(op.expected);
  }
  return observed;
}

/**
 * In a key of only appends and gets: the values read that are no prefix of another value read
 * (a substring of a prefix is a substring of the longer one). Otherwise 'not-append-only'.
 */
function maximalReads(ops: readonly HistoryOp[]): readonly string[] | 'not-append-only' {
  if (!ops.every((op) => op.op === 'append' || op.op === 'get')) return 'not-append-only';
  const outputs = [...new Set(ops.map((op) => (op.op === 'get' ? op.output ?? null : null)))]
    .filter((output): output is string => output !== null)
    .sort((a, b) => b.length - a.length);
  const maximal: string[] = [];
  for (const output of outputs) if (!maximal.some((longer) => longer.startsWith(output))) maximal.push(output);
  return maximal;
}
