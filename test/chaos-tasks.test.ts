/**
 * `keel chaos --workload tasks` on real processes, short: 3 nodes and 3 workers under worker
 * kill -9 (with replacements), worker SIGSTOP (zombies) and node kill -9; every task must commit
 * exactly once with the right output, none lost. Then the recorded jobs.jsonl of that very run is
 * doctored (a duplicate result, a zombie's output, a dropped result) to show the checks bite.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFaults } from '../src/chaos/records.js';
import { runChaos } from '../src/chaos/run.js';
import { summarize } from '../src/chaos/summarize.js';
import { parseJobs, type ChaosJobRecord } from '../src/chaos/task-records.js';
import type { ChaosSummary } from '../src/chaos/types.js';

const command = ['--import', 'tsx', 'src/cli/main.ts'];
const out = mkdtempSync(join(tmpdir(), 'keel-chaos-tasks-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('keel chaos --workload tasks (real processes)', () => {
  let summary: ChaosSummary | undefined;

  it('commits every task exactly once through worker kills, worker pauses and node kills', async () => {
    // Seed 12 schedules worker pauses, worker kills and a node kill into 20 s.
    summary = await runChaos({
      nodes: 3, timeSec: 20, nemeses: ['kill', 'worker-kill', 'worker-pause'], workload: 'tasks', clients: 4, workers: 3, seed: 12, out, command,
      log: () => undefined,
    });
    const t = summary.tasks!;
    console.log(JSON.stringify({ tasks: t, faults: summary.faults.map((f) => `${f.kind} ${f.detail}: ${f.recoveryMs} ms`) }));
    expect(summary.violations).toEqual([]);
    expect(summary.linearizable).toBe(true);
    expect(t).toMatchObject({ duplicates: 0, wrongOutputs: 0, staleResults: 0, lost: 0 });
    expect(t.committed).toBe(t.tasks);
    expect(t.committed).toBeGreaterThan(100);
    const kinds = new Set(summary.faults.map((f) => f.kind));
    expect([...kinds].sort()).toEqual(['kill', 'worker-kill', 'worker-pause']);
    expect(summary.recoveryRate).toBe(1);
    expect(t.workerRecovery.perTask.count).toBeGreaterThan(0);
    expect(t.zombieResultsRejected).not.toBeNull();
    expect(summary.liveness.ok).toBe(true);
    for (const file of ['jobs.jsonl', 'nemesis.jsonl', 'summary.json', 'summary.html']) expect(readFileSync(join(out, file), 'utf8').length).toBeGreaterThan(0);
  }, 180_000);

  it('the same recorded run, doctored, fails: a duplicate, a zombie\'s result, a lost task', () => {
    expect(summary).toBeDefined();
    const jobs = parseJobs(readFileSync(join(out, 'jobs.jsonl'), 'utf8'));
    const faults = parseFaults(readFileSync(join(out, 'nemesis.jsonl'), 'utf8'));
    const recheck = (doctored: ChaosJobRecord[]): ChaosSummary => summarize({
      seed: summary!.seed, nodes: summary!.nodes, workload: 'tasks', nemeses: summary!.nemeses, durationNs: summary!.durationMs * 1e6,
      finalHealNs: summary!.liveness.healAtMs * 1e6, history: [], faults,
      tasksFinal: { jobs: doctored, metrics: null, workers: summary!.tasks!.workers },
    });
    // Unchanged, the records give the same verdict.
    expect(recheck(jobs).violations).toEqual([]);
    const target = jobs.findIndex((j) => (j.results?.length ?? 0) > 1);
    const edit = (change: (job: ChaosJobRecord) => ChaosJobRecord): ChaosJobRecord[] => jobs.map((j, i) => (i === target ? change(j) : j));
    const results = jobs[target]!.results!;

    const duplicate = recheck(edit((j) => ({ ...j, results: [...results, results[0]!] })));
    expect(duplicate.tasks!.duplicates).toBe(1);
    expect(duplicate.violations.join('\n')).toMatch(/committed more than once/);

    const zombie = recheck(edit((j) => ({ ...j, results: results.map((r, i) => (i === 1 ? { ...r, attempts: r.attempts + 1 } : r)) })));
    expect(zombie.tasks!.staleResults).toBe(1);

    const lost = recheck(edit((j) => ({ ...j, results: results.slice(1), unfinished: [{ id: results[0]!.taskId, status: 'pending', attempt: 1 }] })));
    expect(lost.tasks!.lost).toBe(1);
    expect(lost.violations.join('\n')).toMatch(/lost/);
  });
});
