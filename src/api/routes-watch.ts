/**
 * GET /v1/watch as server-sent events: `event: put|delete`, `id: <revision>`, `data: WatchEvent`;
 * `event: compacted` ends the stream; `: ping` every 15 s keeps proxies from closing it.
 * `Last-Event-ID` (set by EventSource on reconnect) resumes after that revision.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { KvEvent, KvWatchFilter } from '../kv/index.js';
import type { ApiBackend } from './backend.js';
import { ApiError } from './errors.js';
import { parse } from './routes-kv.js';
import type { WatchEvent } from './wire.js';

const watchQuery = z.strictObject({
  prefix: z.string().optional(),
  key: z.string().min(1).optional(),
  fromRevision: z.coerce.number().int().min(1).optional(),
});
const pingMs = 15_000;

export function registerWatchRoutes(app: FastifyInstance, backend: ApiBackend): void {
  const open = new Set<() => void>();
  // preClose, not onClose: fastify waits for open requests before onClose, and a stream never ends by itself.
  app.addHook('preClose', (done) => {
    for (const close of [...open]) close();
    done();
  });

  app.get('/v1/watch', (request, reply) => {
    const q = parse(watchQuery, request.query, 'query');
    if (q.prefix !== undefined && q.key !== undefined) throw new ApiError('BadRequest', 'query: give key or prefix, not both');
    const filter: KvWatchFilter = q.key !== undefined ? { kind: 'key', key: q.key } : { kind: 'prefix', prefix: q.prefix ?? '' };
    const lastEventId = request.headers['last-event-id'];
    const resume = typeof lastEventId === 'string' && /^\d+$/.test(lastEventId) ? Number(lastEventId) + 1 : undefined;
    const from = q.fromRevision ?? resume;

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    raw.write(': watching\n\n');
    const watching = { cancel: (): void => undefined };
    const close = (): void => {
      watching.cancel();
      clearInterval(ping);
      open.delete(close);
      if (!raw.writableEnded) raw.end();
    };
    const ping = setInterval(() => raw.write(': ping\n\n'), pingMs);
    open.add(close);
    request.raw.on('close', close);
    watching.cancel = backend.watch(filter, from, {
      events: (events) => {
        for (const event of events) raw.write(`event: ${event.type}\nid: ${event.revision}\ndata: ${JSON.stringify(toWire(event))}\n\n`);
      },
      compacted: (compactRevision) => {
        raw.write(`event: compacted\ndata: ${JSON.stringify({ compactRevision })}\n\n`);
        close();
      },
    });
  });
}

function toWire(event: KvEvent): WatchEvent {
  return event.type === 'put' ? { type: 'put', key: event.key, revision: event.revision, kv: event.kv } : { type: 'delete', key: event.key, revision: event.revision };
}
