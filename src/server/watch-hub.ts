/**
 * Live watches: after every applied entry that moved the store's revision, each watcher gets the
 * events it has not seen, read from the state machine's bounded history. A watcher that falls
 * behind the history (or asks for a revision already compacted) gets `compacted` and is closed.
 */
import type { KvEvent, KvStateMachine, KvWatchFilter } from '../kv/index.js';
import type { KeelNode } from './keel-node.js';

export interface WatchSink {
  events(events: readonly KvEvent[]): void;
  compacted(compactRevision: number): void;
}

interface Watcher {
  readonly filter: KvWatchFilter;
  next: number;
  readonly sink: WatchSink;
}

/** Events handed to one watcher per step; more follow on the next apply or the catch-up loop. */
const batchEvents = 1_000;

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private lastRevision: number;

  constructor(private readonly stateMachine: KvStateMachine, node: KeelNode) {
    this.lastRevision = stateMachine.revision;
    node.on({
      onApplied: () => {
        if (this.watchers.size === 0 || stateMachine.revision === this.lastRevision) return;
        this.lastRevision = stateMachine.revision;
        for (const watcher of this.watchers) this.feed(watcher);
      },
    });
  }

  get size(): number {
    return this.watchers.size;
  }

  /** Starts delivering events from `fromRevision` (default: changes after now); returns the cancel. */
  watch(filter: KvWatchFilter, fromRevision: number | undefined, sink: WatchSink): () => void {
    const watcher: Watcher = { filter, next: fromRevision ?? this.stateMachine.revision + 1, sink };
    this.watchers.add(watcher);
    this.feed(watcher);
    return () => this.watchers.delete(watcher);
  }

  private feed(watcher: Watcher): void {
    while (this.watchers.has(watcher) && watcher.next <= this.stateMachine.revision) {
      const result = this.stateMachine.eventsSince(watcher.next, watcher.filter, batchEvents);
      if (result.kind === 'compacted') {
        this.watchers.delete(watcher);
        watcher.sink.compacted(result.compactRevision);
        return;
      }
      watcher.next = result.nextRevision;
      if (result.events.length > 0) watcher.sink.events(result.events);
      if (result.events.length === 0) return;
    }
  }
}
