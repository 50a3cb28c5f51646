#!/usr/bin/env node
/** The `keel` command. */
import { Command, InvalidArgumentError } from 'commander';
import { describeError, isKeelError } from '../core/errors.js';
import { runWalDemo } from './demo/wal-demo.js';

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

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`keel: ${isKeelError(error) ? `${error.code}: ` : ''}${describeError(error)}\n`);
  process.exitCode = 1;
}
