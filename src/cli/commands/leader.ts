/** `keel leader transfer`: hand leadership to another member. */
import type { Command } from 'commander';
import { clientFrom, runAction, withClientFlags, withUsageExit, writeOut, type ClientFlags } from './common.js';

export function registerLeaderCommands(program: Command): Command {
  const leader = withUsageExit(program.command('leader')).description('leadership');
  withClientFlags(
    leader
      .command('transfer')
      .description('hand leadership to a member (default: the most caught-up voter)')
      .argument('[to]', 'the member id to hand leadership to'),
  ).action((to: string | undefined, flags: ClientFlags) =>
    runAction(async () => {
      const result = await clientFrom(flags).transferLeader(to);
      writeOut(`leader is ${result.leaderId}`);
    }),
  );
  return leader;
}
