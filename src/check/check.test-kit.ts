/**
 * Test helpers for the checker: a simulated register with concurrent clients that emits
 * linearizable histories by construction, a brute-force reference checker for tiny histories,
 * and an independent validator of the linearizations the checker returns.
 */
import { assert } from '../core/assert.js';
import { seededRandom } from '../core/prng.js';
import type { HistoryOp, OpName } from './history.js';

/** Applies one operation to a state per history-format.md; undefined = illegal. Written apart from kv-model.ts on purpose. */
export function specStep(op: HistoryOp, state: string | null): { readonly state: string | null } | undefined {
  switch (op.op) {
    case 'get':
      return op.output === state ? { state } : undefined;
    case 'put':
      return { state: op.value };
    case 'append':
      return { state: (state ?? '') + op.value };
    case 'delete':
      return { state: null };
    case 'cas': {
      const matches = state === op.expected;
      if (op.status === 'info') return { state: matches ? op.value : state };
      if (op.output === true) return matches ? { state: op.value } : undefined;
      return matches ? undefined : { state };
    }
  }
}

function mustTakeEffect(op: HistoryOp): boolean {
  return op.status === 'ok';
}

function searched(op: HistoryOp): boolean {
  return op.status === 'ok' || (op.status === 'info' && op.op !== 'get');
}

/** Exhaustive search over orders (no memo): the reference for histories of a few operations. */
export function bruteForceLinearizable(ops: readonly HistoryOp[]): boolean {
  const keys = new Set(ops.map((op) => op.key));
  return [...keys].every((key) => bruteForceKey(ops.filter((op) => op.key === key && searched(op))));
}

function bruteForceKey(ops: readonly HistoryOp[]): boolean {
  return searchOrders(ops, () => true);
}

/**
 * Depth-first search over every order real time allows, shared by both reference checkers;
 * `enter(placed, state)` may prune a node (the memoized reference) or admit all (brute force).
 */
function searchOrders(ops: readonly HistoryOp[], enter: (placed: readonly boolean[], state: string | null) => boolean): boolean {
  const placed = new Array<boolean>(ops.length).fill(false);
  const end = (op: HistoryOp): number => (op.status === 'info' ? Infinity : op.return!);
  const search = (state: string | null): boolean => {
    if (ops.every((op, i) => placed[i] || !mustTakeEffect(op))) return true;
    if (!enter(placed, state)) return false;
    for (let i = 0; i < ops.length; i++) {
      if (placed[i]) continue;
      const op = ops[i]!;
      // op may go next unless some other unplaced operation returned strictly before op's call.
      if (ops.some((other, j) => !placed[j] && j !== i && end(other) < op.call)) continue;
      const next = specStep(op, state);
      if (next === undefined) continue;
      placed[i] = true;
      if (search(next.state)) return true;
      placed[i] = false;
    }
    return false;
  };
  return search(null);
}

/**
 * Throws unless `order` (indexes into `ops`) is a linearization of `key`'s sub-history: every ok
 * operation exactly once, info writes at most once, nothing else, real-time order respected and
 * every step legal. With `complete` false, a linearizable prefix is enough.
 */
export function validateLinearization(ops: readonly HistoryOp[], key: string, order: readonly number[], complete = true): void {
  const seen = new Set<number>();
  // Real time: nothing placed after an operation may have returned before that operation's call.
  const laterReturnMin = new Array<number>(order.length + 1).fill(Infinity);
  for (let position = order.length - 1; position >= 0; position--) {
    const op = ops[order[position]!]!;
    laterReturnMin[position] = Math.min(laterReturnMin[position + 1]!, op.status === 'info' ? Infinity : op.return!);
  }
  let state: string | null = null;
  order.forEach((index, position) => {
    const op = ops[index]!;
    assert(op.key === key, `op ${index} belongs to key ${op.key}`);
    assert(searched(op), `op ${index} (${op.status} ${op.op}) should have been dropped`);
    assert(!seen.has(index), `op ${index} placed twice`);
    seen.add(index);
    assert(laterReturnMin[position + 1]! >= op.call, `an op placed after op ${index} returned before op ${index} was called`);
    const next = specStep(op, state);
    assert(next !== undefined, `op ${index} is illegal in state ${JSON.stringify(state)}`);
    state = next.state;
  });
  if (!complete) return;
  ops.forEach((op, index) => {
    if (op.key === key && mustTakeEffect(op)) assert(seen.has(index), `ok op ${index} is missing from the linearization`);
  });
}

export interface RegisterSimOptions {
  readonly seed: number;
  /** Concurrent client threads (each gets a fresh client id after an info outcome). */
  readonly clients: number;
  readonly ops: number;
  readonly key?: string;
  /** Probability that a write ends `info` (half of those take effect, half never do). */
  readonly infoRate?: number;
  /** Probability that an operation ends `fail` (never takes effect). */
  readonly failRate?: number;
  /** Relative weights of get, put, cas, delete, append. */
  readonly mix?: Readonly<Record<OpName, number>>;
  /** Upper bound of the delay call -> effect and effect -> return, in ns. */
  readonly latencyMax?: number;
}

interface Planned {
  readonly thread: number;
  readonly name: OpName;
  readonly call: number;
  readonly effect: number;
  readonly ret: number;
  readonly status: 'ok' | 'fail' | 'info';
  readonly takesEffect: boolean;
}

/**
 * A real sequential register driven by concurrent client threads: each operation takes effect at
 * one instant inside its [call, return] interval, in that instant's order, so the emitted history
 * is linearizable by construction. Values are unique per write.
 */
export function simulateRegister(options: RegisterSimOptions): HistoryOp[] {
  const random = seededRandom(options.seed);
  const mix = options.mix ?? { get: 4, put: 3, cas: 2, delete: 1, append: 0 };
  const latencyMax = options.latencyMax ?? 50;
  const names = Object.keys(mix) as OpName[];
  const totalWeight = names.reduce((sum, name) => sum + mix[name], 0);
  const pickName = (): OpName => {
    let roll = random.next() * totalWeight;
    for (const name of names) {
      roll -= mix[name];
      if (roll < 0) return name;
    }
    return names[names.length - 1]!;
  };

  const freeAt = new Array<number>(options.clients).fill(0);
  const planned: Planned[] = [];
  for (let n = 0; n < options.ops; n++) {
    let thread = 0;
    for (let t = 1; t < options.clients; t++) if (freeAt[t]! < freeAt[thread]!) thread = t;
    const call = freeAt[thread]! + random.int(10);
    const effect = call + random.int(latencyMax + 1);
    const ret = effect + random.int(latencyMax + 1);
    const name = pickName();
    const roll = random.next();
    const status = roll < (options.failRate ?? 0) ? 'fail' : roll < (options.failRate ?? 0) + (options.infoRate ?? 0) ? 'info' : 'ok';
    const takesEffect = status === 'ok' || (status === 'info' && random.next() < 0.5);
    planned.push({ thread, name, call, effect, ret, status, takesEffect });
    freeAt[thread] = ret + 1;
  }

  // Run the register in effect order, choosing operands and recording outputs.
  const key = options.key ?? 'k';
  const byEffect = planned.map((_, i) => i).sort((a, b) => planned[a]!.effect - planned[b]!.effect || a - b);
  const written: string[] = [];
  const result = new Array<HistoryOp>(planned.length);
  let state: string | null = null;
  for (const index of byEffect) {
    const p = planned[index]!;
    const value = `w${index}`;
    const base = { client: 0, key, call: p.call, return: p.status === 'info' ? null : p.ret, status: p.status };
    let op: HistoryOp;
    switch (p.name) {
      case 'get':
        op = p.status === 'ok' ? { ...base, op: 'get', output: state } : { ...base, op: 'get' };
        break;
      case 'put':
        op = { ...base, op: 'put', value };
        break;
      case 'append':
        op = { ...base, op: 'append', value: `${value};` };
        break;
      case 'delete':
        op = { ...base, op: 'delete' };
        break;
      case 'cas': {
        const expected = random.next() < 0.6 ? state : random.next() < 0.3 ? null : (written[random.int(written.length + 1)] ?? 'never');
        const swapped = state === expected;
        op = p.status === 'ok' ? { ...base, op: 'cas', expected, value, output: swapped } : { ...base, op: 'cas', expected, value };
        break;
      }
    }
    if (p.takesEffect && op.status !== 'info' || (op.status === 'info' && p.takesEffect && op.op !== 'get')) {
      const next = specStep(op, state);
      assert(next !== undefined, 'the simulated register only records legal outputs');
      state = next.state;
      if (p.name === 'put' || p.name === 'cas') written.push(value);
    }
    result[index] = op;
  }
  return assignClients(result, planned);
}

/** Client ids per thread in call order; a thread takes a fresh id after an info outcome. */
function assignClients(ops: HistoryOp[], planned: readonly Planned[]): HistoryOp[] {
  const threadClient = new Map<number, number>();
  let nextClient = planned.reduce((max, p) => Math.max(max, p.thread + 1), 0);
  return ops.map((op, index) => {
    const thread = planned[index]!.thread;
    const client = threadClient.get(thread) ?? thread;
    threadClient.set(thread, op.status === 'info' ? nextClient++ : client);
    return { ...op, client };
  });
}

/**
 * Lowe's memoized search in its plainest form (placed set as a string, state as JSON, no other
 * reductions): exact, and fast enough for a few dozen operations with little concurrency.
 * Undefined when a key needs more than `nodesMax` memoized nodes.
 */
export function referenceLinearizable(ops: readonly HistoryOp[], nodesMax = 200_000): boolean | undefined {
  const keys = new Set(ops.map((op) => op.key));
  let verdict: boolean | undefined = true;
  for (const key of keys) {
    const result = referenceKey(ops.filter((op) => op.key === key && searched(op)), nodesMax);
    if (result === false) return false;
    if (result === undefined) verdict = undefined;
  }
  return verdict;
}

function referenceKey(ops: readonly HistoryOp[], nodesMax: number): boolean | undefined {
  const seen = new Set<string>();
  try {
    return searchOrders(ops, (placed, state) => {
      const memo = `${placed.map((p) => (p ? 1 : 0)).join('')}|${JSON.stringify(state)}`;
      if (seen.has(memo)) return false;
      if (seen.size >= nodesMax) throw new BudgetExceeded();
      seen.add(memo);
      return true;
    });
  } catch (error) {
    if (error instanceof BudgetExceeded) return undefined;
    throw error;
  }
}

class BudgetExceeded extends Error {}
