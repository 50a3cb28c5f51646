import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameReader, frameOf, frameVersion, type FrameRead } from './frame.js';
import { rawFrame } from './transport.test-kit.js';

function readAll(reader: FrameReader, sizeBytesMax: number): FrameRead[] {
  const out: FrameRead[] = [];
  for (let read = reader.next(sizeBytesMax); read.kind !== 'incomplete'; read = reader.next(sizeBytesMax)) {
    out.push(read);
    if (read.kind === 'invalid') break;
  }
  return out;
}

describe('frames', () => {
  it('lays out [u32 BE length][u8 version][body], the length counting version and body', () => {
    expect([...frameOf(Uint8Array.of(0xaa, 0xbb))]).toEqual([0, 0, 0, 3, frameVersion, 0xaa, 0xbb]);
  });

  it('cuts any split of a stream of frames back into the same bodies (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }), (bodies, cuts) => {
        const stream = Buffer.concat(bodies.map(frameOf));
        const reader = new FrameReader();
        const got: Uint8Array[] = [];
        for (let at = 0, i = 0; at < stream.length; i++) {
          const size = cuts[i % cuts.length]!;
          reader.push(stream.subarray(at, at + size));
          at += size;
          for (const read of readAll(reader, 1 << 20)) {
            if (read.kind !== 'frame') throw new Error(`unexpected ${read.kind}`);
            got.push(new Uint8Array(read.body));
          }
        }
        expect(got).toEqual(bodies.map((b) => new Uint8Array(b)));
      }),
    );
  });

  it('returns bodies that do not alias the pushed chunks', () => {
    const chunk = frameOf(Uint8Array.of(1, 2, 3));
    const reader = new FrameReader();
    reader.push(chunk);
    const read = reader.next(100);
    chunk.fill(0);
    expect(read).toMatchObject({ kind: 'frame' });
    expect([...(read as { body: Buffer }).body]).toEqual([1, 2, 3]);
  });

  it('refuses an oversized length as soon as the 4 length bytes arrive', () => {
    const reader = new FrameReader();
    reader.push(Buffer.from([0, 0, 1]));
    expect(reader.next(255)).toEqual({ kind: 'incomplete' });
    reader.push(Buffer.from([0]));
    expect(reader.next(255)).toMatchObject({ kind: 'invalid', reason: 'frame of 256 bytes exceeds 255' });
  });

  it('refuses a zero length and an unknown version before the body arrives', () => {
    const zero = new FrameReader();
    zero.push(rawFrame(0, frameVersion));
    expect(zero.next(100)).toMatchObject({ kind: 'invalid' });
    const foreign = new FrameReader();
    foreign.push(rawFrame(50, 2));
    expect(foreign.next(100)).toMatchObject({ kind: 'invalid', reason: 'unknown frame version 2' });
  });

  it('applies the limit given to each call, so it can rise after the handshake', () => {
    const reader = new FrameReader();
    reader.push(Buffer.concat([frameOf(new Uint8Array(10)), frameOf(new Uint8Array(100))]));
    expect(reader.next(20)).toMatchObject({ kind: 'frame' });
    expect(reader.next(20)).toMatchObject({ kind: 'invalid' });
    const again = new FrameReader();
    again.push(Buffer.concat([frameOf(new Uint8Array(10)), frameOf(new Uint8Array(100))]));
    expect(again.next(20)).toMatchObject({ kind: 'frame' });
    expect(again.next(200)).toMatchObject({ kind: 'frame' });
  });
});
