/**
 * Fixed limits of the KV state machine. They decide which commands are applied, so every
 * replica must use the same values: they are constants, not per-node configuration. The
 * per-cluster bounds on state (sessions, data) are options: see options.ts.
 */

/** A key's size in UTF-8 bytes (etcd's default is 1.5 KiB for the whole request; 4 KiB is generous). */
export const keyBytesMax = 4096;

/** A value's size in UTF-8 bytes (also bounds a cas `expected`). */
export const valueBytesMax = 1024 * 1024;

/** A session's client id in UTF-8 bytes. */
export const clientIdBytesMax = 256;

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
 * `COMMAND_TOO_LARGE` without being parsed. Stays below the WAL's 16 MiB record limit.
 */
export const commandBytesMax = jsonEscapeFactorMax * (keyBytesMax + 2 * valueBytesMax + clientIdBytesMax) + envelopeOverheadBytesMax;

/** Encoded result bytes: a result carries at most one value. */
export const resultBytesMax = jsonEscapeFactorMax * valueBytesMax + envelopeOverheadBytesMax;
