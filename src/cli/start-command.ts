/** `keel start`: one node in the foreground; SIGTERM/SIGINT stop it gracefully, twice kills it. */
import type { Command } from 'commander';
import { loadConfig, type NodeConfigInput } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { startNode } from '../server/start.js';

interface StartFlags {
  id?: string; listen?: string; http?: string; peers?: string; data?: string; secret?: string; config?: string;
  fsync?: string; logLevel?: string; snapshotEvery?: string; tickMs?: string; join?: boolean; unsafeStaleReads?: boolean;
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run one Keel node (flags also from KEEL_* environment variables or --config file.json)')
    .option('--id <id>', 'this node\'s id, e.g. n1 (KEEL_ID)')
    .option('--listen <host:port>', 'peer (Raft) address (KEEL_LISTEN)')
    .option('--http <host:port>', 'HTTP API address (KEEL_HTTP)')
    .option('--peers <list>', 'every voter at first boot: n1=host:port,n2=... (KEEL_PEERS)')
    .option('--data <dir>', 'data directory (KEEL_DATA)')
    .option('--secret <secret>', 'cluster secret, >= 16 chars; required unless every address is loopback (KEEL_SECRET)')
    .option('--config <file>', 'JSON config file with the same fields (KEEL_CONFIG)')
    .option('--join', 'join an existing cluster as a learner; then run `keel member add <id> <listen>` against it (KEEL_JOIN=1)')
    .option('--unsafe-stale-reads', 'UNSAFE (chaos mutation runs only): serve linearizable reads locally without ReadIndex')
    .option('--fsync <policy>', 'always (default) or unsafe-none (loses acknowledged writes on power failure: testing only)')
    .option('--snapshot-every <n>', 'applied entries between checkpoints (default 10000)')
    .option('--tick-ms <n>', 'Raft tick; heartbeat = 5 ticks, election timeout 15-30 ticks (default 10)')
    .option('--log-level <level>', 'trace|debug|info|warn|error|silent (KEEL_LOG_LEVEL)')
    .action(async (flags: StartFlags) => {
      const input: NodeConfigInput = {
        id: flags.id, listen: flags.listen, http: flags.http, peers: flags.peers, data: flags.data, secret: flags.secret,
        fsync: flags.fsync, logLevel: flags.logLevel, snapshotEveryEntries: flags.snapshotEvery, tickMs: flags.tickMs, join: flags.join, unsafeStaleReads: flags.unsafeStaleReads,
      };
      const config = loadConfig(input, process.env, flags.config ?? process.env.KEEL_CONFIG);
      const pretty = process.env.KEEL_LOG_PRETTY === undefined ? undefined : process.env.KEEL_LOG_PRETTY === '1';
      const logger = createLogger({ level: config.logLevel, name: config.id, ...(pretty === undefined ? {} : { pretty }) });
      const running = await startNode(config, { logger });
      let firstSignalAt: number | undefined;
      const onSignal = (signal: NodeJS.Signals): void => {
        // A relayed copy of the same Ctrl-C (npm, tsx) arrives within milliseconds: not a second press.
        if (firstSignalAt !== undefined && Date.now() - firstSignalAt < 1_000) return;
        if (firstSignalAt !== undefined) {
          logger.warn({ signal }, 'second signal: exiting now');
          process.exit(130);
        }
        firstSignalAt = Date.now();
        logger.info({ signal }, 'shutting down (leader hands over first); signal again to exit at once');
        void running.stop().then(() => process.exit(0), () => process.exit(1));
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      if (process.env.KEEL_EXIT_WITH_PARENT === '1') {
        process.stdin.on('close', () => onSignal('SIGTERM'));
        process.stdin.resume();
      }
    });
}
