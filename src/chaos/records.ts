/**
 * The files of a chaos run's `--out` directory (see types.ts): history.jsonl (kv-history v1,
 * written with the checker's own formatter so the checker always accepts it line by line) for
 * the register and set workloads, jobs.jsonl (one ChaosJobRecord per line, task-records.ts) for
 * the tasks workload, nemesis.jsonl (one FaultRecord per line, fields in the order of the type),
 * summary.json and summary.html.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeelError } from '../core/errors.js';
import { formatHistoryOp, type HistoryOp } from '../check/index.js';
import { formatJobs, type ChaosJobRecord } from './task-records.js';
import { nemesisKinds, type ChaosSummary, type FaultRecord, type NemesisKind } from './types.js';

/** Problems listed in a parseFaults error; the rest are counted. */
export const faultErrorsMax = 20;

export const runOutputFiles = Object.freeze({
  history: 'history.jsonl',
  jobs: 'jobs.jsonl',
  faults: 'nemesis.jsonl',
  summary: 'summary.json',
  html: 'summary.html',
});

const faultFields: readonly (keyof FaultRecord)[] = ['id', 'kind', 'targets', 'detail', 'startNs', 'endNs', 'recoveryFromNs'];

/** One JSON line per fault, each ending in a newline (empty string for no faults). */
export function formatFaults(faults: readonly FaultRecord[]): string {
  return faults.map((f) => `${JSON.stringify(Object.fromEntries(faultFields.map((k) => [k, f[k]])))}\n`).join('');
}

/**
 * Parses nemesis.jsonl. Blank lines are skipped; unknown fields are rejected (as in kv-history v1).
 * Throws KeelError BAD_REQUEST listing every problem with its 1-based line number.
 */
export function parseFaults(text: string): FaultRecord[] {
  const faults: FaultRecord[] = [];
  const errors: string[] = [];
  const ids = new Set<number>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const problem = (message: string): void => void errors.push(`line ${index + 1}: ${message}`);
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      problem(`not JSON (${error instanceof Error ? error.message : String(error)})`);
      return;
    }
    const result = readFault(value);
    if (typeof result === 'string') return problem(result);
    if (ids.has(result.id)) return problem(`duplicate id ${result.id}`);
    ids.add(result.id);
    faults.push(result);
  });
  if (errors.length > 0) {
    const more = errors.length > faultErrorsMax ? `\n... and ${errors.length - faultErrorsMax} more` : '';
    throw new KeelError('BAD_REQUEST', `invalid nemesis records:\n${errors.slice(0, faultErrorsMax).join('\n')}${more}`, {
      data: { errorCount: errors.length },
    });
  }
  return faults;
}

function isNs(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The record, or a description of everything wrong with it. */
function readFault(value: unknown): FaultRecord | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  const problems: string[] = [];
  const unknown = Object.keys(r).filter((k) => !(faultFields as readonly string[]).includes(k));
  if (unknown.length > 0) problems.push(`unknown field(s) ${unknown.join(', ')}`);
  const missing = faultFields.filter((k) => !(k in r));
  if (missing.length > 0) problems.push(`missing field(s) ${missing.join(', ')}`);
  if (!isNs(r.id)) problems.push('id must be an integer >= 0');
  if (!(nemesisKinds as readonly unknown[]).includes(r.kind)) problems.push(`kind must be one of ${nemesisKinds.join(', ')}`);
  if (!Array.isArray(r.targets) || !r.targets.every((t) => typeof t === 'string')) problems.push('targets must be an array of strings');
  if (typeof r.detail !== 'string') problems.push('detail must be a string');
  if (!isNs(r.startNs)) problems.push('startNs must be an integer >= 0');
  if (r.endNs !== null && !isNs(r.endNs)) problems.push('endNs must be null or an integer >= 0');
  if (r.recoveryFromNs !== null && !isNs(r.recoveryFromNs)) problems.push('recoveryFromNs must be null or an integer >= 0');
  if (problems.length > 0) return problems.join('; ');
  const fault: FaultRecord = {
    id: r.id as number,
    kind: r.kind as NemesisKind,
    targets: [...(r.targets as string[])],
    detail: r.detail as string,
    startNs: r.startNs as number,
    endNs: r.endNs as number | null,
    recoveryFromNs: r.recoveryFromNs as number | null,
  };
  if (fault.endNs !== null && fault.endNs < fault.startNs) return `endNs ${fault.endNs} is before startNs ${fault.startNs}`;
  if (fault.recoveryFromNs !== null && fault.recoveryFromNs < fault.startNs) return `recoveryFromNs ${fault.recoveryFromNs} is before startNs ${fault.startNs}`;
  return fault;
}

export interface RunOutputs {
  /** register and set: the kv history. */
  readonly history?: readonly HistoryOp[];
  /** tasks: the job records. */
  readonly jobs?: readonly ChaosJobRecord[];
  readonly faults: readonly FaultRecord[];
  readonly summary: ChaosSummary;
  readonly html: string;
}

/** Writes the files into `dir` (created if missing); returns their paths (history or jobs: whichever was given). */
export async function writeRunOutputs(dir: string, outputs: RunOutputs): Promise<Partial<Record<keyof typeof runOutputFiles, string>>> {
  await mkdir(dir, { recursive: true });
  const files: [keyof typeof runOutputFiles, string][] = [
    ['faults', formatFaults(outputs.faults)],
    ['summary', `${JSON.stringify(outputs.summary, null, 2)}\n`],
    ['html', outputs.html],
  ];
  if (outputs.history !== undefined) files.push(['history', outputs.history.map((op) => `${formatHistoryOp(op)}\n`).join('')]);
  if (outputs.jobs !== undefined) files.push(['jobs', formatJobs(outputs.jobs)]);
  const paths: Partial<Record<keyof typeof runOutputFiles, string>> = {};
  await Promise.all(files.map(([name, text]) => {
    const path = join(dir, runOutputFiles[name]);
    paths[name] = path;
    return writeFile(path, text);
  }));
  return paths;
}
