/**
 * Times the node's storage calls for the metrics: each persist (the WAL append and its fsync, one
 * group-commit batch) and each checkpoint save. The driver is pure and has no clock, so the
 * timing wraps the storage at the edge; the calls themselves are unchanged.
 */
import type { RaftStorage } from '../node/raft-storage.js';
import type { Clock } from '../ports/clock.js';

export interface StorageObserver {
  persisted(seconds: number, entries: number): void;
  checkpointSaved(seconds: number, bytes: number): void;
}

export function timeStorage(storage: RaftStorage, clock: Clock, observer: () => StorageObserver | undefined): void {
  const persist = storage.persist.bind(storage);
  const saveSnapshot = storage.saveSnapshot.bind(storage);
  storage.persist = async (rd, keptSuffix) => {
    const started = clock.now();
    await persist(rd, keptSuffix);
    if (rd.entries.length > 0) observer()?.persisted((clock.now() - started) / 1000, rd.entries.length);
  };
  storage.saveSnapshot = async (snapshot) => {
    const started = clock.now();
    await saveSnapshot(snapshot);
    observer()?.checkpointSaved((clock.now() - started) / 1000, snapshot.data.length);
  };
}
