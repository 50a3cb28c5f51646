/**
 * Server-sent event streams: headers, a keep-alive comment every 15 s (proxies close idle
 * connections), and one close path however the stream ends (client gone, server closing, done).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

const pingMs = 15_000;

export interface SseStream {
  send(event: string, data: unknown, id?: string | number): void;
  close(): void;
  readonly closed: boolean;
}

/** Takes over the reply; `onClose` runs once when the stream ends for any reason. `open` tracks live streams for app shutdown. */
export function openSse(request: FastifyRequest, reply: FastifyReply, open: Set<() => void>, onClose: () => void): SseStream {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  raw.write(': open\n\n');
  let closed = false;
  const ping = setInterval(() => raw.write(': ping\n\n'), pingMs);
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(ping);
    open.delete(close);
    onClose();
    if (!raw.writableEnded) raw.end();
  };
  open.add(close);
  request.raw.on('close', close);
  return {
    send(event, data, id) {
      if (closed) return;
      raw.write(`event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`);
    },
    close,
    get closed() {
      return closed;
    },
  };
}

/** The set of live streams of one route family, all closed when the app closes. */
export function trackStreams(app: { addHook(name: 'preClose', hook: (done: () => void) => void): unknown }): Set<() => void> {
  const open = new Set<() => void>();
  // preClose, not onClose: fastify waits for open requests before onClose, and a stream never ends by itself.
  app.addHook('preClose', (done) => {
    for (const close of [...open]) close();
    done();
  });
  return open;
}
