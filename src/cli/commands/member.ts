/** `keel member add|remove`: change the cluster's membership. */
import type { Command } from 'commander';
import { clientFrom, runAction, withClientFlags, withUsageExit, writeOut, type ClientFlags } from './common.js';

export function registerMemberCommands(program: Command): Command {
  const member = withUsageExit(program.command('member')).description('add or remove cluster members');
  withClientFlags(
    member
      .command('add')
      .description('add a member: it joins as a learner and becomes a voter once caught up')
      .argument('<id>', 'the new member id, e.g. n4')
      .argument('<peerAddress>', 'its raft peer address, e.g. 127.0.0.1:7004')
      .option('--http <addr>', 'its HTTP address, e.g. 127.0.0.1:8004'),
  ).action((id: string, peerAddress: string, flags: ClientFlags & { http?: string }) =>
    runAction(async () => {
      await clientFrom(flags).addMember({ id, peerAddress, ...(flags.http === undefined ? {} : { httpAddress: flags.http }) });
      writeOut(`member ${id} added`);
    }),
  );
  withClientFlags(member.command('remove').description('remove a member').argument('<id>', 'the member id')).action((id: string, flags: ClientFlags) =>
    runAction(async () => {
      await clientFrom(flags).removeMember(id);
      writeOut(`member ${id} removed`);
    }),
  );
  return member;
}
