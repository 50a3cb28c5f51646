/**
 * The simulated network: per-message drop, duplication and delay (jitter reorders), plus
 * directed link cuts for symmetric and asymmetric partitions and bridges.
 */
import type { Random } from '../ports/random.js';
import type { EventQueue } from './event-queue.js';

export interface NetworkFaults {
  dropRate: number;
  duplicateRate: number;
  /** Base one-way latency and the extra random delay on top (the source of reordering). */
  latencyMs: number;
  jitterMs: number;
}

export const calmNetwork: NetworkFaults = { dropRate: 0, duplicateRate: 0, latencyMs: 1, jitterMs: 1 };

export class SimNetwork {
  faults: NetworkFaults = { ...calmNetwork };
  private readonly cut = new Set<string>();
  sent = 0;
  dropped = 0;

  constructor(private readonly queue: EventQueue, private readonly random: Random) {}

  /** Delivers `deliver` after the link's delay unless the message is dropped or the link is cut. */
  send(from: string, to: string, deliver: () => void, duplicates = true): void {
    this.sent += 1;
    if (this.cut.has(`${from}>${to}`) || this.random.next() < this.faults.dropRate) {
      this.dropped += 1;
      return;
    }
    const copies = duplicates && this.random.next() < this.faults.duplicateRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = this.faults.latencyMs + this.random.next() * this.faults.jitterMs;
      this.queue.after(delay, () => {
        // A partition that starts while a message is in flight drops it too.
        if (!this.cut.has(`${from}>${to}`)) deliver();
      });
    }
  }

  cutOneWay(from: string, to: string): void {
    this.cut.add(`${from}>${to}`);
  }

  cutBoth(a: string, b: string): void {
    this.cutOneWay(a, b);
    this.cutOneWay(b, a);
  }

  /** Splits `groups` from each other (every link between groups cut both ways). */
  partition(groups: readonly (readonly string[])[]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        for (const a of groups[i]!) for (const b of groups[j]!) this.cutBoth(a, b);
      }
    }
  }

  healAll(): void {
    this.cut.clear();
  }

  get partitioned(): boolean {
    return this.cut.size > 0;
  }
}
