/**
 * The web dashboard every node serves (docs/dashboard.md):
 * - `GET /`: the page; its files under `/dashboard/` (src/dashboard/public, uPlot from node_modules);
 * - `GET /v1/dashboard/stream`: server-sent events (`history`, then `sample` and `timeline`);
 * - `GET /v1/dashboard/state`: the same as one JSON document.
 */
import type { FastifyInstance } from 'fastify';
import { assert } from '../core/assert.js';
import { loadAssets } from './assets.js';
import { DashboardHub } from './hub.js';
import { subscriberBufferBytesMax } from './sample.js';
import type { DashboardSource } from './source.js';

export type { DashboardSource, DashboardJob, DashboardCounters } from './source.js';
export type { DashboardSample, DashboardRates, DashboardState, ChartPoint } from './sample.js';
export type { TimelineEvent, TimelineEventKind } from './timeline.js';

/** Only the page and its scripts, from this node: no inline code, no other origin. */
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Registers the dashboard routes; the sampler runs from `onReady` to `preClose`. */
export function dashboardRoutes(source: DashboardSource): (app: FastifyInstance) => void {
  return (app) => {
    const assets = loadAssets();
    const hub = new DashboardHub(source);
    app.addHook('onReady', (done) => {
      hub.start();
      done();
    });
    // preClose, not onClose: the server waits for open requests before the onClose hooks run,
    // and a stream only ends when the hub closes it.
    app.addHook('preClose', (done) => {
      hub.stop().then(() => done(), done);
    });

    const page = assets.get('/dashboard/index.html')!;
    app.get('/', (_request, reply) =>
      reply.header('content-type', page.contentType).header('cache-control', 'no-cache').header('content-security-policy', contentSecurityPolicy).send(page.body));
    for (const [path, asset] of assets) {
      app.get(path, (_request, reply) => reply.header('content-type', asset.contentType).header('cache-control', 'no-cache').send(asset.body));
    }

    app.get('/v1/dashboard/state', () => hub.state());

    app.get('/v1/dashboard/stream', (request, reply) => {
      if (hub.stopping) return reply.code(503).send({ error: { code: 'ShuttingDown', message: 'node stopping' } });
      if (hub.full) return reply.code(503).send({ error: { code: 'Unavailable', message: 'too many dashboard streams on this node; try again later' } });
      reply.hijack();
      const raw = reply.raw;
      // `connection: close`: when the stream ends (node closing, slow page) the socket goes too, rather
      // than idling in keep-alive and holding up the server's close until the client lets go.
      raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'close', 'x-accel-buffering': 'no' });
      const subscriber = {
        // A page that lets more than subscriberBufferBytesMax pile up is dropped; it reconnects and gets the history again.
        write: (chunk: string) => !raw.writableEnded && (raw.write(chunk) || raw.writableLength <= subscriberBufferBytesMax),
        close: () => {
          if (!raw.writableEnded) raw.end();
        },
      };
      const unsubscribe = hub.subscribe(subscriber);
      assert(unsubscribe !== undefined, 'dashboard hub refused a stream after the checks above');
      request.raw.on('close', () => {
        unsubscribe();
        subscriber.close();
      });
    });
  };
}
