/**
 * The task engine end to end in one process: three real nodes, workers with handler threads,
 * jobs through the client. Worker death, zombies and leader loss across processes are in
 * tasks-process.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KeelClient } from '../src/client/index.js';
import { silentLogger } from '../src/server/logger.js';
import { KeelWorker } from '../src/worker/worker.js';
import { TestCluster, http } from './server.test-kit.js';

const tasksModule = new URL('./fixtures/tasks.ts', import.meta.url).pathname;
let cluster: TestCluster | undefined;
const workers: KeelWorker[] = [];

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()));
  await cluster?.close();
  cluster = undefined;
});

async function setup(workerCount: number, capacity = 4): Promise<KeelClient> {
  cluster = await TestCluster.start(3);
  await cluster.leader();
  const endpoints = ['n1', 'n2', 'n3'].map((id) => cluster!.url(id, ''));
  for (let i = 0; i < workerCount; i++) {
    const worker = new KeelWorker({ endpoints, tasksPath: tasksModule, capacity, workerId: `w${i + 1}`, logger: silentLogger, abortGraceMs: 300 });
    await worker.start();
    workers.push(worker);
  }
  return new KeelClient({ endpoints });
}

describe('task engine (3 nodes in-process, real worker threads)', () => {
  it('runs a job over two workers and commits every result once', async () => {
    const client = await setup(2);
    const job = await client.jobs.submit({ tasks: Array.from({ length: 40 }, (_, n) => ({ handler: 'square', input: { n } })) });
    const results = await job.result();
    expect(results).toHaveLength(40);
    expect(results.map((r) => (r.output as { square: number }).square).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, n) => n * n));
    expect(new Set(results.map((r) => r.worker))).toEqual(new Set(['w1', 'w2']));
    const status = await job.status();
    expect(status.counts.succeeded).toBe(40);
    expect(workers.reduce((n, w) => n + w.stats.succeeded, 0)).toBe(40);
  }, 30_000);

  it('map/reduce: the reduce task reads the map results', async () => {
    const client = await setup(1);
    const job = await client.jobs.submit({
      tasks: [
        ...[1, 2, 3].map((n) => ({ id: `m${n}`, handler: 'square', input: { n } })),
        { id: 'reduce', handler: 'sum', input: null, dependsOn: ['m1', 'm2', 'm3'] },
      ],
    });
    const results = await job.result();
    expect(results.find((r) => r.taskId === 'reduce')?.output).toBe(1 + 4 + 9);
  }, 30_000);

  it('bad handlers: errors reach the job, the worker survives and runs the next job', async () => {
    const client = await setup(1, 2);
    const bad = await client.jobs.submit({
      tasks: [
        { id: 'throws', handler: 'throws', input: null },
        { id: 'fatal', handler: 'fatal', input: null },
        { id: 'notJson', handler: 'notJson', input: null },
        { id: 'hangs', handler: 'hangs', input: null },
      ],
      maxAttempts: 2,
      timeouts: { startToCloseMs: 500 },
      backoff: { initialMs: 10, maxMs: 20 },
    });
    await expect(bad.result()).rejects.toThrow(/ended failed/);
    const status = await bad.status();
    expect(status.counts.deadLettered).toBe(4);
    const detail = async (id: string): Promise<any> => (await http('GET', cluster!.url('n1', `/v1/tasks/${bad.jobId}/${id}`))).json;
    expect((await detail('throws')).lastError.message).toContain('handler error on purpose');
    expect((await detail('throws')).attempt).toBe(2);
    expect((await detail('fatal')).attempt).toBe(1);
    expect((await detail('fatal')).lastError.message).toContain('not retryable');
    expect((await detail('notJson')).lastError.message).toContain('not JSON');
    expect((await detail('hangs')).lastError.reason).toBe('startToCloseTimeout');
    const good = await client.jobs.submit({ tasks: [{ handler: 'square', input: { n: 7 } }] });
    expect((await good.result())[0]!.output).toEqual({ n: 7, square: 49 });
  }, 30_000);

  it('a retry resumes from the checkpoint and skips recorded steps', async () => {
    const client = await setup(1);
    const job = await client.jobs.submit({ tasks: [{ id: 's', handler: 'stepped', input: { label: 'x' } }], backoff: { initialMs: 10, maxMs: 20 } });
    const [result] = await job.result();
    // Step a ran in attempt 1 and was recorded; attempt 2 got its recorded value.
    expect(result!.output).toEqual({ a: { at: 1 }, finishedAt: 2 });
    expect(result!.attempts).toBe(2);
  }, 30_000);

  it('a busy handler (CPU-bound for 2 s) is not mistaken for a dead worker', async () => {
    const client = await setup(1, 1);
    const job = await client.jobs.submit({ tasks: [{ handler: 'spin', input: { ms: 2_000 } }] });
    const [result] = await job.result();
    expect(result!.attempts).toBe(1);
    expect(workers[0]!.stats.aborted).toBe(0);
  }, 30_000);

  it('cancel ends a running job; status, workers and bad input answer as documented', async () => {
    const client = await setup(1, 1);
    const job = await client.jobs.submit({ tasks: [{ handler: 'count', input: { steps: 1000, stepMs: 20 } }, { handler: 'square', input: { n: 1 } }] });
    await new Promise((r) => setTimeout(r, 300));
    expect((await job.cancel()).cancelled).toBe(2);
    expect((await job.status()).state).toBe('cancelled');
    const list = await client.workersList();
    expect(list.workers.map((w) => w.workerId)).toEqual(['w1']);
    const unknown = await http('GET', cluster!.url('n2', '/v1/jobs/nope'));
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.reason).toBe('JOB_NOT_FOUND');
    const malformed = await http('POST', cluster!.url('n2', '/v1/jobs'), { tasks: [{ handler: 'x' }] });
    expect(malformed.status).toBe(400);
    const notLeader = await http('POST', cluster!.url((['n1', 'n2', 'n3'].find((id) => id !== cluster!.nodes.get(id)?.node.raft.leaderId && !cluster!.nodes.get(id)!.node.raft.isLeader))!, '/v1/workers/w1/heartbeat'));
    expect(notLeader.status).toBe(421);
  }, 30_000);
});
