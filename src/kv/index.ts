/** The replicated KV state machine: public face. See docs/kv.md. */
export { KvStateMachine } from './kv-state-machine.js';
export {
  isLeaseId,
  type ClientSession, type KvCommand, type KvCommandKind, type KvCompare, type KvCompareOp, type KvCompareTarget, type KvDelete,
  type KvEnvelope, type KvGet, type KvPut, type KvQuery, type KvRange, type KvTxnOp,
} from './commands.js';
export {
  kvError, kvErrorRetryable,
  type Decoded, type KeyValue, type KvErrorCode, type KvErrorResult, type KvGetResult, type KvLeaseInfo, type KvRangeResult,
  type KvResult, type KvResultFor, type KvResultKind, type KvTxnOpResult,
} from './results.js';
export { decodeCommand, decodeResult } from './decode.js';
export { encodeCommand, encodeQuery, encodeResult } from './encode.js';
export { validateCommand } from './validate.js';
export type { KvEvent, KvEventsResult, KvWatchFilter } from './history.js';
export { kvDefaults, resolveKvOptions, type KvOptions, type KvOptionsInput } from './options.js';
export {
  clientIdBytesMax, commandBytesMax, keyBytesMax, leaseTtlMsMax, leaseTtlMsMin, rangeLimitMax, resultBytesMax, resultKvBytesMax,
  txnOpsMax, valueBytesMax,
} from './limits.js';
export { compareKeys } from './keys.js';
export { KV_SNAPSHOT_FORMAT, KV_SNAPSHOT_VERSION } from './snapshot.js';
