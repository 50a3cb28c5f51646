import { Buffer } from 'node:buffer';
import { assert } from '../core/assert.js';

/**
 * Frame layout: [u32 big-endian length][u8 version][body]. `length` counts the version byte and
 * the body, so a frame occupies 4 + length bytes and `length <= frameSizeBytesMax`.
 */
export const frameVersion = 1;
export const frameLengthBytes = 4;

export function frameOf(body: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(frameLengthBytes + 1 + body.length);
  frame.writeUInt32BE(1 + body.length, 0);
  frame[frameLengthBytes] = frameVersion;
  frame.set(body, frameLengthBytes + 1);
  return frame;
}

export type FrameRead =
  | { readonly kind: 'frame'; readonly body: Buffer }
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'invalid'; readonly reason: string };

/**
 * Cuts a byte stream into frame bodies. The length is checked as soon as its 4 bytes arrive and
 * the version as soon as its byte does, so an oversized or foreign frame is refused before any
 * of its body is buffered. Bodies are fresh copies: decoded byte fields may point into them.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
  }

  /** The next complete frame; `sizeBytesMax` may differ between calls (handshake vs. open). */
  next(sizeBytesMax: number): FrameRead {
    if (this.bufferedBytes < frameLengthBytes) return { kind: 'incomplete' };
    const header = this.peek(Math.min(this.bufferedBytes, frameLengthBytes + 1));
    const length = header.readUInt32BE(0);
    if (length === 0) return { kind: 'invalid', reason: 'empty frame (no version byte)' };
    if (length > sizeBytesMax) return { kind: 'invalid', reason: `frame of ${length} bytes exceeds ${sizeBytesMax}` };
    const version = header[frameLengthBytes];
    if (version === undefined) return { kind: 'incomplete' };
    if (version !== frameVersion) return { kind: 'invalid', reason: `unknown frame version ${version}` };
    if (this.bufferedBytes < frameLengthBytes + length) return { kind: 'incomplete' };
    this.skip(frameLengthBytes + 1);
    return { kind: 'frame', body: this.take(length - 1) };
  }

  private peek(count: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= count) return first;
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    for (const chunk of this.chunks) {
      if (filled === count) break;
      filled += chunk.copy(out, filled, 0, Math.min(chunk.length, count - filled));
    }
    return out;
  }

  private take(count: number): Buffer {
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) filled += this.consumeInto(out, filled, count - filled);
    return out;
  }

  private skip(count: number): void {
    let skipped = 0;
    while (skipped < count) skipped += this.consumeInto(undefined, 0, count - skipped);
  }

  private consumeInto(out: Buffer | undefined, at: number, wanted: number): number {
    const head = this.chunks[0];
    assert(head !== undefined, 'FrameReader consumed past its buffered bytes');
    const used = Math.min(head.length, wanted);
    if (out !== undefined) head.copy(out, at, 0, used);
    if (used === head.length) this.chunks.shift();
    else this.chunks[0] = head.subarray(used);
    this.bufferedBytes -= used;
    return used;
  }
}
