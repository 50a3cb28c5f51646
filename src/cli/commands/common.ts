/** What every client command shares: endpoint flags, the client, and how errors and exit codes look. */
import { InvalidArgumentError, type Command } from 'commander';
import { clientDefaults, isKeelClientError, KeelClient, normalizeEndpoint } from '../../client/index.js';

export const defaultEndpoints = 'http://127.0.0.1:8001,http://127.0.0.1:8002,http://127.0.0.1:8003';

/** Exit codes: 1 when the cluster said no (or could not be reached), 2 for a malformed command line. */
export const exitFailure = 1;
export const exitUsage = 2;

/** A command line that cannot work, found after commander parsed it (a malformed endpoint). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface ClientFlags {
  readonly endpoints: string;
  readonly timeoutMs: number;
}

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

/** `a:1, http://b:2` -> normalized endpoint URLs, duplicates dropped. */
export function parseEndpoints(list: string): string[] {
  const endpoints: string[] = [];
  for (const item of list.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const normalized = normalizeEndpoint(item);
    if ('problem' in normalized) throw new UsageError(`--endpoints: ${normalized.problem}`);
    if (!endpoints.includes(normalized.endpoint)) endpoints.push(normalized.endpoint);
  }
  if (endpoints.length === 0) throw new UsageError('--endpoints lists no endpoint');
  return endpoints;
}

/** Adds --endpoints and --timeout-ms to a command that talks to the cluster. */
export function withClientFlags(command: Command): Command {
  return command
    .option('--endpoints <list>', 'comma-separated node HTTP endpoints (env KEEL_ENDPOINTS)', process.env.KEEL_ENDPOINTS ?? defaultEndpoints)
    .option('--timeout-ms <n>', 'timeout of each attempt', positiveInt('--timeout-ms'), clientDefaults.timeoutMs);
}

export function clientFrom(flags: ClientFlags): KeelClient {
  return new KeelClient({ endpoints: parseEndpoints(flags.endpoints), timeoutMs: flags.timeoutMs });
}

/**
 * Commander's own usage errors (unknown option, missing argument) print `error: Usage: ...` and
 * exit 2. Set on a command before its subcommands are added: they inherit it.
 */
export function withUsageExit(command: Command): Command {
  return command
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'error: Usage: ')) })
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : exitUsage));
}

/** One line for stderr: `error: <code>: <message>`. */
export function errorLine(code: string, message: string): string {
  return `error: ${code}: ${message.replace(/\s*\n\s*/g, ' ')}\n`;
}

/**
 * Runs a command's work: a client error prints one line and exits 1, a usage error exits 2.
 * Anything else is a bug and goes up to main.ts, which reports it.
 */
export async function runAction(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(errorLine('Usage', error.message));
      process.exitCode = exitUsage;
    } else if (isKeelClientError(error)) {
      process.stderr.write(errorLine(error.code, error.message));
      process.exitCode = exitFailure;
    } else {
      throw error;
    }
  }
}

export function writeOut(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
