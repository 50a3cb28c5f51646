/**
 * The search's event lists (Porcupine's "entries"), in typed arrays. Entry 0 of each list is the
 * head sentinel and its last entry the tail sentinel.
 *
 * - `events`: the call and return of every ok operation, sorted by time; at equal times calls come
 *   before returns (closed intervals: touching operations are concurrent), then by operation index.
 * - `infos`: the call of every info operation, sorted the same way. Info operations have no return
 *   (+inf); keeping them apart lets the search walk its ok candidates without stepping over info
 *   operations that stay pending to the end because they never took effect.
 */
import { assert } from '../core/assert.js';
import type { HistoryOp } from './history.js';

export const head = 0;

/** A doubly linked list over entries 0..size-1 that entries leave and re-enter in LIFO order. */
class Links {
  readonly next: Int32Array;
  readonly prev: Int32Array;
  readonly tail: number;

  constructor(size: number) {
    this.next = new Int32Array(size);
    this.prev = new Int32Array(size);
    this.tail = size - 1;
    for (let e = 0; e < size; e++) {
      this.next[e] = e === this.tail ? this.tail : e + 1;
      this.prev[e] = e === 0 ? 0 : e - 1;
    }
  }

  protected remove(e: number): void {
    this.next[this.prev[e]!] = this.next[e]!;
    this.prev[this.next[e]!] = this.prev[e]!;
  }

  protected restore(e: number): void {
    this.next[this.prev[e]!] = e;
    this.prev[this.next[e]!] = e;
  }
}

export class EventList extends Links {
  /** The operation (index into ops) of each entry. */
  readonly entryOp: Int32Array;
  /** 1 for call entries; 0 for return entries and the sentinels. */
  readonly isCall: Uint8Array;
  /** The event's time. */
  readonly time: Float64Array;
  /** For call entries: the rank of the call among the calls, in time order (0, 1, ...). */
  readonly callRank: Int32Array;
  /** For call entries: the matching return entry. */
  readonly match: Int32Array;

  constructor(size: number) {
    super(size);
    this.entryOp = new Int32Array(size);
    this.isCall = new Uint8Array(size);
    this.time = new Float64Array(size);
    this.callRank = new Int32Array(size);
    this.match = new Int32Array(size);
  }

  /** Takes a call entry and its return entry out of the list. */
  lift(e: number): void {
    this.remove(e);
    this.remove(this.match[e]!);
  }

  /** Puts back what the matching `lift` took out (lifts are undone in reverse order). */
  unlift(e: number): void {
    this.restore(this.match[e]!);
    this.restore(e);
  }
}

export class InfoList extends Links {
  readonly entryOp: Int32Array;
  readonly call: Float64Array;

  constructor(size: number) {
    super(size);
    this.entryOp = new Int32Array(size);
    this.call = new Float64Array(size);
  }

  lift(e: number): void {
    this.remove(e);
  }

  unlift(e: number): void {
    this.restore(e);
  }
}

export interface SearchLists {
  readonly events: EventList;
  readonly infos: InfoList;
  /** Each operation's call entry: in `events` for ok operations, in `infos` for info ones (0 if left out). */
  readonly entryOf: Int32Array;
}

/** `leftOut(index)`: an info operation the search may skip (it never needs to take effect). */
export function buildLists(ops: readonly HistoryOp[], leftOut: (index: number) => boolean): SearchLists {
  const okEvents: number[] = []; // op * 2 for its call, op * 2 + 1 for its return
  const infoOps: number[] = [];
  ops.forEach((op, index) => {
    if (op.status === 'ok') {
      assert(op.return !== null, `ok operation ${index} has a return time`);
      assert(op.return >= op.call, `ok operation ${index} returns before its call`);
      okEvents.push(index * 2, index * 2 + 1);
    } else {
      assert(op.status === 'info', `only ok and info operations are searched, got ${op.status}`);
      if (!leftOut(index)) infoOps.push(index);
    }
  });
  const time = (event: number): number => {
    const op = ops[event >> 1]!;
    return (event & 1) === 0 ? op.call : op.return!;
  };
  okEvents.sort((a, b) => time(a) - time(b) || (a & 1) - (b & 1) || a - b);
  infoOps.sort((a, b) => ops[a]!.call - ops[b]!.call || a - b);

  const entryOf = new Int32Array(ops.length);
  const events = new EventList(okEvents.length + 2);
  let rank = 0;
  okEvents.forEach((event, position) => {
    const e = position + 1;
    const op = event >> 1;
    events.entryOp[e] = op;
    events.time[e] = time(event);
    if ((event & 1) === 0) {
      events.isCall[e] = 1;
      events.callRank[e] = rank;
      rank += 1;
      entryOf[op] = e;
    } else {
      events.match[entryOf[op]!] = e; // its call sorted earlier: return >= call, calls first on ties
    }
  });
  const infos = new InfoList(infoOps.length + 2);
  infoOps.forEach((op, position) => {
    const e = position + 1;
    infos.entryOp[e] = op;
    infos.call[e] = ops[op]!.call;
    entryOf[op] = e;
  });
  return { events, infos, entryOf };
}
