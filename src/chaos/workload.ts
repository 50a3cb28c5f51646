/**
 * Client workloads for chaos runs, recorded as kv-history v1 (shared/history-format.md).
 * `register`: get / put / cas on a few keys at a time (rotated every ~150 ops), checked for
 * linearizability. `set`: every client adds unique elements; a final read must hold every
 * acknowledged add and nothing never added. Each op is one HTTP attempt (no retries, no
 * session): a definite refusal is `fail`, anything uncertain is `info` and retires the client id.
 */
import type { HistoryOp } from '../check/index.js';
import type { Random } from '../ports/random.js';
import type { WorkloadKind } from './types.js';

export interface WorkloadHost {
  readonly endpoints: readonly string[];
  readonly random: Random;
  readonly requestTimeoutMs: number;
  nowNs(): number;
  /** True once the run wants clients to stop issuing. */
  stopped(): boolean;
}

type Outcome =
  | { readonly status: 'ok'; readonly body: unknown; readonly httpStatus: number }
  | { readonly status: 'fail' | 'info'; readonly error: string };

const keysAtOnce = 3;
const opsPerKeyGeneration = 150 * keysAtOnce;

export class Workload {
  readonly history: HistoryOp[] = [];
  readonly added = new Map<string, 'ok' | 'info'>();
  private nextClient = 0;
  private issued = 0;
  private elements = 0;

  constructor(readonly kind: WorkloadKind, private readonly host: WorkloadHost) {}

  /** Runs `clients` concurrent logical clients until the host says stop. */
  async run(clients: number): Promise<void> {
    await Promise.all(Array.from({ length: clients }, () => this.clientLoop()));
  }

  /** Last successful ok write's return time, for liveness and availability. */
  okWritesSince(ns: number): number {
    return this.history.filter((o) => o.status === 'ok' && o.op !== 'get' && o.return !== null && o.return >= ns).length;
  }

  private async clientLoop(): Promise<void> {
    let client = this.nextClient++;
    while (!this.host.stopped()) {
      const op = this.kind === 'register' ? await this.registerOp(client) : await this.addOp(client);
      this.history.push(op);
      // history-format.md: after an `info` the logical client is retired (its op may still land).
      if (op.status === 'info') client = this.nextClient++;
    }
  }

  private async registerOp(client: number): Promise<HistoryOp> {
    const generation = Math.floor(this.issued / opsPerKeyGeneration);
    this.issued += 1;
    const key = `r${generation}-${this.host.random.int(keysAtOnce)}`;
    const value = `c${client}-${this.issued}`;
    const endpoint = this.pickEndpoint();
    const roll = this.host.random.next();
    const call = this.host.nowNs();
    if (roll < 0.4) {
      const outcome = await this.request(endpoint, 'GET', `/v1/kv/${key}`);
      const ret = this.host.nowNs();
      if (outcome.status === 'ok') return { client, op: 'get', key, call, return: ret, status: 'ok', output: (outcome.body as { value: string }).value };
      if (outcome.status === 'fail' && outcome.error === 'NotFound') return { client, op: 'get', key, call, return: ret, status: 'ok', output: null };
      // A get that did not answer changes nothing: record it as a failure (the checker drops it).
      return { client, op: 'get', key, call, return: ret, status: 'fail', meta: { error: outcome.error, endpoint } };
    }
    if (roll < 0.7) {
      const outcome = await this.request(endpoint, 'PUT', `/v1/kv/${key}`, value);
      return this.writeOp({ client, op: 'put', key, value, call }, outcome, endpoint);
    }
    const expected = this.host.random.next() < 0.3 ? null : this.recentValue(key);
    const outcome = await this.request(endpoint, 'POST', `/v1/kv/${key}/cas`, JSON.stringify({ expect: expected, value }), 'application/json');
    const base = { client, op: 'cas' as const, key, value, expected, call };
    if (outcome.status === 'ok') return { ...base, return: this.host.nowNs(), status: 'ok', output: (outcome.body as { succeeded: boolean }).succeeded };
    return this.writeOp(base, outcome, endpoint);
  }

  private async addOp(client: number): Promise<HistoryOp> {
    const element = `e${client}-${++this.elements}`;
    const key = `set/${element}`;
    const endpoint = this.pickEndpoint();
    const call = this.host.nowNs();
    const outcome = await this.request(endpoint, 'PUT', `/v1/kv/${key}`, element);
    const op = this.writeOp({ client, op: 'put', key, value: element, call }, outcome, endpoint);
    if (op.status !== 'fail') this.added.set(element, op.status === 'ok' ? 'ok' : 'info');
    return op;
  }

  /** The final read of the set workload: every element present, or null if no node answered. */
  async readSet(deadlineMs: number): Promise<string[] | null> {
    const until = Date.now() + deadlineMs;
    while (Date.now() < until) {
      const elements: string[] = [];
      let after: string | undefined;
      let failed = false;
      for (;;) {
        const query = `/v1/kv?prefix=set/&limit=10000${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`;
        const outcome = await this.request(this.pickEndpoint(), 'GET', query);
        if (outcome.status !== 'ok') {
          failed = true;
          break;
        }
        const page = outcome.body as { kvs: { key: string; value: string }[]; more: boolean };
        for (const kv of page.kvs) elements.push(kv.value);
        if (!page.more || page.kvs.length === 0) break;
        after = page.kvs[page.kvs.length - 1]!.key;
      }
      if (!failed) return elements;
      await new Promise((r) => setTimeout(r, 200));
    }
    return null;
  }

  private writeOp(base: Omit<Extract<HistoryOp, { op: 'put' }>, 'status' | 'return' | 'output'> | Omit<Extract<HistoryOp, { op: 'cas' }>, 'status' | 'return' | 'output'>, outcome: Outcome, endpoint: string): HistoryOp {
    const ret = this.host.nowNs();
    if (outcome.status === 'ok') return { ...base, return: ret, status: 'ok' };
    if (outcome.status === 'fail') return { ...base, return: ret, status: 'fail', meta: { error: outcome.error, endpoint } };
    return { ...base, return: null, status: 'info', meta: { error: outcome.error, endpoint } };
  }

  private recentValue(key: string): string | null {
    for (let i = this.history.length - 1, seen = 0; i >= 0 && seen < 50; i--, seen++) {
      const op = this.history[i]!;
      if (op.key === key && op.status === 'ok' && op.op === 'get' && typeof op.output === 'string') return op.output;
      if (op.key === key && op.status === 'ok' && (op.op === 'put' || op.op === 'cas') && op.value !== undefined) return op.value;
    }
    return null;
  }

  private pickEndpoint(): string {
    return this.host.endpoints[this.host.random.int(this.host.endpoints.length)]!;
  }

  private async request(endpoint: string, method: string, path: string, body?: string, contentType = 'text/plain'): Promise<Outcome> {
    let response: Response;
    try {
      response = await fetch(endpoint + path, {
        method, signal: AbortSignal.timeout(this.host.requestTimeoutMs),
        ...(body === undefined ? {} : { body, headers: { 'content-type': contentType } }),
      });
    } catch (error) {
      // Refused before anything was sent: definitely not applied. Anything else: unknown.
      const code = (error as { cause?: { code?: string } }).cause?.code;
      return { status: code === 'ECONNREFUSED' ? 'fail' : 'info', error: code ?? (error as Error).name };
    }
    let parsed: unknown;
    try {
      parsed = await response.json();
    } catch {
      return { status: 'info', error: `unreadable response (${response.status})` };
    }
    if (response.ok) return { status: 'ok', body: parsed, httpStatus: response.status };
    const code = (parsed as { error?: { code?: string } }).error?.code ?? String(response.status);
    // 4xx: refused, never applied. 5xx (Unavailable, Timeout, ...) may hide an applied write.
    return { status: response.status < 500 ? 'fail' : 'info', error: code };
  }
}
