/** The replicated KV state machine: public face. See docs/kv.md. */
export { KvStateMachine } from './kv-state-machine.js';
export {
  decodeCommand, decodeResult, encodeCommand, encodeQuery, encodeResult, kvError, kvErrorRetryable, validateCommand,
  type ClientSession, type Decoded, type KvCommand, type KvCommandKind, type KvEnvelope, type KvErrorCode, type KvErrorResult,
  type KvGetResult, type KvQuery, type KvResult, type KvResultFor, type KvResultKind,
} from './commands.js';
export { kvDefaults, resolveKvOptions, type KvOptions, type KvOptionsInput } from './options.js';
export { clientIdBytesMax, commandBytesMax, keyBytesMax, resultBytesMax, valueBytesMax } from './limits.js';
export { compareKeys } from './keys.js';
export { KV_SNAPSHOT_FORMAT, KV_SNAPSHOT_VERSION } from './snapshot.js';
