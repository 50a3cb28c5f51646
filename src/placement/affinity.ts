import type { HashRing } from './hash-ring.js';

/**
 * Consistent-hash affinity for the task scheduler: the worker for `key` is the first member met
 * walking the ring from the key that is in `liveWorkers`.
 *
 * - While a key's owner is live, the key always goes to it (same key, same worker: warm caches).
 * - When the owner is suspected or gone, the key goes to the next live member on the ring, which
 *   is exactly where the key would land if the dead members were removed from the ring
 *   (`pickWorker(ring, key, live)` equals the owner in a ring of only the live members, with the
 *   same weights; tested as a property). So a failure moves only the failed worker's keys, each
 *   to a stable fallback, and they come back when the worker does.
 *
 * The ring holds the workers the scheduler knows (add on join, remove on leave); liveness, which
 * changes far more often, is passed per call and never rebuilds the ring. A live worker that is
 * not on the ring is never picked. Returns undefined when no member of the ring is live: the
 * scheduler then waits or falls back to another policy.
 */
export function pickWorker<M extends string>(ring: HashRing<M>, key: string, liveWorkers: ReadonlySet<M>): M | undefined {
  if (liveWorkers.size === 0) return undefined;
  for (const member of ring.successors(key)) {
    if (liveWorkers.has(member)) return member;
  }
  return undefined;
}
