/**
 * The real program on the real disk: a writer process is SIGKILLed at random moments; every
 * index it printed as acknowledged must be readable after reopening, with the right payload.
 * (SIGKILL keeps the page cache, so this checks the process path; power loss is the simulated
 * disk's job.)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeFileSystem } from '../src/runtime/node-fs.js';
import { Wal } from '../src/storage/index.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function runAndKill(dir: string, killAfterAcks: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/wal-writer.ts', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let maxAck = 0;
    let acks = 0;
    let buffered = '';
    const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('ack ')) continue;
        maxAck = Math.max(maxAck, Number(line.slice(4)));
        if (++acks === killAfterAcks) child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(timeout);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited without being killed (signal ${signal})`));
      else resolve(maxAck);
    });
  });
}

describe('WAL under SIGKILL (real processes, real disk)', () => {
  it('every acknowledged record survives kill -9 at random moments, across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keel-sigkill-'));
    dirs.push(dir);
    let acknowledged = 0;
    for (const killAfter of [37, 400, 1, 1500, 250]) {
      acknowledged = Math.max(acknowledged, await runAndKill(dir, killAfter));
      const { wal, report } = await Wal.open({ fs: nodeFileSystem, dir, segmentSizeBytes: 256 * 1024, recordPayloadBytesMax: 4096 });
      expect(report.lastIndex ?? 0).toBeGreaterThanOrEqual(acknowledged);
      const records = await wal.read(1, report.lastIndex! + 1);
      records.forEach((r, i) => {
        expect(r.index).toBe(i + 1);
        expect(new TextDecoder().decode(r.payload)).toBe(`record-${r.index}-`.padEnd(200, 'x'));
      });
      await wal.close();
    }
    expect(acknowledged).toBeGreaterThan(1000);
  });
});
