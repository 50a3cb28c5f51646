#!/usr/bin/env node
/** The `keel` command. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { runCheckCli } from '../check/index.js';
import { describeError, isKeelError } from '../core/errors.js';
import { registerChaosCommand } from './chaos-command.js';
import { registerClusterCommand } from './cluster-command.js';
import { registerClientCommands } from './commands/index.js';
import { registerDemoCommand } from './demo/demo-command.js';
import { registerStartCommand } from './start-command.js';
import { registerSimCommand } from './sim-command.js';
import { registerWorkerCommand } from './worker-command.js';

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
registerWorkerCommand(program);

registerDemoCommand(program);
registerSimCommand(program);

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
