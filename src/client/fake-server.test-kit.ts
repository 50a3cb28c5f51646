/**
 * A scripted HTTP server on 127.0.0.1:0 standing in for a Keel node in client and CLI tests: it
 * records every request and answers through a handler the test writes.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorStatus, type ApiErrorCode } from '../api/wire.js';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type Handler = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

export interface FakeServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Connections closed by the client (a watch consumer that stopped). */
  readonly clientCloses: number;
  close(): Promise<void>;
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

export function sendError(response: ServerResponse, code: ApiErrorCode, message: string, leader?: string): void {
  sendJson(response, errorStatus[code], { error: { code, message, ...(leader === undefined ? {} : { leader }) } });
}

export function startSse(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  response.flushHeaders();
}

/** Starts servers and closes them all (open connections included) in afterEach. */
export class FakeServers {
  private readonly open: FakeServer[] = [];

  async start(handler: Handler): Promise<FakeServer> {
    const requests: RecordedRequest[] = [];
    let clientCloses = 0;
    const server = createServer((incoming, response) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const url = new URL(incoming.url ?? '/', 'http://fake');
        const request = { method: incoming.method ?? '', path: url.pathname, query: url.searchParams, headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8') };
        requests.push(request);
        response.on('close', () => {
          if (!response.writableFinished) clientCloses++;
        });
        Promise.resolve(handler(request, response)).catch((error: unknown) => {
          if (!response.headersSent) sendJson(response, 500, { error: { code: 'Internal', message: String(error) } });
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake: FakeServer = {
      url: `http://127.0.0.1:${port}`,
      requests,
      get clientCloses() {
        return clientCloses;
      },
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
    this.open.push(fake);
    return fake;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map((server) => server.close()));
  }
}

/** An endpoint that refuses connections: a port that was just bound and released. */
export async function refusedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
