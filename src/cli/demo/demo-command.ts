/** `keel demo` (the job demo `npm start` runs), `keel demo corpus`, `keel demo wal`. */
import { InvalidArgumentError, type Command } from 'commander';
import { describeError, isKeelError } from '../../core/errors.js';
import { positiveInt } from '../commands/common.js';
import { writeCorpus } from './corpus-generator.js';
import { runJobDemo } from './job-demo.js';
import { runWalDemo } from './wal-demo.js';

export function registerDemoCommand(program: Command): void {
  const demo = program.command('demo').description('guided demonstrations: `keel demo` runs the job demo (what `npm start` runs)');
  demo
    .command('job', { isDefault: true })
    .description('a map/reduce word count on a local 3-node cluster and 3 workers (real processes) under kill -9, a zombie worker and a leader kill; then a recovery report and a verified result')
    .option('--nodes <n>', 'cluster size: 1, 3 or 5', (v) => {
      if (v !== '1' && v !== '3' && v !== '5') throw new InvalidArgumentError('--nodes must be 1, 3 or 5');
      return Number(v);
    }, 3)
    .option('--workers <n>', 'worker processes (1-8)', (v) => {
      const n = positiveInt('--workers')(v);
      if (n > 8) throw new InvalidArgumentError('--workers must be at most 8');
      return n;
    }, 3)
    .option('--capacity <n>', 'handler threads per worker', positiveInt('--capacity'), 4)
    .option('--corpus <path>', 'a text file, or a directory whose .txt files (recursively) to count (default: the corpus shipped in corpus/)')
    .option('--no-faults', 'run the job without injecting faults')
    .option('--keep', 'leave the cluster running afterwards (for the dashboard) until Ctrl-C', false)
    .option('--duration <s>', 'target length of the map phase in seconds, by a simulated per-line cost; 0: full speed', (v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 3600) throw new InvalidArgumentError('--duration must be a number of seconds from 0 to 3600');
      return n;
    }, 20)
    .option('--dir <path>', 'data and log directory (wiped at the start)', '.keel/demo/cluster')
    .action(async (options: { nodes: number; workers: number; capacity: number; corpus?: string; faults: boolean; keep: boolean; duration: number; dir: string }) => {
      let code: number;
      try {
        code = await runJobDemo({ ...options, durationS: options.duration });
      } catch (error) {
        // Exit here rather than in the catch below: a failed run may leave a stream retrying.
        process.stderr.write(`keel demo: ${isKeelError(error) ? `${error.code}: ` : ''}${describeError(error)}\n`);
        code = 1;
      }
      process.exit(code);
    });
  demo
    .command('corpus')
    .description('write the generated corpus the job demo ships in corpus/ (deterministic: the same bytes every time)')
    .option('--out <dir>', 'directory to write', 'corpus')
    .action((options: { out: string }) => {
      for (const file of writeCorpus(options.out)) process.stdout.write(`${file}\n`);
    });
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
}
