/**
 * Recovery scan of one segment's bytes: the valid prefix, and what lies after it.
 *
 * The classification rule (docs/storage.md, "torn write or corruption"): the WAL writes one
 * batch and fdatasyncs it before writing the next, and every frame carries the first index of
 * its batch. A damaged region can therefore be a torn write only if it lies in the last batch.
 * A valid frame after the damage whose batch started after the damaged record proves a later
 * batch was written, which happens only after the damaged one was durable: that is corruption.
 */
import { RECORD_ALIGNMENT, SEGMENT_HEADER_SIZE, decodeFrame, type DecodedFrame } from './format.js';

export interface ScannedRecord {
  readonly index: number;
  readonly term: number;
  readonly offset: number;
  readonly size: number;
}

export type TailState =
  /** Nothing but zeros after the last valid record. */
  | { readonly kind: 'clean' }
  /** Garbage confined to the last batch: an unacknowledged write torn by a crash. */
  | { readonly kind: 'torn'; readonly offset: number; readonly droppedBytes: number; readonly validFramesAfter: number }
  /** Damage followed by evidence that it had been durable. */
  | { readonly kind: 'corrupt'; readonly offset: number; readonly evidenceOffset: number; readonly evidenceIndex: number; readonly validFramesAfter: number };

export interface SegmentScan {
  readonly records: ScannedRecord[];
  /** Offset just past the last valid record: where the next append goes. */
  readonly endOffset: number;
  readonly tail: TailState;
}

export function scanSegment(bytes: Uint8Array, firstIndex: number, payloadBytesMax: number): SegmentScan {
  const records: ScannedRecord[] = [];
  let offset = SEGMENT_HEADER_SIZE;
  let expected = firstIndex;
  for (;;) {
    const frame = decodeFrame(bytes, offset, payloadBytesMax);
    if (frame === undefined || frame.index !== expected) break;
    records.push({ index: frame.index, term: frame.term, offset, size: frame.size });
    offset += frame.size;
    expected += 1;
  }
  return { records, endOffset: offset, tail: classifyTail(bytes, offset, expected, payloadBytesMax) };
}

function classifyTail(bytes: Uint8Array, start: number, missingIndex: number, payloadBytesMax: number): TailState {
  const lastNonZero = lastNonZeroOffset(bytes, start);
  if (lastNonZero < start) return { kind: 'clean' };
  let validFramesAfter = 0;
  let evidence: DecodedFrame | undefined;
  let evidenceOffset = -1;
  for (let probe = start + RECORD_ALIGNMENT; probe <= lastNonZero; probe += RECORD_ALIGNMENT) {
    if (isZeroWord(bytes, probe)) continue;
    const frame = decodeFrame(bytes, probe, payloadBytesMax);
    if (frame === undefined) continue;
    validFramesAfter += 1;
    if (evidence === undefined && frame.batchFirstIndex > missingIndex) {
      evidence = frame;
      evidenceOffset = probe;
    }
  }
  if (evidence !== undefined) {
    return { kind: 'corrupt', offset: start, evidenceOffset, evidenceIndex: evidence.index, validFramesAfter };
  }
  return { kind: 'torn', offset: start, droppedBytes: lastNonZero + 1 - start, validFramesAfter };
}

function isZeroWord(bytes: Uint8Array, offset: number): boolean {
  const end = Math.min(offset + RECORD_ALIGNMENT, bytes.length);
  for (let i = offset; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}

function lastNonZeroOffset(bytes: Uint8Array, from: number): number {
  // Word-at-a-time over the aligned middle: preallocated segments are mostly zeros, and this
  // runs on every open.
  let end = bytes.length;
  const alignedStart = Math.ceil((bytes.byteOffset + from) / 4) * 4 - bytes.byteOffset;
  const alignedEnd = Math.floor((bytes.byteOffset + end) / 4) * 4 - bytes.byteOffset;
  for (let i = end - 1; i >= alignedEnd && i >= from; i--) if (bytes[i] !== 0) return i;
  if (alignedEnd > alignedStart) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + alignedStart, (alignedEnd - alignedStart) / 4);
    let w = words.length - 1;
    while (w >= 0 && words[w] === 0) w--;
    end = alignedStart + (w + 1) * 4;
    for (let i = end - 1; i >= alignedStart; i--) if (bytes[i] !== 0) return i;
  } else {
    end = Math.min(end, alignedEnd);
  }
  for (let i = Math.min(end, alignedStart) - 1; i >= from; i--) if (bytes[i] !== 0) return i;
  return from - 1;
}
