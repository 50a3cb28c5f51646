/**
 * kv-history v1: one JSON object per client operation (the spec is history-format.md; a summary
 * with the choices it leaves open is in docs/check.md). The simulator and the chaos harness write
 * histories with `formatHistoryOp`; every checker reads them with `parseHistory`.
 */
import { assert, assertNever } from '../core/assert.js';
import { readRecord } from './history-record.js';

export type OpName = 'get' | 'put' | 'append' | 'cas' | 'delete';

/** `ok`: took effect as reported; `fail`: never took and never will take effect; `info`: unknown. */
export type OpStatus = 'ok' | 'fail' | 'info';

interface OpCommon {
  /** Logical client (Jepsen "process"): at most one operation in flight, retired after `info`. */
  readonly client: number;
  readonly key: string;
  /** Invocation time: nanoseconds since test start on one shared monotonic clock. */
  readonly call: number;
  /** Completion time (same clock); never null when `status` is `ok`, ignored (+inf) for `info`. */
  readonly return: number | null;
  readonly status: OpStatus;
  /** Free-form JSON, ignored by the checker. */
  readonly meta?: unknown;
}

export interface GetOp extends OpCommon {
  readonly op: 'get';
  /** The value read, null if the key did not exist. Present exactly when `status` is `ok`. */
  readonly output?: string | null;
}

export interface PutOp extends OpCommon {
  readonly op: 'put';
  readonly value: string;
}

export interface AppendOp extends OpCommon {
  readonly op: 'append';
  readonly value: string;
}

export interface DeleteOp extends OpCommon {
  readonly op: 'delete';
}

export interface CasOp extends OpCommon {
  readonly op: 'cas';
  /** null: "the key must not exist". */
  readonly expected: string | null;
  readonly value: string;
  /** Whether the swap happened. Present exactly when `status` is `ok`. */
  readonly output?: boolean;
}

/** One line of a kv-history v1 file. */
export type HistoryOp = GetOp | PutOp | AppendOp | DeleteOp | CasOp;

export interface HistoryError {
  /** 1-based line number in the input text. */
  readonly line: number;
  readonly message: string;
}

export type ParseResult =
  /** `lines[i]` is the 1-based line number of `ops[i]`. */
  | { readonly kind: 'ok'; readonly ops: readonly HistoryOp[]; readonly lines: readonly number[] }
  /** `errors` holds the first `historyErrorsMax` problems; `errorCount` counts them all. */
  | { readonly kind: 'malformed'; readonly errors: readonly HistoryError[]; readonly errorCount: number };

/** Errors listed in a `malformed` result; the rest are only counted. */
export const historyErrorsMax = 100;

/**
 * Parses and validates a whole history: every line against the record rules, then the client
 * discipline across lines (one operation in flight per client, no reuse after `info`). Blank
 * lines are skipped. Never throws on bad input: every problem is returned with its line number.
 */
export function parseHistory(text: string): ParseResult {
  const errors: HistoryError[] = [];
  let errorCount = 0;
  const report = (line: number, message: string): void => {
    errorCount += 1;
    if (errors.length < historyErrorsMax) errors.push({ line, message });
  };
  const ops: HistoryOp[] = [];
  const lines: number[] = [];
  const rawLines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split('\n');
  for (let index = 0; index < rawLines.length; index++) {
    const raw = rawLines[index]!;
    if (raw.trim() === '') continue;
    const lineNumber = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      report(lineNumber, `invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    const result = readRecord(value);
    if (result.kind === 'invalid') {
      for (const problem of result.problems) report(lineNumber, problem);
      continue;
    }
    ops.push(result.op);
    lines.push(lineNumber);
  }
  if (errorCount === 0) {
    for (const problem of clientDisciplineProblems(ops, lines)) report(problem.line, problem.message);
  }
  if (errorCount > 0) {
    const sorted = [...errors].sort((a, b) => a.line - b.line);
    return { kind: 'malformed', errors: sorted, errorCount };
  }
  return { kind: 'ok', ops, lines };
}

/**
 * A client has at most one operation in flight, and none after an `info` one (its id must be
 * retired: that operation may still be pending). An op that ends before the next one of the same
 * client starts is fine, touching included; a `fail` op without a return time is not checked.
 */
function clientDisciplineProblems(ops: readonly HistoryOp[], lines: readonly number[]): HistoryError[] {
  const byClient = new Map<number, number[]>();
  ops.forEach((op, index) => {
    const list = byClient.get(op.client);
    if (list === undefined) byClient.set(op.client, [index]);
    else list.push(index);
  });
  const problems: HistoryError[] = [];
  for (const [client, indexes] of byClient) {
    // By call, then by return (an op may start the instant a zero-length one ended), then by line.
    const end = (index: number): number => ops[index]!.return ?? Infinity;
    indexes.sort((a, b) => ops[a]!.call - ops[b]!.call || end(a) - end(b) || lines[a]! - lines[b]!);
    for (let i = 1; i < indexes.length; i++) {
      const before = ops[indexes[i - 1]!]!;
      const beforeLine = lines[indexes[i - 1]!]!;
      const after = ops[indexes[i]!]!;
      const afterLine = lines[indexes[i]!]!;
      if (before.status === 'info') {
        problems.push({ line: afterLine, message: `client ${client} is reused after its info operation at line ${beforeLine} (retire the id: that operation may still be pending)` });
      } else if (before.return !== null && before.return > after.call) {
        problems.push({ line: afterLine, message: `client ${client} already has an operation in flight (line ${beforeLine}, returned at ${before.return}, after this call at ${after.call})` });
      }
    }
  }
  return problems;
}

/**
 * One JSON line (without the newline) in a stable field order, the one of history-format.md's
 * examples: client, op, key, expected, value, call, return, status, output, meta. Asserts that the line
 * parses back to the same operation, so a writer can never emit a history the checker rejects
 * line by line (the client discipline spans lines and is the writer's job).
 */
export function formatHistoryOp(op: HistoryOp): string {
  const line = JSON.stringify(canonicalRecord(op));
  const back = readRecord(JSON.parse(line));
  assert(back.kind === 'op', `formatHistoryOp: invalid operation: ${back.kind === 'invalid' ? back.problems.join('; ') : ''}`);
  return line;
}

/** The fields of `op` that belong in a kv-history line, in the stable order. */
export function canonicalRecord(op: HistoryOp): Record<string, unknown> {
  const record: Record<string, unknown> = { client: op.client, op: op.op, key: op.key };
  if (op.op === 'cas') record.expected = op.expected;
  if (op.op === 'put' || op.op === 'append' || op.op === 'cas') record.value = op.value;
  record.call = op.call;
  record.return = op.return;
  record.status = op.status;
  if (op.status === 'ok' && (op.op === 'get' || op.op === 'cas')) record.output = op.output;
  if (op.meta !== undefined) record.meta = op.meta;
  return record;
}

/** Longest string value shown in full by `describeOp`. */
export const describedValueCharsMax = 60;

/** Short human-readable form for reports, e.g. `client 4 get -> "a" [30, 40]`. */
export function describeOp(op: HistoryOp): string {
  const end = op.status === 'info' ? 'inf)' : `${op.return ?? '?'}]`;
  const timing = `[${op.call}, ${end}${op.status === 'ok' ? '' : ` ${op.status}`}`;
  return `client ${op.client} ${describeAction(op)} ${timing}`;
}

function describeAction(op: HistoryOp): string {
  switch (op.op) {
    case 'get':
      return op.output === undefined ? 'get' : `get -> ${describeValue(op.output)}`;
    case 'put':
      return `put ${describeValue(op.value)}`;
    case 'append':
      return `append ${describeValue(op.value)}`;
    case 'delete':
      return 'delete';
    case 'cas': {
      const swap = `cas ${describeValue(op.expected)} => ${describeValue(op.value)}`;
      return op.output === undefined ? swap : `${swap} -> ${op.output}`;
    }
    default:
      return assertNever(op);
  }
}

/** A state or value as JSON, shortened when long (append chains grow). */
export function describeValue(value: string | null): string {
  if (value === null) return 'null';
  if (value.length <= describedValueCharsMax) return JSON.stringify(value);
  const tail = value.slice(value.length - describedValueCharsMax);
  return `"...${JSON.stringify(tail).slice(1)} (${value.length} chars)`;
}
