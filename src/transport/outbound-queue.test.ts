import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OutboundQueue, type MessageClass, type QueuedFrame } from './outbound-queue.js';

const item = (cls: MessageClass, size = 10, tag = 0): QueuedFrame => ({ cls, frame: new Uint8Array(size).fill(tag) });
const tags = (q: OutboundQueue): string[] => {
  const out: string[] = [];
  for (let next = q.shift(); next !== undefined; next = q.shift()) out.push(`${next.cls[0]}${next.frame[0]}`);
  return out;
};

describe('OutboundQueue', () => {
  it('keeps FIFO order within its bounds', () => {
    const q = new OutboundQueue(10, 1000);
    for (let i = 0; i < 5; i++) expect(q.push(item(i % 2 ? 'heartbeat' : 'data', 10, i))).toEqual({ accepted: true, dropped: 0 });
    expect(q.count).toBe(5);
    expect(q.bytes).toBe(50);
    expect(tags(q)).toEqual(['d0', 'h1', 'd2', 'h3', 'd4']);
    expect(q.bytes).toBe(0);
  });

  it('when full by count, drops the oldest heartbeat first, then refuses the new message', () => {
    const q = new OutboundQueue(3, 1000);
    q.push(item('data', 10, 1));
    q.push(item('heartbeat', 10, 2));
    q.push(item('heartbeat', 10, 3));
    expect(q.push(item('data', 10, 4))).toEqual({ accepted: true, dropped: 1 });
    expect(q.push(item('data', 10, 5))).toEqual({ accepted: true, dropped: 1 });
    expect(q.push(item('heartbeat', 10, 6))).toEqual({ accepted: false, dropped: 1 });
    expect(tags(q)).toEqual(['d1', 'd4', 'd5']);
  });

  it('when full by bytes, drops as many old heartbeats as the new frame needs', () => {
    const q = new OutboundQueue(100, 100);
    for (let i = 0; i < 4; i++) q.push(item('heartbeat', 20, i));
    q.push(item('data', 20, 9));
    expect(q.push(item('data', 50, 7))).toEqual({ accepted: true, dropped: 3 });
    expect(tags(q)).toEqual(['h3', 'd9', 'd7']);
  });

  it('purges one class, as a lost connection does with RPC frames', () => {
    const q = new OutboundQueue(10, 1000);
    q.push(item('rpc', 10, 1));
    q.push(item('data', 10, 2));
    q.push(item('rpc', 10, 3));
    expect(q.purge('rpc')).toBe(2);
    expect(q.bytes).toBe(10);
    expect(tags(q)).toEqual(['d2']);
  });

  it('matches a simple model under any sequence of pushes and shifts (property)', () => {
    const op = fc.oneof(
      fc.record({ push: fc.constantFrom<MessageClass>('heartbeat', 'data', 'rpc'), size: fc.integer({ min: 1, max: 40 }) }),
      fc.constant({ shift: true as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const q = new OutboundQueue(8, 120);
        let model: { cls: MessageClass; size: number }[] = [];
        let dropped = 0;
        let modelDropped = 0;
        for (const o of ops) {
          if ('shift' in o) {
            const got = q.shift();
            const want = model.shift();
            expect(got?.frame.length).toBe(want?.size);
            continue;
          }
          dropped += q.push({ cls: o.push, frame: new Uint8Array(o.size) }).dropped;
          const fits = (m: typeof model): boolean => m.length < 8 && m.reduce((s, x) => s + x.size, 0) + o.size <= 120;
          while (!fits(model)) {
            const i = model.findIndex((x) => x.cls === 'heartbeat');
            if (i < 0) break;
            model = model.filter((_, j) => j !== i);
            modelDropped++;
          }
          if (fits(model)) model.push({ cls: o.push, size: o.size });
          else modelDropped++;
          expect(q.count).toBe(model.length);
          expect(q.bytes).toBe(model.reduce((s, x) => s + x.size, 0));
        }
        expect(dropped).toBe(modelDropped);
      }),
    );
  });
});
