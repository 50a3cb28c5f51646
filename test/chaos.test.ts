/**
 * The chaos harness on real processes, short: one run that must pass (kill -9 and partitions,
 * 3 nodes, register workload checked for linearizability), and one against nodes started with
 * an unsafe flag that the checker must catch. Long runs: `npm run chaos:long`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runChaos } from '../src/chaos/run.js';

const command = ['--import', 'tsx', 'src/cli/main.ts'];
let out: string | undefined;
afterEach(() => {
  if (out !== undefined) rmSync(out, { recursive: true, force: true });
  out = undefined;
});

describe('keel chaos (real processes)', () => {
  it('a 3-node cluster under kill -9 and partitions stays linearizable, recovers from every fault and commits after the heal', async () => {
    out = mkdtempSync(join(tmpdir(), 'keel-chaos-'));
    const summary = await runChaos({ nodes: 3, timeSec: 25, nemeses: ['kill', 'partition'], workload: 'register', clients: 6, seed: 3, out, command, log: () => undefined });
    expect(summary.violations).toEqual([]);
    expect(summary.linearizable).toBe(true);
    expect(summary.faults.length).toBeGreaterThan(0);
    expect(summary.recoveryRate).toBe(1);
    expect(summary.liveness.ok).toBe(true);
    expect(summary.ops.ok).toBeGreaterThan(500);
    for (const file of ['history.jsonl', 'nemesis.jsonl', 'summary.json', 'summary.html']) expect(readFileSync(join(out, file), 'utf8').length).toBeGreaterThan(0);
  }, 120_000);

  it('catches nodes that serve "linearizable" reads without ReadIndex (mutation)', async () => {
    out = mkdtempSync(join(tmpdir(), 'keel-chaos-'));
    const summary = await runChaos({ nodes: 3, timeSec: 12, nemeses: ['partition'], workload: 'register', clients: 6, seed: 5, out, command, nodeArgs: ['--unsafe-stale-reads'], log: () => undefined });
    expect(summary.linearizable).toBe(false);
    expect(summary.violations.join('\n')).toMatch(/not linearizable/);
  }, 120_000);
});
