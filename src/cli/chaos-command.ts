/** `keel chaos`: a real-process chaos run with recorded history, checks and recovery figures. */
import { InvalidArgumentError, type Command } from 'commander';
import { runChaos } from '../chaos/run.js';
import { nemesisKinds, type NemesisKind, type WorkloadKind } from '../chaos/types.js';

function parseNemeses(spec: string): NemesisKind[] {
  if (spec === 'all') return [...nemesisKinds];
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

export function registerChaosCommand(program: Command): void {
  program
    .command('chaos')
    .description('run a real local cluster under seeded faults (kill -9, SIGSTOP, partitions, wipes, membership), check the history, report recovery')
    .option('--nodes <n>', '3 or 5', intIn('--nodes', 3, 5), 3)
    .option('--time <s>', 'seconds of faults and load before the final heal', intIn('--time', 5, 3_600), 60)
    .option('--nemesis <list>', `comma-separated: ${nemesisKinds.join(', ')}, all, none`, parseNemeses, ['kill', 'partition'] as NemesisKind[])
    .option('--workload <kind>', 'register (linearizability) or set (no lost or invented adds)', (v: string) => {
      if (v !== 'register' && v !== 'set') throw new InvalidArgumentError('--workload must be register or set (tasks comes with the task engine)');
      return v;
    }, 'register' as WorkloadKind)
    .option('--clients <n>', 'concurrent clients', intIn('--clients', 1, 200), 10)
    .option('--seed <n>', 'seed of the fault schedule and the workload', intIn('--seed', 0, 2 ** 31), 1)
    .option('--out <dir>', 'where history.jsonl, nemesis.jsonl, summary.json, summary.html and node logs go', 'chaos-run')
    .option('--unsafe-stale-reads', 'mutation run: nodes serve linearizable reads without ReadIndex (the checker must catch it)')
    .option('--unsafe-no-fsync', 'mutation run: nodes acknowledge writes without fsync')
    .action(async (options: { nodes: number; time: number; nemesis: NemesisKind[]; workload: WorkloadKind; clients: number; seed: number; out: string; unsafeStaleReads?: boolean; unsafeNoFsync?: boolean }) => {
      if (options.nemesis.includes('membership') && options.nodes < 5) process.stderr.write('note: membership and restart-wipe faults with 3 nodes leave no room for another fault at the same time\n');
      const nodeArgs = [...(options.unsafeStaleReads ? ['--unsafe-stale-reads'] : []), ...(options.unsafeNoFsync ? ['--fsync', 'unsafe-none'] : [])];
      const summary = await runChaos({
        nodes: options.nodes, timeSec: options.time, nemeses: options.nemesis, workload: options.workload, clients: options.clients,
        seed: options.seed, out: options.out, nodeArgs,
      });
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      process.stderr.write(summary.violations.length === 0
        ? `chaos run passed: ${summary.ops.total} ops, linearizable ${String(summary.linearizable)}, recovery rate ${summary.recoveryRate}; report: ${options.out}/summary.html\n`
        : `chaos run FAILED:\n${summary.violations.map((v) => `  - ${v}`).join('\n')}\nreport: ${options.out}/summary.html\n`);
      process.exitCode = summary.violations.length === 0 ? 0 : 1;
    });
}
