/**
 * BullMQ for the `bench:tasks` baseline, kept out of Keel's own dependencies: it lives in
 * `bench/bullmq/` (its own package.json and lock file) and is installed there on first use.
 *
 * Why not a dependency of Keel: BullMQ's msgpackr has optional native packages that the npm mirror
 * used here lacks, which breaks `npm ci` of the main package. And since BullMQ 6, `ioredis` is an
 * optional peer dependency, so `bench/bullmq/package.json` pins both.
 *
 * BullMQ is loaded through `createRequire` with a path computed at run time (its CommonJS build,
 * the one in which it can load `ioredis` itself), and the few types used here are declared below,
 * so that `tsc` never needs `bench/bullmq/node_modules` (a fresh clone typechecks without it).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('..', import.meta.url));
export const bullmqDir = join(projectRoot, 'bench', 'bullmq');
/** A cold `npm install` of BullMQ and ioredis takes seconds; a stuck registry must not hang the bench. */
const installTimeoutMs = 300_000;

export function progress(message: string): void {
  process.stderr.write(`[bench:tasks] ${message}\n`);
}

/** Epoch milliseconds with sub-millisecond resolution, comparable between processes of one machine. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- The subset of BullMQ's API this benchmark uses (checked against bullmq 6.7.0's .d.ts) ----

export interface BullConnection {
  readonly host: string;
  readonly port: number;
}

export interface BullJob<Data> {
  readonly id?: string | undefined;
  readonly data: Data;
  /** Epoch ms at which the producer added the job. */
  readonly timestamp: number;
  /** How many times a processor has started this job (1 on the first attempt). */
  readonly attemptsStarted: number;
}

export interface BullQueue<Data> {
  add(name: string, data: Data): Promise<BullJob<Data>>;
  addBulk(jobs: readonly { readonly name: string; readonly data: Data }[]): Promise<BullJob<Data>[]>;
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}

/** Worker options; what is left out stays at BullMQ's default. */
export interface BullWorkerOptions {
  readonly connection: BullConnection;
  readonly concurrency: number;
}

export interface BullWorker<Data> {
  on(event: 'completed', listener: (job: BullJob<Data>, result: unknown) => void): unknown;
  on(event: 'failed', listener: (job: BullJob<Data> | undefined, error: Error) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  waitUntilReady(): Promise<unknown>;
  close(force?: boolean): Promise<void>;
}

export interface BullmqModule {
  readonly Queue: new <Data>(name: string, opts: { readonly connection: BullConnection }) => BullQueue<Data>;
  readonly Worker: new <Data>(name: string, processor: (job: BullJob<Data>) => Promise<unknown>, opts: BullWorkerOptions) => BullWorker<Data>;
}

// ---- Installation and loading ----

function installed(): boolean {
  return existsSync(join(bullmqDir, 'node_modules', 'bullmq', 'package.json'))
    && existsSync(join(bullmqDir, 'node_modules', 'ioredis', 'package.json'));
}

/** Installs bench/bullmq's dependencies when they are missing (npm's output goes to stderr: stdout carries JSON only). */
export async function ensureBullmqInstalled(): Promise<void> {
  if (installed()) return;
  progress(`BullMQ is not installed: npm install --no-audit --no-fund --prefix ${bullmqDir} (once; bench/bullmq/node_modules is not committed)`);
  const child = spawn('npm', ['install', '--no-audit', '--no-fund', '--prefix', bullmqDir], {
    cwd: projectRoot, stdio: ['ignore', 2, 2],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), installTimeoutMs);
  try {
    const code = await new Promise<number | string>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (exitCode, signal) => resolve(exitCode ?? signal ?? 'unknown'));
    });
    if (code !== 0) throw new Error(`npm install --prefix ${bullmqDir} failed (${code}); see npm's output above`);
  } finally {
    clearTimeout(timer);
  }
  if (!installed()) throw new Error(`npm install --prefix ${bullmqDir} succeeded but bullmq or ioredis is still missing`);
}

/** BullMQ's CommonJS build from bench/bullmq (call ensureBullmqInstalled first). */
export function loadBullmq(): BullmqModule {
  if (!installed()) throw new Error(`BullMQ is not installed in ${bullmqDir}: run ensureBullmqInstalled() first`);
  const requireFromBullmqDir = createRequire(join(bullmqDir, 'package.json'));
  return requireFromBullmqDir('bullmq') as BullmqModule;
}

/** Installed versions, for the report. */
export function bullmqVersions(): { readonly bullmq: string; readonly ioredis: string } {
  const version = (name: string): string =>
    (JSON.parse(readFileSync(join(bullmqDir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  return { bullmq: version('bullmq'), ioredis: version('ioredis') };
}
