/** `keel status`: the members of the cluster and their state. */
import type { Command } from 'commander';
import { clientFrom, runAction, withClientFlags, withUsageExit, writeOut, type ClientFlags } from './common.js';
import { renderStatusTable } from './format.js';

export function registerStatusCommand(program: Command): Command {
  const status = withUsageExit(program.command('status'))
    .description('show the cluster members: role, term, commit and applied index, health')
    .option('--json', 'print the cluster answer as JSON');
  return withClientFlags(status).action((flags: ClientFlags & { json?: boolean }) =>
    runAction(async () => {
      const cluster = await clientFrom(flags).cluster();
      writeOut(flags.json === true ? JSON.stringify(cluster, null, 2) : renderStatusTable(cluster));
    }),
  );
}
