/** `keel worker`: run task handlers from a module for the cluster until SIGINT/SIGTERM. */
import type { Command } from 'commander';
import { describeError } from '../core/errors.js';
import { createLogger } from '../server/logger.js';
import { KeelWorker } from '../worker/worker.js';
import { defaultEndpoints, parseEndpoints, positiveInt, UsageError } from './commands/common.js';

interface WorkerFlags { tasks: string; join: string; capacity: number; id?: string; heartbeatMs: number; logLevel: string }

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run the handlers of a tasks module (defineTasks) for the cluster; handlers run in worker threads')
    .requiredOption('--tasks <path>', 'the tasks module (.ts or .js) whose default export is defineTasks({...})')
    .option('--join <urls>', 'HTTP endpoints of any cluster nodes, comma-separated (env KEEL_ENDPOINTS)', process.env.KEEL_ENDPOINTS ?? defaultEndpoints)
    .option('--capacity <n>', 'attempts run at once (one handler thread each)', positiveInt('--capacity'), 4)
    .option('--id <id>', 'worker id (default: host-pid-random, new for every process)')
    .option('--heartbeat-ms <n>', 'heartbeat interval', positiveInt('--heartbeat-ms'), 100)
    .option('--log-level <level>', 'trace|debug|info|warn|error|silent', process.env.KEEL_LOG_LEVEL ?? 'info')
    .action(async (flags: WorkerFlags) => {
      let endpoints: string[];
      try {
        endpoints = parseEndpoints(flags.join);
      } catch (error) {
        if (error instanceof UsageError) {
          process.stderr.write(`error: Usage: ${error.message.replace('--endpoints', '--join')}\n`);
          process.exit(2);
        }
        throw error;
      }
      const logger = createLogger({ level: flags.logLevel, name: 'worker' });
      const worker = new KeelWorker({
        endpoints, tasksPath: flags.tasks, capacity: flags.capacity, heartbeatMs: flags.heartbeatMs, logger,
        ...(flags.id === undefined ? {} : { workerId: flags.id }),
      });
      try {
        await worker.start();
      } catch (error) {
        process.stderr.write(`error: ${describeError(error)}\n`);
        await worker.close();
        process.exit(1);
      }
      let stopping = false;
      const stop = (): void => {
        if (stopping) process.exit(130);
        stopping = true;
        logger.info({ stats: worker.stats }, 'worker stopping');
        void worker.close().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      if (process.env.KEEL_EXIT_WITH_PARENT === '1') {
        process.stdin.on('close', stop);
        process.stdin.resume();
      }
    });
}
