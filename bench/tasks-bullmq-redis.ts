/**
 * A redis-server for the BullMQ baseline, in its durable configuration: `appendonly yes`,
 * `appendfsync always` (every write fsynced to the AOF before the reply), RDB snapshots off
 * (`save ""`: a fork mid-run would only add noise; the AOF is the durability), loopback only, a free
 * port, its data directory under the caller's work directory. Started and stopped by PID; it dies
 * with this process (`setpriv --pdeathsig KILL` where available).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePorts } from '../src/runtime/free-ports.js';
import { sleep } from './tasks-bullmq-module.js';
import { killChild, spawnChild, stopChild, type Child } from './tasks-bullmq-procs.js';

const readyTimeoutMs = 10_000;
const pingTimeoutMs = 1_000;
const pollIntervalMs = 50;
/** A fresh port can be taken by someone else between choosing it and redis binding it: try again. */
const startAttemptsMax = 3;
/** Shutdown with `appendfsync always` has nothing left to write; 10 s is generous. */
const stopGraceMs = 10_000;

export const redisSettings = {
  appendonly: 'yes',
  appendfsync: 'always',
  save: '',
  bind: '127.0.0.1',
  'maxmemory-policy': 'noeviction', // BullMQ requires it (also redis's default)
} as const;

export interface RedisServer {
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  readonly version: string | null;
  stop(): Promise<void>;
}

/** `setpriv --pdeathsig KILL` (util-linux): execs redis-server (same PID), which then dies with this process. */
const deathSignalWrapper: readonly string[] = (() => {
  try {
    execFileSync('setpriv', ['--pdeathsig', 'KILL', 'true'], { stdio: 'ignore', timeout: 5_000 });
    return ['setpriv', '--pdeathsig', 'KILL'];
  } catch {
    return []; // not Linux or no util-linux: killAllChildren on exit and signals still stops it
  }
})();

export function redisVersion(): string | null {
  try {
    const out = execFileSync('redis-server', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    return /v=(\S+)/.exec(out)?.[1] ?? out.trim();
  } catch {
    return null; // not installed: startRedis reports it
  }
}

export async function startRedis(workDir: string): Promise<RedisServer> {
  const version = redisVersion();
  if (version === null) throw new Error('redis-server not found: apt-get install -y redis-server');
  const dir = join(workDir, 'redis');
  await mkdir(dir, { recursive: true });
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= startAttemptsMax; attempt++) {
    const [port] = await freePorts(1);
    const child = await spawnRedis(dir, port!);
    try {
      await waitForPong(child, port!);
      return { port: port!, pid: child.pid, dir, version, stop: () => stopChild(child, stopGraceMs) };
    } catch (error) {
      await killChild(child);
      lastError = new Error(`redis-server on port ${port} did not start: ${error instanceof Error ? error.message : String(error)}\n${logTail(dir)}`);
    }
  }
  throw lastError!;
}

async function spawnRedis(dir: string, port: number): Promise<Child> {
  const args = [
    '--port', String(port), '--dir', dir, '--daemonize', 'no', '--protected-mode', 'yes',
    ...Object.entries(redisSettings).flatMap(([name, value]) => [`--${name}`, value]),
  ];
  const logFd = openSync(join(dir, 'redis.log'), 'a');
  try {
    const command = deathSignalWrapper.length > 0 ? deathSignalWrapper[0]! : 'redis-server';
    const prefix = deathSignalWrapper.length > 0 ? [...deathSignalWrapper.slice(1), 'redis-server'] : [];
    return await spawnChild({ name: `redis-${port}`, command, args: [...prefix, ...args], cwd: dir, stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd); // the child holds its own copy
  }
}

async function waitForPong(child: Child, port: number): Promise<void> {
  const deadline = performance.now() + readyTimeoutMs;
  for (;;) {
    if (!child.isAlive()) throw new Error('exited');
    if (await ping(port)) return;
    if (performance.now() > deadline) throw new Error(`no PONG within ${readyTimeoutMs} ms`);
    await sleep(pollIntervalMs);
  }
}

/** One inline PING; true on +PONG (false on refusal, a loading error or a timeout). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), pingTimeoutMs);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString('utf8');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}

function logTail(dir: string): string {
  try {
    return readFileSync(join(dir, 'redis.log'), 'utf8').trimEnd().split('\n').slice(-10).join('\n');
  } catch {
    return '(no redis.log)'; // the directory may be gone already
  }
}
