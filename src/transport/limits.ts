/** Fixed protocol limits (configurable ones live in options.ts). */

/** Frames before authentication are small; an unauthenticated socket never makes us buffer more. */
export const handshakeFrameSizeBytesMax = 4096;
export const nodeIdSizeMax = 128;
export const secretSizeBytesMin = 16;
export const nonceSizeBytes = 32;
export const methodSizeMax = 128;
export const errorMessageSizeMax = 4096;
/** HMAC-SHA256 output. */
export const proofSizeBytes = 32;
