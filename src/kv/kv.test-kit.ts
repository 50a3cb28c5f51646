/** Helpers shared by the KV tests: a driver that numbers entries and decodes results. */
import type { ClientSession, KvCommand, KvCompare, KvDelete, KvGet, KvPut, KvQuery, KvRange, KvTxnOp } from './commands.js';
import { decodeResult } from './decode.js';
import { encodeCommand, encodeQuery } from './encode.js';
import { KvStateMachine } from './kv-state-machine.js';
import type { KvOptionsInput } from './options.js';
import type { KvGetResult, KvResult } from './results.js';

export class Driver {
  readonly machine: KvStateMachine;
  private nextIndex = 1;

  constructor(options: KvOptionsInput = {}) {
    this.machine = new KvStateMachine(options);
  }

  /** Index the next `run` applies at. */
  get index(): number {
    return Math.max(this.nextIndex, this.machine.appliedIndex + 1);
  }

  /** Applies a command (with an optional session) at the next index. */
  run(command: KvCommand, session?: ClientSession): KvResult {
    return this.raw(encodeCommand(session === undefined ? { command } : { session, command }));
  }

  /** Applies raw entry bytes at the next index. */
  raw(bytes: Uint8Array): KvResult {
    const index = this.index;
    this.nextIndex = index + 1;
    return decodeResult(this.machine.apply({ index, term: 1, command: bytes }));
  }

  query(query: KvQuery): KvResult {
    return decodeResult(this.machine.query(encodeQuery(query)));
  }

  get(key: string): KvGetResult {
    const result = this.query({ kind: 'get', key });
    if (result.kind !== 'get') throw new Error(`query returned ${JSON.stringify(result)}`);
    return result;
  }

  /** Grants a lease and returns its id. */
  grant(ttlMs = 5000): string {
    const result = this.run({ kind: 'leaseGrant', ttlMs });
    if (result.kind !== 'leaseGrant') throw new Error(`grant returned ${JSON.stringify(result)}`);
    return result.id;
  }
}

export const put = (key: string, value: string, lease?: string): KvPut =>
  (lease === undefined ? { kind: 'put', key, value } : { kind: 'put', key, value, lease });
export const del = (key: string): KvDelete => ({ kind: 'delete', key });
export const cas = (key: string, expected: string | null, value: string): KvCommand => ({ kind: 'cas', key, expected, value });
export const get = (key: string): KvGet => ({ kind: 'get', key });
export const range = (prefix: string, limit?: number, after?: string): KvRange =>
  ({ kind: 'range', prefix, ...(limit === undefined ? {} : { limit }), ...(after === undefined ? {} : { after }) });
export const txn = (compare: readonly KvCompare[], success: readonly KvTxnOp[], failure: readonly KvTxnOp[] = []): KvCommand =>
  ({ kind: 'txn', compare, success, failure });
export const cmp = (key: string, target: KvCompare['target'], op: KvCompare['op'], value: KvCompare['value']): KvCompare => ({ key, target, op, value });
export const noop: KvCommand = { kind: 'noop' };
export const session = (clientId: string, seq: number): ClientSession => ({ clientId, seq });

/** Error results compared by code only: messages are for humans. */
export function comparable(result: KvResult): KvResult {
  return result.kind === 'error' ? { ...result, message: '' } : result;
}
