/**
 * On-disk format of WAL segments (docs/storage.md has the diagrams and the reasoning).
 * Everything little-endian; records 8-byte aligned so a recovery scan can probe aligned offsets.
 */
import { assert } from '../../core/assert.js';
import { readU64, viewOf, writeU64 } from '../../core/bytes.js';
import { maskedCrc32c } from '../crc.js';

export const SEGMENT_MAGIC = 'KEELWAL\0';
export const SEGMENT_FORMAT_VERSION = 1;
export const SEGMENT_HEADER_SIZE = 64;
export const RECORD_HEADER_SIZE = 40;
export const RECORD_ALIGNMENT = 8;

/** One log record. `type` is the caller's (Raft entry kind); the WAL does not interpret it. */
export interface WalRecord {
  readonly index: number;
  readonly term: number;
  readonly type: number;
  readonly payload: Uint8Array;
}

export interface SegmentHeader {
  readonly version: number;
  readonly seq: number;
  readonly firstIndex: number;
}

const magicBytes = new TextEncoder().encode(SEGMENT_MAGIC);

export function frameSize(payloadLength: number): number {
  return align(RECORD_HEADER_SIZE + payloadLength);
}

export function align(size: number): number {
  return Math.ceil(size / RECORD_ALIGNMENT) * RECORD_ALIGNMENT;
}

export function encodeSegmentHeader(header: SegmentHeader): Uint8Array {
  const bytes = new Uint8Array(SEGMENT_HEADER_SIZE);
  const view = viewOf(bytes);
  bytes.set(magicBytes, 0);
  view.setUint16(8, header.version, true);
  writeU64(view, 16, header.seq);
  writeU64(view, 24, header.firstIndex);
  view.setUint32(12, maskedCrc32c(bytes), true);
  return bytes;
}

export type SegmentHeaderResult =
  | { readonly kind: 'ok'; readonly header: SegmentHeader }
  | { readonly kind: 'newerVersion'; readonly version: number }
  | { readonly kind: 'invalid'; readonly reason: string };

export function decodeSegmentHeader(bytes: Uint8Array): SegmentHeaderResult {
  if (bytes.length < SEGMENT_HEADER_SIZE) return { kind: 'invalid', reason: `file shorter than the ${SEGMENT_HEADER_SIZE}-byte header` };
  for (let i = 0; i < magicBytes.length; i++) {
    if (bytes[i] !== magicBytes[i]) return { kind: 'invalid', reason: 'bad magic' };
  }
  const header = bytes.slice(0, SEGMENT_HEADER_SIZE);
  const view = viewOf(header);
  const stored = view.getUint32(12, true);
  view.setUint32(12, 0, true);
  if (maskedCrc32c(header) !== stored) return { kind: 'invalid', reason: 'header checksum mismatch' };
  const version = view.getUint16(8, true);
  if (version > SEGMENT_FORMAT_VERSION) return { kind: 'newerVersion', version };
  const seq = readU64(view, 16);
  const firstIndex = readU64(view, 24);
  if (seq < 0 || firstIndex < 1) return { kind: 'invalid', reason: 'header fields out of range' };
  return { kind: 'ok', header: { version, seq, firstIndex } };
}

/** Encodes `record` into `target` at `offset`; returns the aligned frame size written. */
export function encodeRecord(target: Uint8Array, offset: number, record: WalRecord, batchFirstIndex: number): number {
  assert(record.type >= 0 && record.type <= 255 && Number.isInteger(record.type), `record type out of range: ${record.type}`);
  const size = frameSize(record.payload.length);
  assert(offset + size <= target.length, 'record frame overflows the batch buffer');
  const view = new DataView(target.buffer, target.byteOffset + offset, size);
  view.setUint32(4, record.payload.length, true);
  writeU64(view, 8, record.index);
  writeU64(view, 16, record.term);
  writeU64(view, 24, batchFirstIndex);
  view.setUint8(32, record.type);
  target.set(record.payload, offset + RECORD_HEADER_SIZE);
  const covered = target.subarray(offset + 4, offset + RECORD_HEADER_SIZE + record.payload.length);
  view.setUint32(0, maskedCrc32c(covered), true);
  return size;
}

export interface DecodedFrame {
  readonly index: number;
  readonly term: number;
  readonly type: number;
  readonly batchFirstIndex: number;
  readonly payloadOffset: number;
  readonly payloadLength: number;
  readonly size: number;
}

/**
 * Decodes the frame at `offset` if it is complete and its checksum matches; undefined otherwise.
 * Never trusts a field before the checksum has been verified.
 */
export function decodeFrame(bytes: Uint8Array, offset: number, payloadBytesMax: number): DecodedFrame | undefined {
  if (offset + RECORD_HEADER_SIZE > bytes.length) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, RECORD_HEADER_SIZE);
  const stored = view.getUint32(0, true);
  const payloadLength = view.getUint32(4, true);
  if (stored === 0 && payloadLength === 0) return undefined;
  if (payloadLength > payloadBytesMax) return undefined;
  const size = frameSize(payloadLength);
  if (offset + RECORD_HEADER_SIZE + payloadLength > bytes.length) return undefined;
  const covered = bytes.subarray(offset + 4, offset + RECORD_HEADER_SIZE + payloadLength);
  if (maskedCrc32c(covered) !== stored) return undefined;
  const index = readU64(view, 8);
  const term = readU64(view, 16);
  const batchFirstIndex = readU64(view, 24);
  if (index < 1 || term < 0 || batchFirstIndex < 1 || batchFirstIndex > index) return undefined;
  return { index, term, type: view.getUint8(32), batchFirstIndex, payloadOffset: offset + RECORD_HEADER_SIZE, payloadLength, size };
}

const SEGMENT_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

export function segmentFileName(seq: number, firstIndex: number): string {
  return `${seq.toString(16).padStart(16, '0')}-${firstIndex.toString(16).padStart(16, '0')}.wal`;
}

export function parseSegmentFileName(name: string): { seq: number; firstIndex: number } | undefined {
  const match = SEGMENT_NAME.exec(name);
  if (!match) return undefined;
  return { seq: Number.parseInt(match[1]!, 16), firstIndex: Number.parseInt(match[2]!, 16) };
}
