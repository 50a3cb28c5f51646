import { crc32c } from '@node-rs/crc32';

/**
 * CRC32C masked as LevelDB does: a checksum stored next to the data it covers must not be
 * trivially valid for an all-zero region (a preallocated or zero-filled tail).
 */
export function maskedCrc32c(bytes: Uint8Array): number {
  return maskCrc(crc32c(bytes) >>> 0);
}

export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Plain CRC32C, chainable over chunks for streamed data. */
export function crc32cChunk(bytes: Uint8Array, previous = 0): number {
  return crc32c(bytes, previous) >>> 0;
}
