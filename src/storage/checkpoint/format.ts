/** Checkpoint file format (docs/storage.md): a fixed header, caller metadata, then the data. */
import { readU64, viewOf, writeU64 } from '../../core/bytes.js';
import { maskedCrc32c } from '../crc.js';

export const CHECKPOINT_MAGIC = new TextEncoder().encode('KEELCKP\0');
export const CHECKPOINT_FORMAT_VERSION = 1;
export const CHECKPOINT_HEADER_SIZE = 64;
export const CHECKPOINT_METADATA_BYTES_MAX = 64 * 1024;

export interface CheckpointHeader {
  readonly index: number;
  readonly term: number;
  readonly dataLength: number;
  /** Masked CRC32C of the data, chained over all chunks. */
  readonly dataCrc: number;
  readonly metadata: Uint8Array;
}

export function encodeCheckpointHeader(header: CheckpointHeader, version = CHECKPOINT_FORMAT_VERSION): Uint8Array {
  const bytes = new Uint8Array(CHECKPOINT_HEADER_SIZE + header.metadata.length);
  const view = viewOf(bytes);
  bytes.set(CHECKPOINT_MAGIC, 0);
  view.setUint16(8, version, true);
  writeU64(view, 16, header.index);
  writeU64(view, 24, header.term);
  writeU64(view, 32, header.dataLength);
  view.setUint32(40, header.dataCrc, true);
  view.setUint32(44, header.metadata.length, true);
  bytes.set(header.metadata, CHECKPOINT_HEADER_SIZE);
  view.setUint32(12, maskedCrc32c(bytes), true);
  return bytes;
}

export type CheckpointHeaderResult =
  | { readonly kind: 'ok'; readonly header: CheckpointHeader; readonly size: number }
  | { readonly kind: 'newerVersion'; readonly version: number }
  | { readonly kind: 'needMore'; readonly size: number }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Decodes a header from the first bytes of a file; asks for more when metadata is longer. */
export function decodeCheckpointHeader(bytes: Uint8Array): CheckpointHeaderResult {
  if (bytes.length < CHECKPOINT_HEADER_SIZE) return { kind: 'invalid', reason: 'file shorter than the header' };
  if (!CHECKPOINT_MAGIC.every((b, i) => bytes[i] === b)) return { kind: 'invalid', reason: 'bad magic' };
  const view = viewOf(bytes);
  const version = view.getUint16(8, true);
  const metadataLength = view.getUint32(44, true);
  if (metadataLength > CHECKPOINT_METADATA_BYTES_MAX) return { kind: 'invalid', reason: 'metadata length out of range' };
  const size = CHECKPOINT_HEADER_SIZE + metadataLength;
  if (bytes.length < size) return { kind: 'needMore', size };
  const copy = bytes.slice(0, size);
  const copyView = viewOf(copy);
  const stored = copyView.getUint32(12, true);
  copyView.setUint32(12, 0, true);
  if (maskedCrc32c(copy) !== stored) return { kind: 'invalid', reason: 'header checksum mismatch' };
  if (version > CHECKPOINT_FORMAT_VERSION) return { kind: 'newerVersion', version };
  const index = readU64(view, 16);
  const term = readU64(view, 24);
  const dataLength = readU64(view, 32);
  if (index < 0 || term < 0 || dataLength < 0) return { kind: 'invalid', reason: 'header fields out of range' };
  return { kind: 'ok', size, header: { index, term, dataLength, dataCrc: view.getUint32(40, true), metadata: copy.slice(CHECKPOINT_HEADER_SIZE) } };
}

const NAME = /^checkpoint-([0-9a-f]{16})-([0-9a-f]{16})\.ckpt$/;

export function checkpointFileName(index: number, term: number): string {
  return `checkpoint-${index.toString(16).padStart(16, '0')}-${term.toString(16).padStart(16, '0')}.ckpt`;
}

export function parseCheckpointFileName(name: string): { index: number; term: number } | undefined {
  const match = NAME.exec(name);
  if (!match) return undefined;
  return { index: Number.parseInt(match[1]!, 16), term: Number.parseInt(match[2]!, 16) };
}
