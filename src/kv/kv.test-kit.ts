/** Helpers shared by the KV tests: a driver that numbers entries and decodes results. */
import { decodeResult, encodeCommand, encodeQuery, type ClientSession, type KvCommand, type KvGetResult, type KvResult } from './commands.js';
import { KvStateMachine } from './kv-state-machine.js';
import type { KvOptionsInput } from './options.js';

export class Driver {
  readonly machine: KvStateMachine;
  private nextIndex = 1;

  constructor(options: KvOptionsInput = {}) {
    this.machine = new KvStateMachine(options);
  }

  /** Applies a command (with an optional session) at the next index. */
  run(command: KvCommand, session?: ClientSession): KvResult {
    return this.raw(encodeCommand(session === undefined ? { command } : { session, command }));
  }

  /** Applies raw entry bytes at the next index. */
  raw(bytes: Uint8Array): KvResult {
    const index = Math.max(this.nextIndex, this.machine.appliedIndex + 1);
    this.nextIndex = index + 1;
    return decodeResult(this.machine.apply({ index, term: 1, command: bytes }));
  }

  get(key: string): KvGetResult {
    const result = decodeResult(this.machine.query(encodeQuery({ kind: 'get', key })));
    if (result.kind !== 'get') throw new Error(`query returned ${JSON.stringify(result)}`);
    return result;
  }
}

export const put = (key: string, value: string): KvCommand => ({ kind: 'put', key, value });
export const del = (key: string): KvCommand => ({ kind: 'delete', key });
export const cas = (key: string, expected: string | null, value: string): KvCommand => ({ kind: 'cas', key, expected, value });
export const get = (key: string): KvCommand => ({ kind: 'get', key });
export const noop: KvCommand = { kind: 'noop' };
export const session = (clientId: string, seq: number): ClientSession => ({ clientId, seq });

/** Error results compared by code only: messages are for humans. */
export function comparable(result: KvResult): KvResult {
  return result.kind === 'error' ? { ...result, message: '' } : result;
}
