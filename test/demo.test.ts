/**
 * `keel demo` end to end, from the sources: a 3-node cluster and 3 workers as real processes, a
 * word count over a small generated corpus under the whole fault sequence (kill -9 of a worker,
 * a paused worker that returns as a zombie, kill -9 of the leader, restarts), then the recovery
 * report and a result that must equal the single-process count.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { shippedCorpus, writeCorpus } from '../src/cli/demo/corpus-generator.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function runDemo(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // The demo's children exit with it (KEEL_EXIT_WITH_PARENT), so killing it cleans up.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('keel demo', () => {
  it('survives the fault sequence and prints `result verified: identical` with the recovery report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-demo-'));
    dirs.push(dir);
    writeCorpus(join(dir, 'corpus'), { ...shippedCorpus, seed: 7, books: 2, bytesPerBook: 200_000, vocabularySize: 5_000 });
    const { code, stdout, stderr } = await runDemo(['--corpus', join(dir, 'corpus'), '--dir', join(dir, 'cluster'), '--duration', '12'], 110_000);
    const output = `${stdout}\n${stderr}`;
    expect(code, output).toBe(0);
    expect(stdout).toContain('result verified: identical');
    // Announced as they happen.
    expect(stderr).toMatch(/FAULT kill -9 worker w1 \(mid-task\): pid \d+/);
    expect(stderr).toMatch(/FAULT pause worker w2/);
    expect(stderr).toMatch(/FAULT kill -9 the Raft leader n\d: pid \d+/);
    expect(stderr).toMatch(/FAULT resume worker w2/);
    // The report, fault by fault.
    expect(stdout).toMatch(/1\. kill -9 worker w1 at [\d.]+ s, holding \d+ tasks?\n\s+detected in \d+ ms/);
    expect(stdout).toMatch(/tasks? rescheduled, running again on other workers \d+ ms after the fault/);
    expect(stdout).toMatch(/start worker w1b in place of w1 at [\d.]+ s: taking tasks after [\d.]+ m?s/);
    expect(stdout).toMatch(/pause worker w2 \(SIGSTOP\) at [\d.]+ s, holding \d+ tasks?\n\s+detected in [\d.]+ m?s by the new leader n\d/);
    expect(stdout).toMatch(/kill -9 the Raft leader (n\d) at [\d.]+ s\n\s+new leader n\d \(term \d+\) elected \d+ ms after the kill/);
    expect(stdout).toMatch(/resume worker w2 \(SIGCONT\) at [\d.]+ s: a zombie whose tasks were taken over\n\s+its stale work refused by fencing tokens: \d+ results?, \d+ checkpoints?/);
    expect(stdout).toMatch(/restart node n\d at [\d.]+ s on its data directory\n\s+answering after [\d.]+ m?s .*serving after [\d.]+ m?s/);
    expect(stdout).toMatch(/\d+ map tasks \+ 1 reduce in [\d.]+ s: [\d,]+ attempts \([\d,]+ rescheduled\), 0 dead letters/);
    expect(stdout).toMatch(/work saved by checkpoints: [\d,]+ lines/);
    expect(stdout).toMatch(/zombie results rejected: \d+/);
    expect(stdout).toMatch(/leaders: n\d \(term \d+\) -> n\d \(term \d+\)/);
    expect(stdout).not.toContain('not run (the job finished first)');
    // The result: the top words of the generated English.
    expect(stdout).toMatch(/top 10:\n\s+1\. the\s+[\d,]+\n\s+2\. of\s+[\d,]+/);
  }, 120_000);
});
