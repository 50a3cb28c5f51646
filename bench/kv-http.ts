/**
 * The load generator's HTTP client: `node:http` with one keep-alive Agent per server endpoint, the
 * same code path for Keel and etcd. Chosen over `fetch` because it costs less CPU per request, and
 * the load generator shares the machine's cores with the servers it measures.
 */
import { Agent, request, type OutgoingHttpHeaders } from 'node:http';

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

export class HttpError extends Error {
  constructor(readonly status: number, readonly body: string, what: string) {
    super(`${what}: HTTP ${status} ${body.slice(0, 300)}`);
  }
}

export class HttpEndpoint {
  private readonly agent: Agent;

  constructor(readonly host: string, readonly port: number, maxSockets = 256) {
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  call(method: string, path: string, body?: string, headers: OutgoingHttpHeaders = {}, timeoutMs = 10_000): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const req = request({
        agent: this.agent, host: this.host, port: this.port, method, path,
        headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${this.url}${path}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Drops the idle keep-alive sockets (after a server was killed, or at the end). */
  close(): void {
    this.agent.destroy();
  }
}
