import { assert } from '../core/assert.js';

/**
 * The largest file the in-memory disk models. Writes past it fail with EFBIG rather than
 * allocating without bound; the simulator's files are far smaller.
 */
export const memoryFileSizeBytesMax = 1 << 30;

const initialCapacityBytes = 64;

/**
 * The bytes of one file, growable in place so that appends cost O(appended bytes).
 * Invariant: every byte of the backing buffer at or past `size` is zero, so extending the file
 * (by a write past the end or a truncate up) exposes zeros without extra work.
 */
export class ByteContent {
  private buffer: Uint8Array;
  private sizeBytes: number;

  constructor(initial: Uint8Array = new Uint8Array(0)) {
    this.buffer = new Uint8Array(Math.max(initialCapacityBytes, initial.length));
    this.buffer.set(initial);
    this.sizeBytes = initial.length;
  }

  get size(): number {
    return this.sizeBytes;
  }

  /** A copy of up to `length` bytes at `position`; shorter only at the end of the content. */
  read(position: number, length: number): Uint8Array {
    const end = Math.min(this.sizeBytes, position + length);
    if (end <= position) return new Uint8Array(0);
    return this.buffer.slice(position, end);
  }

  write(position: number, data: Uint8Array): void {
    if (data.length === 0) return;
    const end = position + data.length;
    assert(end <= memoryFileSizeBytesMax, `write past memoryFileSizeBytesMax: ${end}`);
    this.reserve(end);
    this.buffer.set(data, position);
    if (end > this.sizeBytes) this.sizeBytes = end;
  }

  truncate(size: number): void {
    assert(size <= memoryFileSizeBytesMax, `truncate past memoryFileSizeBytesMax: ${size}`);
    if (size < this.sizeBytes) {
      this.buffer.fill(0, size, this.sizeBytes);
    } else {
      this.reserve(size);
    }
    this.sizeBytes = size;
  }

  flipBit(byteOffset: number, bit: number): void {
    assert(byteOffset < this.sizeBytes, `flipBit past the end: ${byteOffset} >= ${this.sizeBytes}`);
    const current = this.buffer[byteOffset];
    assert(current !== undefined, 'flipBit: offset inside the buffer');
    this.buffer[byteOffset] = current ^ (1 << bit);
  }

  /** A copy of the whole content. */
  bytes(): Uint8Array {
    return this.buffer.slice(0, this.sizeBytes);
  }

  clone(): ByteContent {
    return new ByteContent(this.buffer.subarray(0, this.sizeBytes));
  }

  private reserve(capacityBytes: number): void {
    if (capacityBytes <= this.buffer.length) return;
    const grown = new Uint8Array(Math.min(memoryFileSizeBytesMax, Math.max(capacityBytes, this.buffer.length * 2)));
    grown.set(this.buffer.subarray(0, this.sizeBytes));
    this.buffer = grown;
  }
}
