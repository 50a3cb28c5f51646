/**
 * One chaos run: start a real cluster behind link proxies, run the workload and the seeded
 * nemesis for `timeSec`, heal everything, require new commits within 10 s (liveness), read the
 * final state, stop the cluster, then check and report (history, nemesis log, summary, plot).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../core/prng.js';
import { ChaosCluster } from './cluster.js';
import { Nemesis } from './nemesis.js';
import { renderSummaryHtml } from './plot.js';
import { writeRunOutputs } from './records.js';
import { summarize } from './summarize.js';
import type { ChaosSummary, NemesisKind, WorkloadKind } from './types.js';
import { Workload } from './workload.js';

export interface ChaosRunOptions {
  readonly nodes: number;
  readonly timeSec: number;
  readonly nemeses: readonly NemesisKind[];
  readonly workload: WorkloadKind;
  readonly clients: number;
  readonly seed: number;
  readonly out: string;
  /** Extra `keel start` flags (the unsafe mutation runs). */
  readonly nodeArgs?: readonly string[];
  /** How to run the keel CLI for the nodes (tests: ['--import', 'tsx', 'src/cli/main.ts']). */
  readonly command?: readonly string[];
  readonly log?: (line: string) => void;
}

const livenessWindowMs = 10_000;

export async function runChaos(options: ChaosRunOptions): Promise<ChaosSummary> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  mkdirSync(options.out, { recursive: true });
  // Time zero is reset once the cluster serves, so start-up does not count against availability.
  let t0 = process.hrtime.bigint();
  const nowNs = (): number => Number(process.hrtime.bigint() - t0);
  const random = seededRandom(options.seed);
  const cluster = await ChaosCluster.start({
    nodes: options.nodes, dir: join(options.out, 'cluster'),
    ...(options.command === undefined ? {} : { command: options.command }),
    ...(options.nodeArgs === undefined ? {} : { extraArgs: options.nodeArgs }),
  });
  let stopping = false;
  const workload = new Workload(options.workload, {
    endpoints: cluster.endpoints, random: seededRandom(options.seed ^ 0x5eed), requestTimeoutMs: 1_000, nowNs,
    stopped: () => stopping,
  });
  const nemesis = new Nemesis(cluster, {
    kinds: options.nemeses, startMs: 2_000, endMs: Math.max(2_500, options.timeSec * 1_000 - 1_000), random, nowNs,
    log: (line) => log(`[${(nowNs() / 1e9).toFixed(1)}s] ${line}`),
  });
  try {
    await waitForLeader(cluster.endpoints, 20_000);
    t0 = process.hrtime.bigint();
    log(`cluster up: ${options.nodes} nodes; workload ${options.workload} with ${options.clients} clients; nemesis ${options.nemeses.join(',') || 'none'}; seed ${options.seed}`);
    const clients = workload.run(options.clients);
    nemesis.start();
    const progress = setInterval(() => {
      const ok = workload.history.filter((o) => o.status === 'ok').length;
      log(`[${(nowNs() / 1e9).toFixed(1)}s] ops ${workload.history.length} (ok ${ok})`);
    }, 5_000);
    await sleep(options.timeSec * 1_000);
    clearInterval(progress);
    await nemesis.healAll();
    const finalHealNs = nowNs();
    log(`[${(finalHealNs / 1e9).toFixed(1)}s] final heal: every link restored, every node running`);
    // Liveness: keep the clients going until a write commits after the heal (bounded), then a bit more.
    const until = Date.now() + livenessWindowMs + 1_000;
    while (Date.now() < until && workload.okWritesSince(finalHealNs) === 0) await sleep(100);
    await sleep(1_000);
    stopping = true;
    await clients;
    const finalRead = options.workload === 'set' ? await workload.readSet(10_000) : null;
    const durationNs = nowNs();
    const setFinal = options.workload === 'set'
      ? {
        acknowledged: [...workload.added].filter(([, s]) => s === 'ok').map(([e]) => e),
        indeterminate: [...workload.added].filter(([, s]) => s === 'info').map(([e]) => e),
        finalRead,
      }
      : undefined;
    const summary = summarize({
      seed: options.seed, nodes: options.nodes, workload: options.workload, nemeses: options.nemeses, durationNs, finalHealNs,
      history: workload.history, faults: nemesis.faults, ...(setFinal === undefined ? {} : { setFinal }),
    });
    const html = renderSummaryHtml(summary, workload.history, nemesis.faults);
    await writeRunOutputs(options.out, { history: workload.history, faults: nemesis.faults, summary, html });
    return summary;
  } finally {
    stopping = true;
    await cluster.stop();
  }
}

async function waitForLeader(endpoints: readonly string[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    for (const endpoint of endpoints) {
      try {
        const response = await fetch(`${endpoint}/healthz`, { signal: AbortSignal.timeout(500) });
        if (response.ok) return;
      } catch {
        // not up yet
      }
    }
    await sleep(200);
  }
  throw new Error(`no node became healthy within ${timeoutMs / 1000} s (see the node logs in --out/cluster)`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
