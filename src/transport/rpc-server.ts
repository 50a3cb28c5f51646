import { assert } from '../core/assert.js';
import { describeError, isKeelError, KeelError } from '../core/errors.js';
import type { RpcHandler } from '../ports/transport.js';
import type { NodeId } from '../raft/types.js';
import { frameLengthBytes } from './frame.js';
import { errorMessageSizeMax, methodSizeMax } from './limits.js';
import type { TransportLogger } from './logger.js';
import { encodeWire, type Wire } from './wire.js';

export interface RpcServerConfig {
  readonly id: NodeId;
  readonly frameSizeBytesMax: number;
  readonly rpcInflightMax: number;
  readonly logger: TransportLogger;
}

/**
 * The answering side of RPCs. Every request gets exactly one reply frame: the handler's bytes,
 * or a failure carrying the KeelError's code, message, retryable flag and data (any other
 * thrown value becomes INTERNAL and is logged, since it is a handler bug).
 */
export class RpcServer {
  private readonly handlers = new Map<string, RpcHandler>();
  private readonly inflight = new Map<NodeId, number>();

  constructor(private readonly config: RpcServerConfig) {}

  /** Adds or replaces the handler of `method`. */
  handle(method: string, handler: RpcHandler): void {
    assert(method.length > 0 && method.length <= methodSizeMax, `RPC method names are 1..${methodSizeMax} characters`);
    this.handlers.set(method, handler);
  }

  /** Never rejects: every outcome becomes a reply. */
  async serve(from: NodeId, request: Extract<Wire, { kind: 'request' }>, reply: (frame: Uint8Array) => void): Promise<void> {
    const handler = this.handlers.get(request.method);
    if (handler === undefined) {
      const error = new KeelError('BAD_REQUEST', `unknown RPC method "${request.method}" at ${this.config.id}`, { data: { method: request.method } });
      return reply(this.failureFrame(request.id, error));
    }
    const inflight = this.inflight.get(from) ?? 0;
    if (inflight >= this.config.rpcInflightMax) {
      const error = new KeelError('UNAVAILABLE', `${this.config.id} is handling ${inflight} requests from ${from} (rpcInflightMax)`, { retryable: true });
      return reply(this.failureFrame(request.id, error));
    }
    this.inflight.set(from, inflight + 1);
    try {
      const body: unknown = await handler(from, request.body);
      if (!(body instanceof Uint8Array)) throw new KeelError('INTERNAL', `handler of ${request.method} returned ${typeof body}, not bytes`);
      reply(this.responseFrame(request.id, body));
    } catch (error) {
      if (!isKeelError(error) || error.code === 'INTERNAL') this.config.logger.error({ method: request.method, from, error: describeError(error) }, 'RPC handler failed');
      reply(this.failureFrame(request.id, error));
    } finally {
      const left = (this.inflight.get(from) ?? 1) - 1;
      if (left > 0) this.inflight.set(from, left);
      else this.inflight.delete(from);
    }
  }

  private responseFrame(id: number, body: Uint8Array): Uint8Array {
    const frame = encodeWire({ kind: 'response', id, body });
    if (this.fits(frame)) return frame;
    return this.failureFrame(id, new KeelError('TOO_LARGE', `response of ${body.length} bytes exceeds the frame limit of ${this.config.frameSizeBytesMax}`));
  }

  private failureFrame(id: number, error: unknown): Uint8Array {
    const keel = isKeelError(error) ? error : new KeelError('INTERNAL', describeError(error));
    const message = keel.message.slice(0, errorMessageSizeMax);
    const failure = { kind: 'failure', id, code: keel.code, message, retryable: keel.retryable } as const;
    try {
      const frame = encodeWire({ ...failure, data: keel.data });
      if (this.fits(frame)) return frame;
    } catch (encodeError) {
      // data holds something msgpack cannot encode: the code and message still travel.
      this.config.logger.warn({ code: keel.code, error: describeError(encodeError) }, 'RPC error data not encodable; sent without it');
    }
    return encodeWire({ ...failure, data: {} });
  }

  private fits(frame: Uint8Array): boolean {
    return frame.length - frameLengthBytes <= this.config.frameSizeBytesMax;
  }
}
