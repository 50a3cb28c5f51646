/**
 * The whole of a `keel check` run except the I/O: text in, exit code and human report out.
 * The CLI reads the file (or stdin), prints `report`, and exits with `exitCode`.
 */
import { assertNever } from '../core/assert.js';
import { describeOp, parseHistory, type HistoryOp } from './history.js';
import { checkHistory, type CheckOptions, type CheckResult, type KeyResult } from './linearizability.js';

/** Exit codes of a checker CLI (history-format.md). */
export const checkExitCodes = Object.freeze({
  linearizable: 0,
  notLinearizable: 1,
  unknown: 2,
  malformed: 3,
});

/** Illegal (or unknown) keys described in full; the rest are only counted. */
export const reportedKeysMax = 20;
/** Operations of a witness prefix listed (its last ones). */
export const reportedPrefixOpsMax = 8;

export interface CheckCliResult {
  readonly exitCode: number;
  readonly report: string;
}

export function runCheckCli(text: string, options: CheckOptions = {}): CheckCliResult {
  const parsed = parseHistory(text);
  if (parsed.kind === 'malformed') {
    const out = [`Malformed history: ${parsed.errorCount} problem(s).`];
    for (const error of parsed.errors) out.push(`  line ${error.line}: ${error.message}`);
    if (parsed.errorCount > parsed.errors.length) out.push(`  ... and ${parsed.errorCount - parsed.errors.length} more`);
    out.push(`Result: MALFORMED INPUT (exit ${checkExitCodes.malformed})`);
    return { exitCode: checkExitCodes.malformed, report: out.join('\n') };
  }
  const result = checkHistory(parsed.ops, options);
  return { exitCode: exitCodeOf(result), report: formatReport(result, parsed.ops, parsed.lines) };
}

export function exitCodeOf(result: CheckResult): number {
  switch (result.status) {
    case 'linearizable':
      return checkExitCodes.linearizable;
    case 'not-linearizable':
      return checkExitCodes.notLinearizable;
    case 'unknown':
      return checkExitCodes.unknown;
    default:
      return assertNever(result.status);
  }
}

/** `lines[i]` is the input line of `ops[i]`, as parseHistory returns them. */
export function formatReport(result: CheckResult, ops: readonly HistoryOp[], lines: readonly number[]): string {
  const illegal = result.keys.filter((k) => k.status === 'illegal');
  const unknown = result.keys.filter((k) => k.status === 'unknown');
  const okCount = result.keys.length - illegal.length - unknown.length;
  const out = [`Checked ${ops.length} operation(s) on ${result.keys.length} key(s) in ${result.steps} search step(s).`];
  const lineOf = (index: number): string => `line ${lines[index] ?? '?'}`;

  for (const key of illegal.slice(0, reportedKeysMax)) {
    out.push('', `key ${JSON.stringify(key.key)}: NOT LINEARIZABLE (${keyCounts(key)})`);
    const witness = key.witness;
    if (witness === undefined) continue;
    out.push(`  ${witness.explanation}`);
    out.push(`  cannot place: ${lineOf(witness.blocked)}: ${describeOp(ops[witness.blocked]!)}`);
    for (const { write, overwrittenBy } of witness.evidence.slice(0, reportedPrefixOpsMax)) {
      const what = write === null ? 'the initial absence of the key' : `${lineOf(write)}: ${describeOp(ops[write]!)}`;
      const why = overwrittenBy === null ? 'called after it returned' : `overwritten by ${lineOf(overwrittenBy)}: ${describeOp(ops[overwrittenBy]!)}`;
      out.push(`  evidence: ${what}, ${why}`);
    }
    const shown = witness.prefix.slice(-reportedPrefixOpsMax);
    const skipped = witness.prefix.length - shown.length;
    if (witness.reason === 'stale' || witness.reason === 'never-written') continue; // found before any search
    out.push(`  longest linearizable prefix: ${witness.prefix.length} operation(s)${skipped > 0 ? `, last ${shown.length}` : ''}${shown.length > 0 ? ':' : ''}`);
    for (const index of shown) out.push(`    ${lineOf(index)}: ${describeOp(ops[index]!)}`);
  }
  if (illegal.length > reportedKeysMax) out.push('', `... and ${illegal.length - reportedKeysMax} more illegal key(s)`);
  for (const key of unknown.slice(0, reportedKeysMax)) {
    out.push('', `key ${JSON.stringify(key.key)}: UNKNOWN, the step budget ran out (${keyCounts(key)})`);
  }
  if (unknown.length > reportedKeysMax) out.push('', `... and ${unknown.length - reportedKeysMax} more unknown key(s)`);

  out.push('', `Keys: ${okCount} linearizable, ${illegal.length} not linearizable, ${unknown.length} unknown.`);
  out.push(`Result: ${verdict(result)} (exit ${exitCodeOf(result)})`);
  return out.join('\n');
}

function keyCounts(key: KeyResult): string {
  const dropped = key.dropped > 0 ? `, ${key.dropped} dropped` : '';
  return `${key.ops} operation(s)${dropped}, ${key.steps} step(s)`;
}

function verdict(result: CheckResult): string {
  switch (result.status) {
    case 'linearizable':
      return 'LINEARIZABLE';
    case 'not-linearizable':
      return 'NOT LINEARIZABLE';
    case 'unknown':
      return 'UNKNOWN (no key illegal, some key not decided within the step budget)';
    default:
      return assertNever(result.status);
  }
}
