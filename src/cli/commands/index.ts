/** The client commands of `keel`: status, kv, member, leader, job, workers. */
import type { Command } from 'commander';
import { registerJobCommands } from './job.js';
import { registerKvCommands } from './kv.js';
import { registerLeaderCommands } from './leader.js';
import { registerMemberCommands } from './member.js';
import { registerStatusCommand } from './status.js';

export { registerJobCommands, registerKvCommands, registerLeaderCommands, registerMemberCommands, registerStatusCommand };

/** Registers every client command on `program`. */
export function registerClientCommands(program: Command): void {
  registerStatusCommand(program);
  registerKvCommands(program);
  registerMemberCommands(program);
  registerLeaderCommands(program);
  registerJobCommands(program);
}
