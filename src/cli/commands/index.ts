/** The client commands of `keel`: status, kv, member, leader. */
import type { Command } from 'commander';
import { registerKvCommands } from './kv.js';
import { registerLeaderCommands } from './leader.js';
import { registerMemberCommands } from './member.js';
import { registerStatusCommand } from './status.js';

export { registerKvCommands, registerLeaderCommands, registerMemberCommands, registerStatusCommand };

/** Registers every client command on `program`. */
export function registerClientCommands(program: Command): void {
  registerStatusCommand(program);
  registerKvCommands(program);
  registerMemberCommands(program);
  registerLeaderCommands(program);
}
