/** `keel chaos`: a real-process chaos run with recorded history, checks and recovery figures. */
import { InvalidArgumentError, type Command } from 'commander';
import { runChaos, workersDefault } from '../chaos/run.js';
import { warningsOf } from '../chaos/summarize.js';
import { isWorkerNemesis, nemesisKinds, workloadKinds, type ChaosSummary, type NemesisKind, type WorkloadKind } from '../chaos/types.js';
import { workerCapacityDefault } from '../chaos/workers.js';

/** Nemeses when --nemesis is not given, per workload. */
const defaultNemeses: Readonly<Record<WorkloadKind, readonly NemesisKind[]>> = {
  register: ['kill', 'partition'],
  set: ['kill', 'partition'],
  tasks: ['kill', 'pause', 'partition', 'worker-kill', 'worker-pause'],
};

/** `all`: every kind the workload can use (worker faults need the tasks workload). */
function parseNemeses(spec: string): NemesisKind[] | 'all' {
  if (spec === 'all') return 'all';
  if (spec === 'none') return [];
  const kinds = spec.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const kind of kinds) {
    if (!(nemesisKinds as readonly string[]).includes(kind)) throw new InvalidArgumentError(`unknown nemesis "${kind}"; known: ${nemesisKinds.join(', ')}, all, none`);
  }
  return kinds as NemesisKind[];
}

function intIn(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}`);
    return n;
  };
}

interface ChaosFlags {
  nodes: number; time: number; nemesis?: NemesisKind[] | 'all'; workload: WorkloadKind; clients?: number; workers: number; workerCapacity: number;
  seed: number; out: string; unsafeStaleReads?: boolean; unsafeNoFsync?: boolean;
}

export function registerChaosCommand(program: Command): void {
  program
    .command('chaos')
    .description('run a real local cluster under seeded faults (kill -9, SIGSTOP, partitions, wipes, membership; worker kills and pauses), check the history, report recovery')
    .option('--nodes <n>', '3 or 5', intIn('--nodes', 3, 5), 3)
    .option('--time <s>', 'seconds of faults and load before the final heal', intIn('--time', 5, 3_600), 60)
    .option('--nemesis <list>', `comma-separated: ${nemesisKinds.join(', ')}, all, none (default: kill,partition; tasks: ${defaultNemeses.tasks.join(',')})`, parseNemeses)
    .option('--workload <kind>', 'register (linearizability), set (no lost or invented adds) or tasks (exactly-once task results under worker and node faults)', (v: string) => {
      if (!(workloadKinds as readonly string[]).includes(v)) throw new InvalidArgumentError(`--workload must be one of ${workloadKinds.join(', ')}`);
      return v as WorkloadKind;
    }, 'register' as WorkloadKind)
    .option('--clients <n>', 'concurrent clients (tasks: jobs in flight; default 10, tasks 6)', intIn('--clients', 1, 200))
    .option('--workers <n>', 'tasks: worker processes at a time', intIn('--workers', 1, 32), workersDefault)
    .option('--worker-capacity <n>', 'tasks: attempts each worker runs at once', intIn('--worker-capacity', 1, 64), workerCapacityDefault)
    .option('--seed <n>', 'seed of the fault schedule and the workload', intIn('--seed', 0, 2 ** 31), 1)
    .option('--out <dir>', 'where history.jsonl (tasks: jobs.jsonl), nemesis.jsonl, summary.json, summary.html and node logs go', 'chaos-run')
    .option('--unsafe-stale-reads', 'mutation run: nodes serve linearizable reads without ReadIndex (the checker must catch it)')
    .option('--unsafe-no-fsync', 'mutation run: nodes acknowledge writes without fsync')
    .action(async (options: ChaosFlags) => {
      const nemeses = options.nemesis === 'all'
        ? nemesisKinds.filter((k) => options.workload === 'tasks' || !isWorkerNemesis(k))
        : options.nemesis ?? [...defaultNemeses[options.workload]];
      if (options.workload !== 'tasks' && nemeses.some(isWorkerNemesis)) {
        process.stderr.write(`error: nemeses ${nemeses.filter(isWorkerNemesis).join(', ')} need --workload tasks\n`);
        process.exitCode = 2;
        return;
      }
      if (nemeses.includes('membership') && options.nodes < 5) process.stderr.write('note: membership and restart-wipe faults with 3 nodes leave no room for another fault at the same time\n');
      const nodeArgs = [...(options.unsafeStaleReads ? ['--unsafe-stale-reads'] : []), ...(options.unsafeNoFsync ? ['--fsync', 'unsafe-none'] : [])];
      const summary = await runChaos({
        nodes: options.nodes, timeSec: options.time, nemeses, workload: options.workload, clients: options.clients ?? (options.workload === 'tasks' ? 6 : 10),
        workers: options.workers, workerCapacity: options.workerCapacity, seed: options.seed, out: options.out, nodeArgs,
      });
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      for (const warning of warningsOf(summary)) process.stderr.write(`warning: ${warning}\n`);
      process.stderr.write(summary.violations.length === 0
        ? `chaos run passed: ${headline(summary)}; report: ${options.out}/summary.html\n`
        : `chaos run FAILED:\n${summary.violations.map((v) => `  - ${v}`).join('\n')}\nreport: ${options.out}/summary.html\n`);
      process.exitCode = summary.violations.length === 0 ? 0 : 1;
    });
}

function headline(summary: ChaosSummary): string {
  const t = summary.tasks;
  if (t === undefined) return `${summary.ops.total} ops, linearizable ${String(summary.linearizable)}, recovery rate ${summary.recoveryRate}`;
  const r = t.workerRecovery.perTask;
  return `${t.jobs.accepted} jobs, ${t.committed} of ${t.tasks} tasks committed once, duplicates ${t.duplicates}, wrong ${t.wrongOutputs}, stale ${t.staleResults}, `
    + `lost ${t.lost}, dead-lettered ${t.deadLettered}, zombie results rejected ${t.zombieResultsRejected ?? '?'}, resumed from checkpoints ${t.resumedFromCheckpoint}, `
    + `worker recovery median ${r.medianMs ?? '-'} ms / p99 ${r.p99Ms ?? '-'} ms (${r.count} tasks), recovery rate ${summary.recoveryRate}`;
}
