/**
 * Fixed limits of the KV state machine. They decide which commands are applied, so every
 * replica must use the same values: they are constants, not per-node configuration. The
 * per-cluster bounds on state (sessions, data, leases, history) are options: see options.ts.
 */

/** A key's size in UTF-8 bytes (etcd's default is 1.5 KiB for the whole request; 4 KiB is generous). */
export const keyBytesMax = 4096;

/** A value's size in UTF-8 bytes (also bounds a cas `expected` and a txn compare value). */
export const valueBytesMax = 1024 * 1024;

/** A session's client id in UTF-8 bytes. */
export const clientIdBytesMax = 256;

/** Keys returned by one range (its `limit` defaults to this; a larger one is RANGE_LIMIT_TOO_LARGE). */
export const rangeLimitMax = 10_000;

/** Entries in each list of a txn: compares, success ops, failure ops (etcd's --max-txn-ops is 128). */
export const txnOpsMax = 128;

/** A lease's TTL: above a heartbeat round trip through the log, below a day. */
export const leaseTtlMsMin = 500;
export const leaseTtlMsMax = 24 * 60 * 60 * 1000;

/** Digits of a lease id: a log index as a decimal string, so at most Number.MAX_SAFE_INTEGER. */
export const leaseIdDigitsMax = 16;

/**
 * JSON grows a string by at most this factor: a control character (1 UTF-8 byte) is escaped
 * as `\u00XX` (6 bytes); everything else stays the same or doubles (`"`, `\`).
 */
export const jsonEscapeFactorMax = 6;

/** Room for field names, numbers and punctuation around the strings of one command or result. */
const envelopeOverheadBytesMax = 1024;

/**
 * Encoded command bytes accepted before parsing (a cas with a full key, expected and value,
 * every character escaped, inside an envelope with a session). Anything larger is rejected as
 * `COMMAND_TOO_LARGE` without being parsed; a txn must fit too. Stays below the WAL's 16 MiB
 * record limit.
 */
export const commandBytesMax = jsonEscapeFactorMax * (keyBytesMax + 2 * valueBytesMax + clientIdBytesMax) + envelopeOverheadBytesMax;

/**
 * What one key-value costs against `resultKvBytesMax` besides its key and value: the JSON around
 * it (field names, three revisions of up to 16 digits, a lease id) is about 150 bytes.
 */
export const kvOverheadBytes = 192;

/**
 * Budget of the key-values one result may carry (a range, or all gets and ranges of a txn), each
 * costing key + value + kvOverheadBytes in UTF-8 bytes. A range stops early (`more: true`) at it;
 * a txn get that does not fit fails the txn with RESULT_TOO_LARGE. One largest key-value fits.
 */
export const resultKvBytesMax = 2 * 1024 * 1024;

/** JSON of one txn op result besides its key-values (`{"kind":"range","kvs":[],"more":false}`). */
const txnOpResultOverheadBytes = 64;

/** One entry of a `leases` result: `{"id":"<16 digits>","ttlMs":<8 digits>,"keys":<16 digits>}`. */
export const leaseListEntryBytesMax = 96;

/**
 * Encoded result bytes: key-values escaped at worst, plus one op result per txn op. Also covers
 * a cas or get (one value). Stays below the transport's 16 MiB frame, so a follower can forward it.
 */
export const resultBytesMax = jsonEscapeFactorMax * resultKvBytesMax + txnOpsMax * txnOpResultOverheadBytes + envelopeOverheadBytesMax;

/** What one watch event costs against historyBytesMax besides its key, value and lease id. */
export const eventOverheadBytes = 128;
