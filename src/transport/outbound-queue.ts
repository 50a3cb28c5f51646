import { assert } from '../core/assert.js';

/**
 * `heartbeat`: heartbeat and heartbeatResp, cheapest to lose (the next tick sends another).
 * `data`: every other Raft message (lost ones are retransmitted by Raft, but later).
 * `rpc`: requests and responses, which belong to one connection and are purged when it drops.
 */
export type MessageClass = 'heartbeat' | 'data' | 'rpc';

export interface QueuedFrame {
  readonly frame: Uint8Array;
  readonly cls: MessageClass;
}

export type PushResult =
  | { readonly accepted: true; readonly dropped: number }
  | { readonly accepted: false; readonly dropped: number };

/**
 * A peer's bounded outbound FIFO. When a frame does not fit, the oldest heartbeat-class frames
 * are dropped first; if it still does not fit, the new frame is refused. `dropped` counts the
 * frames lost by one push (evicted heartbeats plus the refused frame).
 */
export class OutboundQueue {
  private items: QueuedFrame[] = [];
  private head = 0;
  private sizeBytes = 0;

  constructor(
    readonly countMax: number,
    readonly sizeBytesMax: number,
  ) {
    assert(countMax > 0 && sizeBytesMax > 0, 'queue bounds must be positive');
  }

  get count(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.sizeBytes;
  }

  push(item: QueuedFrame): PushResult {
    let dropped = 0;
    while (!this.fits(item) && this.dropOldestHeartbeat()) dropped++;
    if (!this.fits(item)) return { accepted: false, dropped: dropped + 1 };
    this.items.push(item);
    this.sizeBytes += item.frame.length;
    return { accepted: true, dropped };
  }

  shift(): QueuedFrame | undefined {
    const item = this.items[this.head];
    if (item === undefined) return undefined;
    this.head++;
    this.sizeBytes -= item.frame.length;
    if (this.head > 64 && this.head * 2 > this.items.length) this.compact();
    return item;
  }

  /** Drops every frame of `cls`; returns how many. */
  purge(cls: MessageClass): number {
    const before = this.count;
    this.items = this.items.slice(this.head).filter((item) => item.cls !== cls);
    this.head = 0;
    this.sizeBytes = this.items.reduce((sum, item) => sum + item.frame.length, 0);
    return before - this.count;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.sizeBytes = 0;
  }

  private fits(item: QueuedFrame): boolean {
    return this.count < this.countMax && this.sizeBytes + item.frame.length <= this.sizeBytesMax;
  }

  private dropOldestHeartbeat(): boolean {
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i];
      if (item?.cls !== 'heartbeat') continue;
      this.items.splice(i, 1);
      this.sizeBytes -= item.frame.length;
      return true;
    }
    return false;
  }

  private compact(): void {
    this.items = this.items.slice(this.head);
    this.head = 0;
  }
}
