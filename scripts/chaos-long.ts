/**
 * `npm run chaos:long`: many chaos runs across seeds, cluster sizes and nemesis mixes; prints one
 * line per run and, at the end, JSON totals: operations, violations (must be 0), recovery time
 * per fault kind (median, p99) and the recovery rate. Options: --runs N (20) --time S (60)
 * --start SEED (1) --out DIR (chaos-long).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runChaos } from '../src/chaos/run.js';
import type { ChaosSummary, NemesisKind } from '../src/chaos/types.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, time: { type: 'string', default: '60' }, start: { type: 'string', default: '1' }, out: { type: 'string', default: 'chaos-long' } } });
const runs = Number(values.runs);
const timeSec = Number(values.time);
const start = Number(values.start);

const mixes: { nodes: number; nemeses: NemesisKind[]; workload: 'register' | 'set' }[] = [
  { nodes: 3, nemeses: ['kill', 'partition'], workload: 'register' },
  { nodes: 5, nemeses: ['kill', 'pause', 'partition', 'leader-transfer'], workload: 'register' },
  { nodes: 5, nemeses: ['kill', 'pause', 'partition', 'restart-wipe', 'leader-transfer', 'membership'], workload: 'set' },
  { nodes: 3, nemeses: ['pause', 'partition', 'leader-transfer'], workload: 'set' },
  { nodes: 5, nemeses: ['kill', 'partition', 'membership'], workload: 'register' },
];

const summaries: ChaosSummary[] = [];
const started = Date.now();
for (let i = 0; i < runs; i++) {
  const seed = start + i;
  const mix = mixes[i % mixes.length]!;
  const out = join(values.out, `run-${seed}`);
  const summary = await runChaos({ ...mix, timeSec, clients: 10, seed, out, command: ['--import', 'tsx', 'src/cli/main.ts'], log: () => undefined });
  summaries.push(summary);
  process.stderr.write(`run ${i + 1}/${runs} seed ${seed} ${mix.nodes} nodes ${mix.workload} ${mix.nemeses.join(',')}: ${summary.ops.total} ops, ${summary.faults.length} faults, `
    + `linearizable ${String(summary.linearizable)}, recovery rate ${summary.recoveryRate}, violations ${summary.violations.length}`
    + ` (${Math.round((Date.now() - started) / 1000)} s)\n`);
}

const byKind = new Map<string, number[]>();
let faults = 0;
let recovered = 0;
for (const s of summaries) {
  for (const f of s.faults) {
    faults += 1;
    if (f.recovered) recovered += 1;
    if (f.recoveryMs !== null) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f.recoveryMs]);
  }
}
const quantile = (xs: number[], q: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const report = {
  runs, timeSec, totalOps: summaries.reduce((n, s) => n + s.ops.total, 0), okOps: summaries.reduce((n, s) => n + s.ops.ok, 0),
  violations: summaries.reduce((n, s) => n + s.violations.length, 0),
  failedRuns: summaries.filter((s) => s.violations.length > 0).map((s) => ({ seed: s.seed, violations: s.violations })),
  faults, recoveryRate: faults === 0 ? 1 : recovered / faults,
  recoveryMsByKind: Object.fromEntries([...byKind].map(([kind, xs]) => [kind, { count: xs.length, median: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: Math.max(...xs) }])),
  availabilityMean: summaries.reduce((n, s) => n + s.availability, 0) / Math.max(1, summaries.length),
  wallSeconds: Math.round((Date.now() - started) / 1000),
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.exitCode = report.violations === 0 ? 0 : 1;
