#!/usr/bin/env node
/** The `keel` command. */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { runCheckCli } from '../check/index.js';
import { describeError, isKeelError } from '../core/errors.js';
import { registerChaosCommand } from './chaos-command.js';
import { registerClusterCommand } from './cluster-command.js';
import { registerClientCommands } from './commands/index.js';
import { runWalDemo } from './demo/wal-demo.js';
import { registerStartCommand } from './start-command.js';
import { simCommand } from './sim-command.js';

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

// A closed pipe (`keel ... | head`) ends the output, not the process with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = new Command()
  .name('keel')
  .description('Keel: a fault-tolerant distributed computing engine for TypeScript')
  .version('0.1.0');

registerStartCommand(program);
registerClusterCommand(program);
registerClientCommands(program);
registerChaosCommand(program);

const demo = program.command('demo').description('guided demonstrations');
demo
  .command('wal')
  .description('the storage layer on this disk (WAL, group commit, checkpoints, recovery across runs) and a crash lab on the simulated disk')
  .option('--dir <path>', 'data directory (kept between runs, to show recovery)', process.env.KEEL_DEMO_DIR ?? '.keel/demo')
  .option('--transfers <n>', 'transfers to append', positiveInt('--transfers'), 20_000)
  .option('--appenders <n>', 'concurrent writers', positiveInt('--appenders'), 64)
  .option('--checkpoint-every <n>', 'records between checkpoints', positiveInt('--checkpoint-every'), 5_000)
  .option('--no-crash-lab', 'skip the simulated-disk crash lab')
  .action(async (options: { dir: string; transfers: number; appenders: number; checkpointEvery: number; crashLab: boolean }) => {
    await runWalDemo(options);
  });

program
  .command('sim')
  .description('deterministic cluster simulator: the real raft core, storage and KV under seeded faults on virtual time')
  .option('--seeds <n>', 'how many seeds to run', positiveInt('--seeds'), 100)
  .option('--start <n>', 'first seed', positiveInt('--start'), 1)
  .option('--seed <n>', 'run (replay) exactly this seed', positiveInt('--seed'))
  .option('--nodes <n>', 'cluster size', positiveInt('--nodes'), 5)
  .option('--faults <list>', `comma-separated fault kinds, "all" or "none"`, 'all')
  .option('--duration-ms <n>', 'simulated milliseconds per seed', positiveInt('--duration-ms'))
  .option('--json', 'print the summary as JSON', false)
  .option('--history <file>', 'with --seed: write the client history (kv-history v1) to this file')
  .option('--trace', 'with --seed: print the event trace', false)
  .action(async (options: { seeds: number; start: number; seed?: number; nodes: number; faults: string; durationMs?: number; json: boolean; history?: string; trace: boolean }) => {
    process.exitCode = await simCommand(options);
  });

program
  .command('check')
  .description('check a kv-history v1 file for linearizability (exit 0 linearizable, 1 not, 2 unknown, 3 malformed)')
  .argument('<history>', 'history file (JSON lines), or - for standard input')
  .action((file: string) => {
    const text = readFileSync(file === '-' ? 0 : file, 'utf8');
    const { exitCode, report } = runCheckCli(text);
    process.stdout.write(report.endsWith('\n') ? report : `${report}\n`);
    process.exitCode = exitCode;
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`keel: ${isKeelError(error) ? `${error.code}: ` : ''}${describeError(error)}\n`);
  process.exitCode = 1;
}
