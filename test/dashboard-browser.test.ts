/**
 * The dashboard in a real browser (Chromium driven by playwright-core) against a real cluster of
 * processes: 3 `keel start` nodes and 3 `keel worker`s running a job. The page (served by a node
 * that survives) shows the leader; kill -9 of the leader process; the page shows the new leader
 * and the loss and election on its timeline; kill -9 of a worker shows on the timeline too; the
 * killed node restarts and the page shows it healthy again. Saves a screenshot in the OS temp
 * directory; KEEL_UPDATE_SCREENSHOT=1 writes docs/img/dashboard.png (the README's) instead.
 *
 * Skipped when /usr/bin/chromium is missing (`apt-get install -y chromium`; .ci/run installs it).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { KeelClient } from '../src/client/index.js';
import { ProcessCluster, type NodeLayout } from './process.test-kit.js';

const chromiumPath = '/usr/bin/chromium';
const haveChromium = existsSync(chromiumPath);
if (!haveChromium) console.warn(`dashboard-browser.test.ts: SKIPPED, no Chromium at ${chromiumPath} (install it with: apt-get install -y chromium)`);

const screenshotPath = process.env.KEEL_UPDATE_SCREENSHOT === '1'
  ? join(import.meta.dirname, '..', 'docs', 'img', 'dashboard.png')
  : join(tmpdir(), 'keel-dashboard.png');
const tasksModule = 'test/fixtures/tasks.ts';

let cluster: ProcessCluster | undefined;
let browser: Browser | undefined;
let writing = false;
let writer: Promise<void> | undefined;

afterEach(async () => {
  writing = false;
  await writer;
  writer = undefined;
  await browser?.close();
  browser = undefined;
  cluster?.close(); // kills every node and worker process by PID
  cluster = undefined;
});

/** The leader once every node answers and agrees on a healthy one. */
async function agreedLeader(layout: readonly NodeLayout[], timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const views = await Promise.all(layout.map(async (n) => {
      try {
        const res = await fetch(`http://${n.http}/v1/cluster`, { signal: AbortSignal.timeout(2_000) });
        return res.ok ? (await res.json()) as { leaderId: string | null; members: { id: string; healthy: boolean }[] } : undefined;
      } catch {
        return undefined; // still starting
      }
    }));
    const leaders = new Set(views.map((v) => v?.leaderId ?? null));
    const [leader] = leaders;
    if (leaders.size === 1 && typeof leader === 'string' && views.every((v) => v!.members.every((m) => m.healthy))) return leader;
    if (Date.now() > until) throw new Error(`no agreed leader within ${timeoutMs} ms: ${JSON.stringify(views.map((v) => v?.leaderId))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Writes in the background (about 50 a second) so the latency chart has something to show. */
function startWriter(endpoints: string[]): Promise<void> {
  writing = true;
  const client = new KeelClient({ endpoints, timeoutMs: 2_000, retries: 30 });
  return (async () => {
    for (let i = 0; writing; i++) {
      try {
        await client.put(`dashboard/${i % 20}`, `v${i}`);
      } catch {
        // an outcome unknown during the failover: this test only needs the load, not the result
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
}

async function leaderShown(page: Page): Promise<string> {
  return (await page.locator('#leader').getAttribute('data-leader')) ?? '';
}

/** The newest sequence number among the timeline entries `locator` matches (0 when none). */
async function newestSeq(locator: Locator): Promise<number> {
  let newest = 0;
  for (const item of await locator.all()) newest = Math.max(newest, Number(await item.getAttribute('data-seq')));
  return newest;
}

describe.skipIf(!haveChromium)('the dashboard in Chromium', () => {
  it('shows the leader, then after kill -9 of it the new leader and the fault on the timeline, a worker kill, and the restarted node healthy again', async () => {
    cluster = await ProcessCluster.start(3);
    const layout = cluster.layout;
    // Generous bounds: process start-up (tsx) is slow on a loaded CI machine.
    const initial = await agreedLeader(layout, 60_000);
    let watched = layout.find((n) => n.id !== initial)!;
    for (const name of ['wa', 'wb', 'wc']) cluster.startWorker(name, tasksModule, 4);
    await cluster.workersUp(3, 60_000);
    const client = new KeelClient({ endpoints: cluster.endpoints, timeoutMs: 2_000, retries: 20 });
    // A short job that finishes at once, and a long one (checkpointing tasks) that runs through the faults.
    await client.jobs.submit({ tasks: Array.from({ length: 40 }, (_, i) => ({ id: `s${i}`, handler: 'square', input: { n: i } })) });
    await client.jobs.submit({ tasks: Array.from({ length: 400 }, (_, i) => ({ id: `c${i}`, handler: 'count', input: { steps: 5, stepMs: 100 } })) });
    // Through the watched node only: the write latency it charts is the one its clients see.
    writer = startWriter([`http://${watched.http}`]);

    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'], timeout: 30_000 });
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(`http://${watched.http}/`)) problems.push(`request outside the node: ${request.url()}`);
    });
    await page.goto(`http://${watched.http}/`, { timeout: 15_000 });
    await expect.poll(() => page.locator('#members tr[data-member]').count(), { timeout: 20_000 }).toBe(3);
    await expect.poll(() => page.locator('#workers [data-worker][data-status="up"]').count(), { timeout: 10_000 }).toBe(3);
    await expect.poll(() => page.locator('#jobs [data-job]').count(), { timeout: 10_000 }).toBe(2);
    await page.waitForTimeout(3_000); // a few seconds of charts before the faults

    // The leader now (start-up elections can still move it); the page must be on a node that survives.
    const first = await agreedLeader(layout, 10_000);
    if (first === watched.id) {
      watched = layout.find((n) => n.id !== first)!;
      writing = false;
      await writer;
      writer = startWriter([`http://${watched.http}`]);
      await page.goto(`http://${watched.http}/`, { timeout: 15_000 });
    }
    await page.locator(`#leader[data-leader="${first}"]`).waitFor({ timeout: 10_000 });
    const seqBefore = await newestSeq(page.locator('#timeline li[data-seq]'));

    cluster.nodes.get(first)!.kill('SIGKILL');
    await expect.poll(() => leaderShown(page), { timeout: 30_000, interval: 100 }).not.toMatch(new RegExp(`^(${first})?$`));
    const second = await leaderShown(page);
    const lost = page.locator(`#timeline li[data-kind="leaderLost"]`, { hasText: `Leader ${first} lost` });
    await expect.poll(() => newestSeq(lost), { timeout: 10_000 }).toBeGreaterThan(seqBefore);
    const elected = page.locator(`#timeline li[data-kind="leaderElected"]`, { hasText: `${second} elected leader` });
    await expect.poll(() => newestSeq(elected), { timeout: 10_000 }).toBeGreaterThan(seqBefore);
    const failover = await elected.locator(`xpath=self::*[@data-seq="${await newestSeq(elected)}"]`).locator('.badge').textContent();
    expect(failover).toMatch(/^failover \d/);
    await page.locator(`#members tr[data-member="${first}"] .health.bad`).waitFor({ timeout: 10_000 });

    cluster.workers.get('wc')!.kill('SIGKILL');
    await page.locator(`#timeline li[data-kind="workerDown"]`, { hasText: 'Worker wc down' }).waitFor({ timeout: 30_000 });
    await page.locator('#workers [data-worker="wc"][data-status="down"]').waitFor({ timeout: 10_000 });

    cluster.startNode(first);
    await page.locator(`#timeline li[data-kind="memberHealthy"]`, { hasText: `Member ${first} healthy again` }).waitFor({ timeout: 60_000 });
    await page.locator(`#members tr[data-member="${first}"] .health.ok`).waitFor({ timeout: 10_000 });
    await page.waitForTimeout(1_500); // let the charts move on past the faults

    mkdirSync(dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
    expect(await page.locator('#connection').textContent()).toBe('live');
    expect(problems).toEqual([]);
    console.log(JSON.stringify({ firstLeader: first, secondLeader: second, failover, pageOn: watched.id, screenshot: screenshotPath }));
  }, 240_000);
});
