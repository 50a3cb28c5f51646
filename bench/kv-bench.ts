/**
 * `npm run bench:kv [-- --quick] [-- --seconds <s>] [-- --dir <parent>] [-- --only keel|etcd]`
 *
 * Measures Keel's replicated KV (a real 3-process cluster) against etcd (a real 3-process cluster)
 * on this machine in the same run, with the same HTTP workload from this process, and prints ONE
 * JSON document on stdout (progress and a short summary on stderr). It reports; it does not assert
 * (exit code 0 when the run completes). Fields are described in bench/BENCHMARKS.md.
 */
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { failoverTrial, type FailoverTrial, type KvCluster, type SystemName } from './kv-cluster.js';
import { EtcdCluster, etcdVersion } from './kv-etcd.js';
import { KeelCluster } from './kv-keel.js';
import { KvSeries, runSlice } from './kv-load.js';
import { BenchRun, progress, sleep } from './kv-procs.js';
import { gitCommit, machineInfo } from './machine.js';
import { median, round, type TimedWindow } from './measure.js';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const etcdInstallHint = 'etcd not installed: apt-get install -y etcd-server';

interface Workload {
  readonly name: string;
  readonly op: 'put' | 'get';
  readonly clients: number;
}

const workloads: readonly Workload[] = [
  { name: 'write-seq', op: 'put', clients: 1 },
  { name: 'write-16', op: 'put', clients: 16 },
  { name: 'write-64', op: 'put', clients: 64 },
  { name: 'read-16', op: 'get', clients: 16 },
];
/** Keys each workload cycles through (overwrites), so that state stays small for both systems. */
const keySpace = 1_000;
const sliceSecondsTarget = 1;
/** Idle time between two slices: background work of one system (batched commits, checkpoints) settles. */
const sliceGapMs = 150;
const secondsMax = 120;

class UsageError extends Error {}

const usage = 'usage: npm run bench:kv -- [--quick] [--seconds <per cell, default 8; --quick 3>] [--only keel|etcd] [--failovers <n>] '
  + '[--node-arg <node flag for the Keel nodes, e.g. --cpu-prof>]... [--dir <parent of the data dir, default bench/out>]';

interface Settings {
  readonly quick: boolean;
  readonly secondsPerCell: number;
  readonly rounds: number;
  readonly window: TimedWindow;
  readonly payloadSizes: readonly number[];
  readonly failoverTrials: number;
  readonly systems: readonly SystemName[];
  readonly keelNodeArgs: readonly string[];
  readonly parentDir: string;
}

function parseSettings(): Settings {
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        quick: { type: 'boolean', default: false },
        seconds: { type: 'string' },
        dir: { type: 'string' },
        only: { type: 'string' },
        failovers: { type: 'string' },
        'node-arg': { type: 'string', multiple: true, default: [] },
      },
      strict: true,
    });
    const quick = values.quick;
    const seconds = values.seconds === undefined ? (quick ? 3 : 8) : Number(values.seconds);
    if (!(Number.isFinite(seconds) && seconds > 0 && seconds <= secondsMax)) throw new Error(`--seconds must be a number in (0, ${secondsMax}], got "${values.seconds}"`);
    const failoverTrials = values.failovers === undefined ? (quick ? 1 : 3) : Number(values.failovers);
    if (!(Number.isSafeInteger(failoverTrials) && failoverTrials >= 0 && failoverTrials <= 20)) throw new Error(`--failovers must be an integer in [0, 20], got "${values.failovers}"`);
    if (values.only !== undefined && values.only !== 'keel' && values.only !== 'etcd') throw new Error(`--only must be keel or etcd, got "${values.only}"`);
    const rounds = Math.max(2, Math.round(seconds / sliceSecondsTarget));
    return {
      quick,
      secondsPerCell: seconds,
      rounds,
      window: { warmupMs: 200, durationMs: (seconds * 1000) / rounds },
      payloadSizes: quick ? [128] : [128, 1024],
      failoverTrials,
      systems: values.only === undefined ? ['keel', 'etcd'] : [values.only],
      keelNodeArgs: values['node-arg'],
      parentDir: resolve(values.dir ?? join(projectRoot, 'bench', 'out')),
    };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** A printable value of `size` bytes (Keel values are strings; etcd gets the same bytes in base64). */
function makeValue(size: number, seed: number): string {
  let value = '';
  for (let i = 0; i < size; i++) value += String.fromCharCode(97 + ((i * 7 + seed * 13) % 26));
  return value;
}

function keyFor(prefix: string, client: number, n: number): string {
  return `${prefix}/${(client * 7919 + n * 13) % keySpace}`;
}

type Clusters = Partial<Record<SystemName, KvCluster>>;

interface Cell {
  readonly workload: Workload;
  readonly payloadBytes: number;
  readonly series: Partial<Record<SystemName, KvSeries>>;
  readonly target: Partial<Record<SystemName, string>>;
}

/** Writes every key of a read workload's key space, 16 at a time (set-up, not timed). */
async function preload(cluster: KvCluster, prefix: string, value: string): Promise<void> {
  const leader = await cluster.waitReady(10_000);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keySpace) {
      const i = next++;
      await cluster.put(leader.endpoint, `${prefix}/${i}`, value);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/**
 * One workload at one payload size: `rounds` slices per system, interleaved (keel, etcd, etcd,
 * keel, ...) so that both see the same mix of the disk's fast and slow spells.
 */
async function measureCell(clusters: Clusters, workload: Workload, payloadBytes: number, settings: Settings): Promise<Cell> {
  const prefix = `kvb/${payloadBytes}/${workload.name}`;
  const value = makeValue(payloadBytes, workload.clients);
  const systems = Object.keys(clusters) as SystemName[];
  const cell: Cell = { workload, payloadBytes, series: {}, target: {} };
  const endpoints = new Map<SystemName, KvCluster['members'][number]>();
  for (const system of systems) {
    const cluster = clusters[system]!;
    if (workload.op === 'get') await preload(cluster, prefix, value);
    const leader = await cluster.waitReady(10_000);
    endpoints.set(system, leader);
    cell.series[system] = new KvSeries();
    cell.target[system] = leader.name;
  }
  progress(`${payloadBytes} B ${workload.name}: ${settings.rounds} × ${(settings.window.durationMs / 1000).toFixed(2)} s per system, interleaved`);
  for (let r = 0; r < settings.rounds; r++) {
    for (const system of r % 2 === 0 ? systems : [...systems].reverse()) {
      const cluster = clusters[system]!;
      const endpoint = endpoints.get(system)!.endpoint;
      const op = workload.op === 'put'
        ? (client: number, n: number) => cluster.put(endpoint, keyFor(prefix, client, n), value)
        : (client: number, n: number) => cluster.get(endpoint, keyFor(prefix, client, n));
      const pids = { servers: cluster.pids(), all: Object.values(clusters).flatMap((c) => c.pids()) };
      await runSlice(cell.series[system]!, workload.clients, settings.window, pids, op);
      await sleep(sliceGapMs);
    }
  }
  return cell;
}

/**
 * Untimed load per system before anything is measured: 1 s of one writer, 16 writers filling the
 * 1 000 keys then 1 s more, 0.5 s of 16 readers (JIT tiering of every path the cells use, connection set-up, first files).
 */
async function warmUp(clusters: Clusters): Promise<void> {
  progress('warm-up (discarded): per system 1 s of 1 writer, 1 000 keys + 1 s of 16 writers, 0.5 s of 16 readers');
  for (const cluster of Object.values(clusters)) {
    const leader = await cluster.waitReady(10_000);
    const value = makeValue(128, 0);
    const none = { servers: [], all: [] };
    const put = (client: number, n: number) => cluster.put(leader.endpoint, keyFor('kvb/warmup', client, n), value);
    await runSlice(new KvSeries(), 1, { warmupMs: 0, durationMs: 1_000 }, none, put);
    await preload(cluster, 'kvb/warmup', value); // every key of the space, so that the reads below find them
    await runSlice(new KvSeries(), 16, { warmupMs: 0, durationMs: 1_000 }, none, put);
    await runSlice(new KvSeries(), 16, { warmupMs: 0, durationMs: 500 }, none, (client, n) => cluster.get(leader.endpoint, keyFor('kvb/warmup', client, n)));
  }
}

/** A put and a linearizable get through the leader, checking the value round-trips. */
async function checkRoundTrip(cluster: KvCluster): Promise<void> {
  const leader = await cluster.waitReady(10_000);
  const value = makeValue(1024, 3);
  await cluster.put(leader.endpoint, 'kvb/check', value);
  const body = await cluster.get(leader.endpoint, 'kvb/check');
  const got = cluster.system === 'keel' ? (JSON.parse(body) as { value?: string }).value : EtcdCluster.valueOf(body);
  if (got !== value) throw new Error(`${cluster.system}: read back ${JSON.stringify(got?.slice(0, 40))} after writing ${JSON.stringify(value.slice(0, 40))}…`);
}

interface FailoverResult {
  readonly trials: FailoverTrial[];
  readonly errors: string[];
}

async function measureFailovers(clusters: Clusters, trials: number): Promise<Partial<Record<SystemName, FailoverResult>>> {
  const results: Partial<Record<SystemName, FailoverResult>> = {};
  const systems = Object.keys(clusters) as SystemName[];
  for (const system of systems) results[system] = { trials: [], errors: [] };
  for (let t = 0; t < trials; t++) {
    for (const system of t % 2 === 0 ? systems : [...systems].reverse()) {
      progress(`failover ${t + 1}/${trials}: SIGKILL of the ${system} leader`);
      try {
        results[system]!.trials.push(await failoverTrial(clusters[system]!, 'kvb/failover', makeValue(128, t)));
      } catch (error) {
        results[system]!.errors.push(error instanceof Error ? error.message.split('\n')[0]! : String(error));
      }
    }
  }
  return results;
}

function failoverReport(result: FailoverResult | undefined): Record<string, unknown> | null {
  if (result === undefined) return null;
  return {
    electedMsMedian: round(median(result.trials.map((t) => t.electedMs)), 1),
    writableMsMedian: round(median(result.trials.map((t) => t.writableMs)), 1),
    trials: result.trials.map((t) => ({ ...t, electedMs: round(t.electedMs, 1), writableMs: round(t.writableMs, 1) })),
    ...(result.errors.length === 0 ? {} : { errors: result.errors }),
  };
}

function cellReport(cell: Cell): Record<string, unknown> {
  const keel = cell.series.keel;
  const etcd = cell.series.etcd;
  return {
    workload: cell.workload.name,
    op: cell.workload.op,
    clients: cell.workload.clients,
    payloadBytes: cell.payloadBytes,
    keel: keel === undefined ? null : { target: cell.target.keel, ...keel.report() },
    etcd: etcd === undefined ? null : { target: cell.target.etcd, ...etcd.report() },
    ratio: keel === undefined || etcd === undefined ? null : round(keel.opsPerSec / etcd.opsPerSec, 3),
  };
}

function fmt(value: unknown, width: number): string {
  const text = value === null || value === undefined ? '-' : typeof value === 'number' ? value.toLocaleString('en-US').replace(/,/g, ' ') : typeof value === 'string' ? value : JSON.stringify(value);
  return text.padStart(width);
}

function humanSummary(rows: readonly Record<string, unknown>[], failover: Record<string, unknown>): string {
  const lines = ['', 'payload  workload    |  keel ops/s   p50 ms   p99 ms |  etcd ops/s   p50 ms   p99 ms | keel/etcd'];
  for (const row of rows) {
    const k = row['keel'] as Record<string, unknown> | null;
    const e = row['etcd'] as Record<string, unknown> | null;
    lines.push(`${fmt(`${String(row['payloadBytes'])} B`, 7)}  ${String(row['workload']).padEnd(10)}  | ${fmt(k?.['opsPerSec'], 11)} ${fmt(k?.['p50Ms'], 8)} ${fmt(k?.['p99Ms'], 8)} | ${fmt(e?.['opsPerSec'], 11)} ${fmt(e?.['p50Ms'], 8)} ${fmt(e?.['p99Ms'], 8)} | ${fmt(row['ratio'], 9)}`);
  }
  const other = rows.flatMap((row) => ['keel', 'etcd'].map((s) => (row[s] as Record<string, unknown> | null)?.['otherCpuCores'])).filter((v): v is number => typeof v === 'number');
  const otherMax = Math.max(0, ...other);
  if (otherMax >= 0.2) lines.push(`note: other processes on this machine used up to ${otherMax} cores during a measured cell (otherCpuCores): figures are perturbed`);
  for (const system of ['keel', 'etcd'] as const) {
    const f = failover[system] as Record<string, unknown> | null | undefined;
    if (f !== null && f !== undefined) lines.push(`failover ${system}: new leader seen after ${fmt(f['electedMsMedian'], 0)} ms, first write after ${fmt(f['writableMsMedian'], 0)} ms (median of ${(f['trials'] as unknown[]).length})`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const settings = parseSettings();
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const run = await BenchRun.create(settings.parentDir);
  try {
    const version = settings.systems.includes('etcd') ? etcdVersion() : undefined;
    const wantEtcd = settings.systems.includes('etcd');
    if (wantEtcd && version === undefined) progress(`${etcdInstallHint}; measuring Keel only`);
    progress(`data in ${run.dir}; starting ${settings.systems.includes('keel') ? '3 Keel nodes' : ''}${settings.systems.length === 2 && version !== undefined ? ' and ' : ''}${version !== undefined ? `3 etcd members (${version})` : ''}`);
    const clusters: Clusters = {};
    if (settings.systems.includes('keel')) clusters.keel = await KeelCluster.start(run, projectRoot, settings.keelNodeArgs);
    if (version !== undefined) clusters.etcd = await EtcdCluster.start(run, version);
    const all = Object.values(clusters);
    await Promise.all(all.map((cluster) => cluster.waitReady(90_000)));
    for (const cluster of all) await checkRoundTrip(cluster);
    await warmUp(clusters);

    const cells: Cell[] = [];
    for (const payloadBytes of settings.payloadSizes) {
      for (const workload of workloads) cells.push(await measureCell(clusters, workload, payloadBytes, settings));
    }
    const failovers = settings.failoverTrials > 0 ? await measureFailovers(clusters, settings.failoverTrials) : {};
    const rows = cells.map(cellReport);
    const keelFailover = failoverReport(failovers.keel);
    const etcdFailover = failoverReport(failovers.etcd);
    const failover = settings.failoverTrials === 0 ? { skipped: '--failovers 0' } : {
      keel: keelFailover,
      etcd: etcdFailover,
      ratioWritableMs: keelFailover === null || etcdFailover === null ? null
        : round((keelFailover['writableMsMedian'] as number) / (etcdFailover['writableMsMedian'] as number), 3),
    };
    const others = cells.flatMap((cell) => Object.values(cell.series).map((series) => series.otherCpuMs / series.sliceWallMs)).filter(Number.isFinite);
    const commit = gitCommit(projectRoot);
    const report = {
      machine: machineInfo(run.dir),
      loadAverage: { start: loadAtStart.map((l) => round(l, 2)), end: loadavg().map((l) => round(l, 2)) },
      /** CPU used by processes other than this benchmark's during the measured cells (cores of the machine). */
      interference: {
        otherCpuCoresMean: round(others.reduce((a, b) => a + Math.max(0, b), 0) / others.length, 2),
        otherCpuCoresMax: round(Math.max(0, ...others), 2),
      },
      commit,
      commitShort: commit?.slice(0, 7) ?? null,
      date: startedAt.toISOString(),
      durationSeconds: round((Date.now() - startedAt.getTime()) / 1000, 1),
      settings: {
        quick: settings.quick,
        secondsPerCell: settings.secondsPerCell,
        rounds: settings.rounds,
        warmupSecondsPerRound: settings.window.warmupMs / 1000,
        payloadSizes: settings.payloadSizes,
        keySpace,
        failoverTrials: settings.failoverTrials,
        keelNodeArgs: settings.keelNodeArgs,
      },
      client: {
        http: 'node:http, one keep-alive Agent per endpoint, in this single Node process (shares the cores with the servers)',
        routing: 'every request goes to the current leader of each cluster (no forwarding hop)',
        model: 'closed loop: each client has one request in flight',
      },
      keel: clusters.keel?.describe() ?? null,
      etcd: clusters.etcd?.describe() ?? (wantEtcd ? { skipped: etcdInstallHint } : null),
      workloads: rows,
      failover,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(humanSummary(rows, failover));
  } finally {
    progress('stopping the clusters');
    await run.close();
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) process.stderr.write(`[bench:kv] ${error.message}\n${usage}\n`);
  else process.stderr.write(`[bench:kv] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
