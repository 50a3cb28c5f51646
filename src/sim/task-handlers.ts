/**
 * The simulated workers' task handlers: deterministic functions of the input, each in two halves
 * with a checkpoint between them (the `half` step), so a re-run resumes from the checkpoint, and
 * the expected output of each (the exactly-once checker's oracle). A wrong resume (another task's
 * or an older step) would give a wrong output, which the oracle catches.
 */
import type { JsonValue } from '../tasks/index.js';

/** Handlers every simulated worker runs. */
export const simHandlers = ['sum', 'map', 'reduce', 'flaky', 'poison'] as const;
export type SimHandler = (typeof simHandlers)[number];

/** Name of the step recorded between the two halves. */
export const halfStep = 'half';

/** What the first half needs beyond the input: map results for a reduce (read with the `results` query). */
export type FirstHalfInput = { readonly input: JsonValue; readonly mapOutputs?: readonly JsonValue[] };

export type Outcome =
  | { readonly kind: 'output'; readonly output: JsonValue }
  | { readonly kind: 'fail'; readonly message: string; readonly retryable: boolean };

function num(value: JsonValue | undefined): number {
  return typeof value === 'number' ? value : 0;
}

function field(input: JsonValue, name: string): JsonValue | undefined {
  return typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, JsonValue>)[name] : undefined;
}

function items(input: JsonValue): number[] {
  const list = field(input, 'items');
  return Array.isArray(list) ? list.map((v) => num(v as JsonValue)) : [];
}

const sumRange = (from: number, to: number): number => (to < from ? 0 : ((from + to) * (to - from + 1)) / 2);
const sumSquares = (values: readonly number[]): number => values.reduce((s, v) => s + v * v, 0);

/** The first half's result, recorded as the `half` step. */
export function firstHalf(handler: string, { input, mapOutputs }: FirstHalfInput): JsonValue {
  switch (handler) {
    case 'sum': return sumRange(1, Math.floor(num(field(input, 'n')) / 2));
    case 'map': {
      const values = items(input);
      return sumSquares(values.slice(0, Math.floor(values.length / 2)));
    }
    case 'reduce': return (mapOutputs ?? []).reduce<number>((s, v) => s + num(v), 0);
    default: return num(field(input, 'n'));
  }
}

/** The second half, from the first half's result: the attempt's outcome. */
export function secondHalf(handler: string, input: JsonValue, half: JsonValue, attempt: number): Outcome {
  switch (handler) {
    case 'sum': {
      const n = num(field(input, 'n'));
      return { kind: 'output', output: num(half) + sumRange(Math.floor(n / 2) + 1, n) };
    }
    case 'map': {
      const values = items(input);
      return { kind: 'output', output: num(half) + sumSquares(values.slice(Math.floor(values.length / 2))) };
    }
    case 'reduce': return { kind: 'output', output: half };
    case 'flaky':
      return attempt <= num(field(input, 'failUntil'))
        ? { kind: 'fail', message: `flaky: attempt ${attempt} fails`, retryable: true }
        : { kind: 'output', output: num(half) * 2 };
    default: return { kind: 'fail', message: 'poison: always fails', retryable: true };
  }
}

/** Expected outputs; `mapItems` gives a map/reduce job's items (for its reduce task). */
export function expectedOutput(handler: string, input: JsonValue, mapItems: readonly number[] | undefined): JsonValue | undefined {
  switch (handler) {
    case 'sum': {
      const n = num(field(input, 'n'));
      return sumRange(1, n);
    }
    case 'map': return sumSquares(items(input));
    case 'reduce': return mapItems === undefined ? undefined : sumSquares(mapItems);
    case 'flaky': return num(field(input, 'n')) * 2;
    // A poison task must never commit a result: nothing equals this.
    case 'poison': return 'poison tasks never succeed';
    default: return undefined;
  }
}
