import type { Random } from '../ports/random.js';
import type { FailureDetector } from './failure-detector.js';

/** Heartbeat arrival times: `count` beats every `intervalMs`, each moved by up to +-`jitterMs`. */
export function jitteredHeartbeats(random: Random, options: { readonly startMs?: number; readonly intervalMs: number; readonly jitterMs: number; readonly count: number }): number[] {
  const times: number[] = [];
  let nominalMs = options.startMs ?? 0;
  let lastMs = -Infinity;
  for (let i = 0; i < options.count; i++) {
    const jitter = (random.next() * 2 - 1) * options.jitterMs;
    lastMs = Math.max(lastMs, nominalMs + jitter);
    times.push(lastMs);
    nominalMs += options.intervalMs;
  }
  return times;
}

/** Heartbeat arrival times from a list of gaps, starting at `startMs`. */
export function heartbeatsFromGaps(gapsMs: readonly number[], startMs = 0): number[] {
  const times = [startMs];
  let nowMs = startMs;
  for (const gap of gapsMs) {
    nowMs += gap;
    times.push(nowMs);
  }
  return times;
}

export interface ReplayResult {
  /** Sample times (between heartbeats) at which the id was not available. */
  readonly suspectedAtMs: readonly number[];
  readonly maxPhi: number;
}

/**
 * Feeds `heartbeatsMs` to the detector and samples `isAvailable` (and phi, when `phi` is given)
 * every `sampleEveryMs` between consecutive heartbeats, as a driver ticking that often would.
 */
export function replay<Id extends string>(
  detector: FailureDetector<Id>,
  id: Id,
  heartbeatsMs: readonly number[],
  sampleEveryMs: number,
  phi?: (id: Id, nowMs: number) => number,
): ReplayResult {
  const suspectedAtMs: number[] = [];
  let maxPhi = 0;
  for (let i = 0; i < heartbeatsMs.length; i++) {
    const beatMs = heartbeatsMs[i]!;
    detector.heartbeat(id, beatMs);
    const nextMs = heartbeatsMs[i + 1];
    if (nextMs === undefined) break;
    for (let t = beatMs + sampleEveryMs; t < nextMs; t += sampleEveryMs) {
      if (!detector.isAvailable(id, t)) suspectedAtMs.push(t);
      if (phi !== undefined) maxPhi = Math.max(maxPhi, phi(id, t));
    }
    if (!detector.isAvailable(id, nextMs)) suspectedAtMs.push(nextMs);
  }
  return { suspectedAtMs, maxPhi };
}

/** Steps time from the last heartbeat until the id is suspected; returns the silence in ms. */
export function silenceUntilSuspected<Id extends string>(detector: FailureDetector<Id>, id: Id, lastHeartbeatMs: number, stepMs: number, limitMs: number): number {
  for (let silenceMs = 0; silenceMs <= limitMs; silenceMs += stepMs) {
    if (!detector.isAvailable(id, lastHeartbeatMs + silenceMs)) return silenceMs;
  }
  return Infinity;
}

export function quantile(sortedValues: readonly number[], q: number): number {
  const index = Math.min(sortedValues.length - 1, Math.max(0, Math.ceil(q * sortedValues.length) - 1));
  return sortedValues[index]!;
}
