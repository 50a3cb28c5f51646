import Fastify, { type FastifyInstance } from 'fastify';
import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { cluster, dataOf, FakeSource, parseSseBlock, type StreamEvent } from './dashboard.test-kit.js';
import { dashboardRoutes } from './index.js';
import { subscribersMax, type DashboardState } from './sample.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await app?.close();
  app = undefined;
});

function build(source = new FakeSource()): FastifyInstance {
  source.realTime = true;
  app = Fastify();
  dashboardRoutes(source)(app);
  return app;
}

/**
 * A server-sent event stream read with node:http (one socket, no pooling: undici's fetch keeps
 * spare connections that hold up a server's close for its 4 s keep-alive).
 */
class Stream {
  readonly events: StreamEvent[] = [];
  ended = false;
  private buffer = '';
  private waiters = new Set<() => void>();

  private constructor(readonly response: IncomingMessage, readonly request: ClientRequest) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.onData(chunk));
    response.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  static open(url: string): Promise<Stream> {
    return new Promise((resolve, reject) => {
      const request = get(url, { agent: false }, (response) => resolve(new Stream(response, request)));
      request.on('error', reject);
    });
  }

  /** Waits until `until(events)` holds; fails after `timeoutMs` or when the stream ends first. */
  async until(until: (events: StreamEvent[]) => boolean, timeoutMs: number): Promise<StreamEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!until(this.events)) {
      if (this.ended) throw new Error(`stream ended; got ${this.events.map((e) => e.event).join(',')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no match within ${timeoutMs} ms; got ${this.events.map((e) => e.event).join(',')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(() => done());
      });
    }
    return this.events;
  }

  /** Waits for the server to end the stream. */
  async end(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('the stream did not end');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.request.destroy();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const event = parseSseBlock(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end + 2);
      if (event !== undefined) this.events.push(event);
    }
    this.wake();
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }
}

const streams: Stream[] = [];
async function openStream(url: string): Promise<Stream> {
  const stream = await Stream.open(url);
  streams.push(stream);
  return stream;
}

describe('dashboard routes: page and assets', () => {
  it('serves the page with a same-origin CSP, and every file it references', async () => {
    const a = build();
    const page = await a.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const refs = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs).toEqual(expect.arrayContaining(['/dashboard/app.js', '/dashboard/style.css', '/dashboard/vendor/uPlot.iife.min.js', '/dashboard/vendor/uPlot.min.css']));
    for (const ref of refs) {
      expect(ref.startsWith('/dashboard/')).toBe(true); // nothing from another origin
      const res = await a.inject({ method: 'GET', url: ref });
      expect([ref, res.statusCode]).toEqual([ref, 200]);
    }
    expect((await a.inject({ method: 'GET', url: '/dashboard/app.js' })).headers['content-type']).toContain('text/javascript');
    expect((await a.inject({ method: 'GET', url: '/dashboard/vendor/uPlot.min.css' })).headers['content-type']).toContain('text/css');
  });

  it('serves every module the page imports, and nothing that is not meant for the browser', async () => {
    const a = build();
    const app = await a.inject({ method: 'GET', url: '/dashboard/app.js' });
    const queue = [app.body];
    const seen = new Set<string>();
    while (queue.length > 0) {
      for (const m of queue.pop()!.matchAll(/from '\.\/([\w-]+\.js)'/g)) {
        if (seen.has(m[1]!)) continue;
        seen.add(m[1]!);
        const res = await a.inject({ method: 'GET', url: `/dashboard/${m[1]}` });
        expect([m[1], res.statusCode]).toEqual([m[1], 200]);
        queue.push(res.body);
      }
    }
    expect(seen.size).toBeGreaterThanOrEqual(3);
    for (const hidden of ['/dashboard/tsconfig.json', '/dashboard/types.d.ts', '/dashboard/../index.ts', '/dashboard/vendor/uPlot.esm.js']) {
      expect([hidden, (await a.inject({ method: 'GET', url: hidden })).statusCode]).toEqual([hidden, 404]);
    }
  });
});

describe('dashboard routes: state and stream', () => {
  it('answers the latest sample and the timeline as JSON once the app is ready', async () => {
    const a = build();
    await a.ready();
    const deadline = Date.now() + 5_000;
    let body: DashboardState;
    do {
      body = (await a.inject({ method: 'GET', url: '/v1/dashboard/state' })).json<DashboardState>();
      if (body.sample === null) await new Promise((r) => setTimeout(r, 20));
    } while (body.sample === null && Date.now() < deadline);
    expect(body.nodeId).toBe('n2');
    expect(body.sample).toMatchObject({ nodeId: 'n2', cluster: { leaderId: 'n1' }, jobs: [], workers: [], rates: { writesPerSec: 0 } });
    expect(body.timeline).toEqual([]);
    expect(body.points.length).toBeGreaterThanOrEqual(1);
  });

  it('streams history, then samples twice a second, then timeline events for a leader change; closing the app ends the stream', async () => {
    const source = new FakeSource();
    const a = build(source);
    const address = await a.listen({ host: '127.0.0.1', port: 0 });
    const stream = await openStream(`${address}/v1/dashboard/stream`);
    expect(stream.response.statusCode).toBe(200);
    expect(stream.response.headers['content-type']).toBe('text/event-stream');
    const first = await stream.until((e) => dataOf(e, 'sample').length >= 3, 5_000);
    expect(first[0]!.event).toBe('history');
    expect(first[0]!.data).toMatchObject({ nodeId: 'n2', timeline: [] });
    const samples = dataOf(first, 'sample').map((s) => s.atMs);
    for (let i = 1; i < samples.length; i++) expect(samples[i]! - samples[i - 1]!).toBeGreaterThanOrEqual(400);

    source.clusterValue = cluster('n3', 2, { n1: 200 });
    const later = await stream.until((e) => dataOf(e, 'timeline').some((t) => t.kind === 'leaderElected'), 5_000);
    const timeline = later.filter((e) => e.event === 'timeline');
    expect(timeline.map((e) => e.id)).toEqual(['1', '2', '3']);
    expect(dataOf(later, 'timeline').map((t) => t.kind)).toEqual(['leaderLost', 'leaderElected', 'memberUnhealthy']);
    expect(dataOf(later, 'timeline')[1]).toMatchObject({ leaderId: 'n3', previousLeaderId: 'n1', term: 2 });

    // A reconnecting page gets the timeline again in its history.
    const again = await openStream(`${address}/v1/dashboard/stream`);
    const replay = await again.until((e) => e.length >= 2, 5_000);
    expect(replay.map((e) => e.event)).toEqual(['history', 'sample']);
    expect(dataOf(replay, 'history')[0]!.timeline.map((e) => e.kind)).toEqual(['leaderLost', 'leaderElected', 'memberUnhealthy']);

    const closing = Date.now();
    await a.close();
    app = undefined;
    expect(Date.now() - closing).toBeLessThan(1_000);
    await stream.end(1_000);
    await again.end(1_000);
  });

  it(`refuses stream ${subscribersMax + 1} with 503 Unavailable, and takes a new one once a page went away`, async () => {
    const a = build();
    const address = await a.listen({ host: '127.0.0.1', port: 0 });
    const open = await Promise.all(Array.from({ length: subscribersMax }, () => openStream(`${address}/v1/dashboard/stream`)));
    expect(open.every((s) => s.response.statusCode === 200)).toBe(true);
    const refused = await a.inject({ method: 'GET', url: '/v1/dashboard/stream' });
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ error: { code: 'Unavailable' } });
    expect(refused.body).toContain('too many');
    open[0]!.close();
    const deadline = Date.now() + 5_000;
    let next: Stream;
    for (;;) {
      next = await openStream(`${address}/v1/dashboard/stream`);
      if (next.response.statusCode === 200 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(next.response.statusCode).toBe(200);
  });
});
