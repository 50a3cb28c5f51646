/** `keel sim`: run the deterministic cluster simulator over many seeds, or replay one with a trace. */
import { writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { formatHistoryOp, taskHistoryLines, type ExactlyOnceReport } from '../check/index.js';
import { parseFaults, runSeed, runSeeds, replayCommand, workloads, type SeedsSummary, type SimResult, type Workload } from '../sim/index.js';

export interface SimCommandOptions {
  readonly seeds: number;
  readonly start: number;
  readonly seed?: number;
  readonly nodes: number;
  readonly faults: string;
  /** `kv` (default) or `tasks`. */
  readonly workload?: string;
  readonly json: boolean;
  readonly history?: string;
  readonly trace: boolean;
  readonly durationMs?: number;
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

/** The `sim` command with all its flags (main.ts may register it with this instead of declaring it inline). */
export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('deterministic cluster simulator: the real raft core, storage, KV and task engine under seeded faults on virtual time')
    .option('--seeds <n>', 'how many seeds to run', positiveInt('--seeds'), 100)
    .option('--start <n>', 'first seed', positiveInt('--start'), 1)
    .option('--seed <n>', 'run (replay) exactly this seed', positiveInt('--seed'))
    .option('--nodes <n>', 'cluster size', positiveInt('--nodes'), 5)
    .option('--faults <list>', `comma-separated fault kinds, "all" or "none"`, 'all')
    .option('--workload <name>', `what runs on the cluster: ${workloads.join(' or ')}`, workloadArg, 'kv')
    .option('--duration-ms <n>', 'simulated milliseconds per seed', positiveInt('--duration-ms'))
    .option('--json', 'print the summary as JSON', false)
    .option('--history <file>', 'with --seed: write the history to this file (kv-history v1, or the task history for --workload tasks)')
    .option('--trace', 'with --seed: print the event trace', false)
    .action(async (options: SimCommandOptions) => {
      process.exitCode = await simCommand(options);
    });
}

function workloadArg(value: string): string {
  if (!(workloads as readonly string[]).includes(value)) throw new InvalidArgumentError(`--workload must be one of ${workloads.join(', ')}`);
  return value;
}

function parseWorkload(name: string | undefined): Workload {
  const workload = workloads.find((w) => w === (name ?? 'kv'));
  if (workload === undefined) throw new Error(`--workload must be one of ${workloads.join(', ')}, got "${name}"`);
  return workload;
}

export async function simCommand(options: SimCommandOptions): Promise<number> {
  const faults = parseFaults(options.faults);
  const workload = parseWorkload(options.workload);
  if (options.nodes < 1 || options.nodes > 9) throw new Error('--nodes must be between 1 and 9');
  const durationMs = options.durationMs === undefined ? {} : { durationMs: options.durationMs };
  if (options.seed !== undefined) {
    const started = performance.now();
    const result = await runSeed({ seed: options.seed, nodes: options.nodes, faults, workload, trace: options.trace, ...durationMs });
    if (options.history) writeFileSync(options.history, historyLines(result).join('\n') + '\n');
    if (options.trace) for (const line of result.trace) process.stdout.write(`${line}\n`);
    const wallSeconds = (performance.now() - started) / 1000;
    process.stdout.write(options.json ? `${JSON.stringify(seedSummary(result, wallSeconds), null, 2)}\n` : seedText(result));
    return result.violations.length === 0 ? 0 : 1;
  }
  const started = performance.now();
  const summary = await runSeeds({
    start: options.start, seeds: options.seeds, nodes: options.nodes, faults, faultsSpec: options.faults, workload, ...durationMs,
    onSeed: (result, done) => {
      if (result.violations.length > 0) process.stderr.write(`seed ${result.seed} VIOLATION: ${result.violations[0]!.invariant}: ${result.violations[0]!.message}\n  replay: ${replayCommand(result.seed, options.nodes, options.faults, workload)}\n`);
      if (!options.json && (done % 25 === 0 || done === options.seeds)) process.stderr.write(`  ${done}/${options.seeds} seeds · ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    },
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const report = { workload, ...summary, wallSeconds, simulatedSecondsPerWallSecond: summary.simulatedSeconds / wallSeconds, opsPerWallSecond: summary.simulatedOps / wallSeconds, seedsPerMinute: (summary.seeds / wallSeconds) * 60 };
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(seedsText(summary, wallSeconds, report.seedsPerMinute));
  return summary.violations === 0 ? 0 : 1;
}

function historyLines(result: SimResult): string[] {
  return result.tasks === undefined ? result.history.map((op) => formatHistoryOp(op)) : taskHistoryLines(result.tasks.history);
}

function seedSummary(result: SimResult, wallSeconds: number): Record<string, unknown> {
  const common = {
    seed: result.seed, violations: result.violations.length, details: result.violations, simulatedSeconds: result.simulatedMs / 1000, wallSeconds,
    faultsInjected: result.faultsInjected,
  };
  if (result.tasks === undefined) return { ...common, simulatedOps: result.ops, okOps: result.okOps, linearizable: result.linearizable };
  const t = result.tasks;
  return { ...common, workload: 'tasks', jobs: t.jobs, jobsSubmitted: t.jobsSubmitted, workers: t.workers, finishedAtMs: t.finishedAtMs ?? null, taskEntries: t.history.log.length, exactlyOnce: t.report };
}

function seedText(result: SimResult): string {
  // The exactly-once violations are listed in the checker's report; the rest (node invariants) here.
  const listed = result.tasks === undefined ? result.violations : result.violations.filter((v) => v.invariant !== 'exactly-once');
  const violations = listed.map((v) => `  ${v.invariant} at ${v.atMs.toFixed(1)} ms: ${v.message}\n`).join('');
  const verdict = result.violations.length === 0 ? 'ok' : 'VIOLATION';
  if (result.tasks === undefined) {
    return `seed ${result.seed}: ${verdict} · ${result.ops} ops (${result.okOps} ok) · ${result.faultsInjected} faults · history ${result.linearizable}\n${violations}`;
  }
  const t = result.tasks;
  const finished = t.finishedAtMs === undefined ? 'not all jobs finished' : `all ${t.jobs} jobs finished at ${(t.finishedAtMs / 1000).toFixed(1)} s`;
  return `seed ${result.seed}: ${verdict} · tasks workload · ${t.workers} workers · ${result.faultsInjected} faults · ${finished}\n${formatTaskReport(t.report)}${violations}`;
}

/** The exactly-once checker's report, a few lines for people. */
export function formatTaskReport(r: ExactlyOnceReport): string {
  return [
    `  exactly-once: ${r.ok ? 'ok' : `${r.violationCount} VIOLATION(S)`}`,
    `  tasks ${r.tasks}: committed ${r.committed}, dead-lettered ${r.deadLettered}, failed by a dependency ${r.failed}, cancelled ${r.cancelled}, unfinished ${r.unfinished}`,
    `  attempts ${r.attempts} (${r.resumedFromCheckpoint} resumed from a checkpoint) · duplicates ${r.duplicates} · zombie results refused ${r.staleRejected} (workers told ${r.zombieResultsRefused}) · zombie checkpoints refused ${r.staleCheckpointsRejected} · retried results acknowledged ${r.retriedAcks}`,
    ...r.violations.slice(0, 20).map((v) => `  [${v.property}]${v.index === undefined ? '' : ` entry ${v.index}`}: ${v.message}`),
  ].join('\n') + '\n';
}

function seedsText(summary: SeedsSummary, wallSeconds: number, seedsPerMinute: number): string {
  const t = summary.tasks;
  const work = t === undefined
    ? `${summary.simulatedOps} client ops`
    : `${t.tasks} tasks (${t.committed} committed, ${t.deadLettered} dead-lettered, ${t.duplicates} duplicates, ${t.staleRejected} zombie results refused)`;
  const lines = [`${summary.seeds} seeds, ${summary.violations} violations, ${work}, ${summary.simulatedSeconds.toFixed(0)} simulated s in ${wallSeconds.toFixed(1)} s wall (${seedsPerMinute.toFixed(0)} seeds/min)\n`];
  for (const f of summary.failures) lines.push(`  seed ${f.seed}: ${f.violations[0]!.invariant}: ${f.violations[0]!.message}\n    replay: ${f.replay}\n`);
  return lines.join('');
}
