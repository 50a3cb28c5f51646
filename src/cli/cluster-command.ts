/**
 * `keel cluster up`: a local multi-process cluster in the foreground. Each node is a separate
 * `keel start` process with its own data directory; Ctrl-C stops them gracefully, a second
 * Ctrl-C kills them. The cluster secret is generated once and kept in the directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';

export interface LocalClusterLayout {
  readonly nodes: readonly { id: string; peer: string; http: string; data: string }[];
  readonly secret: string;
}

export function planLocalCluster(dir: string, count: number, peerPortBase: number, httpPortBase: number, host = '127.0.0.1'): LocalClusterLayout {
  mkdirSync(dir, { recursive: true });
  const secretFile = join(dir, 'cluster-secret');
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  const secret = readFileSync(secretFile, 'utf8').trim();
  const nodes = Array.from({ length: count }, (_, i) => ({
    id: `n${i + 1}`, peer: `${host}:${peerPortBase + i}`, http: `${host}:${httpPortBase + i}`, data: join(dir, `n${i + 1}`),
  }));
  return { nodes, secret };
}

/** Spawns `keel start` for one node of the layout, as this very CLI (same Node flags, same loader). */
export function spawnNode(layout: LocalClusterLayout, id: string, extraArgs: readonly string[] = [], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const node = layout.nodes.find((n) => n.id === id);
  if (node === undefined) throw new Error(`no node ${id} in the layout`);
  const peers = layout.nodes.map((n) => `${n.id}=${n.peer}`).join(',');
  const args = [...process.execArgv, process.argv[1]!, 'start', '--id', id, '--listen', node.peer, '--http', node.http, '--peers', peers, '--data', node.data, ...extraArgs];
  // Own process group: a terminal's Ctrl-C reaches only the parent, which stops the nodes in order.
  // The nodes watch their stdin instead: if the parent dies, even by SIGKILL, they stop too.
  return spawn(process.execPath, args, {
    env: { ...process.env, KEEL_SECRET: layout.secret, KEEL_EXIT_WITH_PARENT: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'], detached: true,
  });
}

function port(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 65_000) throw new InvalidArgumentError(`${name} must be a port number`);
    return n;
  };
}

export function registerClusterCommand(program: Command): void {
  const cluster = program.command('cluster').description('local multi-process clusters');
  cluster
    .command('up')
    .description('run a local cluster in the foreground (Ctrl-C stops it cleanly; twice kills it)')
    .option('--nodes <n>', '3 or 5', (v) => {
      if (v !== '1' && v !== '3' && v !== '5') throw new InvalidArgumentError('--nodes must be 1, 3 or 5');
      return Number(v);
    }, 3)
    .option('--dir <path>', 'data directory; one sub-directory per node', '.keel')
    .option('--peer-port <n>', 'first peer port', port('--peer-port'), 7001)
    .option('--http-port <n>', 'first HTTP port', port('--http-port'), 8001)
    .option('--log-level <level>', 'node log level', 'info')
    .action((options: { nodes: number; dir: string; peerPort: number; httpPort: number; logLevel: string }) => {
      const layout = planLocalCluster(options.dir, options.nodes, options.peerPort, options.httpPort);
      const children = new Map<string, ChildProcess>();
      for (const node of layout.nodes) {
        const child = spawnNode(layout, node.id, ['--log-level', options.logLevel], { KEEL_LOG_PRETTY: process.stdout.isTTY ? '1' : '0' });
        children.set(node.id, child);
        prefixLines(child, node.id);
        child.on('exit', (code, signal) => {
          children.delete(node.id);
          process.stdout.write(`[${node.id}] exited (${signal ?? `code ${code}`})\n`);
          if (children.size === 0) process.exit(stopping ? 0 : 1);
        });
      }
      process.stdout.write(`keel cluster: ${options.nodes} nodes, data in ${options.dir}\n`);
      for (const node of layout.nodes) process.stdout.write(`  ${node.id}  http://${node.http}  peer ${node.peer}  data ${node.data}\n`);
      process.stdout.write(`endpoints: ${layout.nodes.map((n) => `http://${n.http}`).join(',')}\n`);
      process.stdout.write('Ctrl-C stops every node cleanly; press it twice to kill them.\n');
      let stopping = false;
      let firstSignalAt = 0;
      const onSignal = (): void => {
        if (!stopping) {
          stopping = true;
          firstSignalAt = Date.now();
          process.stdout.write('\nstopping every node (Ctrl-C again to kill)...\n');
          for (const child of children.values()) child.kill('SIGTERM');
        } else if (Date.now() - firstSignalAt > 1_000) {
          // (npm and tsx relay the terminal's Ctrl-C too: only a deliberate second press kills.)
          for (const child of children.values()) child.kill('SIGKILL');
        }
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
}

function prefixLines(child: ChildProcess, id: string): void {
  for (const [stream, out] of [[child.stdout, process.stdout], [child.stderr, process.stderr]] as const) {
    let pending = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) out.write(`[${id}] ${line}\n`);
    });
  }
}
