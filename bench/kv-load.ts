/**
 * Closed-loop load for `bench:kv`: N clients, each with one request in flight, for a warm-up plus a
 * measured window. Only requests that complete successfully inside the window count; failures are
 * counted apart. The CPU time of the server processes and of this process is sampled around each
 * slice, so the report can say where the cores went.
 */
import { LatencyRecorder, round, type TimedWindow } from './measure.js';
import { machineBusyCpuMs, processCpuMs, sleep } from './kv-procs.js';

export class KvSeries {
  readonly latency = new LatencyRecorder();
  ops = 0;
  measuredMs = 0;
  errors = 0;
  firstError: string | undefined;
  readonly roundOpsPerSec: number[] = [];
  /** Over whole slices (warm-up included): completed operations, wall time, CPU time. */
  sliceOps = 0;
  sliceWallMs = 0;
  serverCpuMs = 0;
  clientCpuMs = 0;
  /** Busy CPU of the whole machine, and the part of it not used by this benchmark's processes. */
  machineCpuMs = 0;
  otherCpuMs = 0;

  get opsPerSec(): number {
    return this.measuredMs === 0 ? Number.NaN : this.ops / (this.measuredMs / 1000);
  }

  report(): Record<string, number | string | null> {
    const latency = this.latency.summary();
    return {
      opsPerSec: round(this.opsPerSec),
      p50Ms: round(latency.p50Ms, 3),
      p99Ms: round(latency.p99Ms, 3),
      maxMs: round(latency.maxMs, 1),
      meanMs: round(latency.meanMs, 3),
      samples: latency.samples,
      errors: this.errors,
      ...(this.firstError === undefined ? {} : { firstError: this.firstError }),
      roundsOpsPerSec: this.roundOpsPerSec.map((r) => round(r)).join(' '),
      serverCpuCores: round(this.serverCpuMs / this.sliceWallMs, 2),
      serverCpuUsPerOp: round((this.serverCpuMs * 1000) / this.sliceOps, 1),
      clientCpuCores: round(this.clientCpuMs / this.sliceWallMs, 2),
      clientCpuUsPerOp: round((this.clientCpuMs * 1000) / this.sliceOps, 1),
      machineCpuCores: round(this.machineCpuMs / this.sliceWallMs, 2),
      otherCpuCores: round(Math.max(0, this.otherCpuMs) / this.sliceWallMs, 2),
    };
  }
}

/** Pause after a failed request, so that a broken cluster is not hammered in a tight loop. */
const errorBackoffMs = 5;

export interface SliceProcesses {
  /** The servers under load: their CPU time is charged to the slice. */
  readonly servers: readonly number[];
  /** Every server process of the run (both clusters): with this process, what is ours on the machine. */
  readonly all: readonly number[];
}

/**
 * Runs `concurrency` loops of `op(client, n)` (n counts that client's requests) for warm-up +
 * duration, sampling the CPU time of `pids` around it.
 */
export async function runSlice(
  series: KvSeries, concurrency: number, window: TimedWindow, pids: SliceProcesses,
  op: (client: number, n: number) => Promise<unknown>,
): Promise<void> {
  const sliceStart = performance.now();
  const windowStart = sliceStart + window.warmupMs;
  const windowEnd = windowStart + window.durationMs;
  const serverBefore = sumCpu(pids.servers);
  const allBefore = sumCpu(pids.all);
  const machineBefore = machineBusyCpuMs();
  const clientBefore = process.cpuUsage();
  let ops = 0;
  let sliceOps = 0;
  const loop = async (client: number): Promise<void> => {
    for (let n = 0; ; n++) {
      const before = performance.now();
      if (before >= windowEnd) return;
      try {
        await op(client, n);
      } catch (error) {
        const after = performance.now();
        if (after >= windowStart && after <= windowEnd) {
          series.errors += 1;
          series.firstError ??= error instanceof Error ? error.message : String(error);
        }
        await sleep(errorBackoffMs);
        continue;
      }
      const after = performance.now();
      sliceOps += 1;
      if (after < windowStart || after > windowEnd) continue;
      ops += 1;
      series.latency.add(after - before);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, client) => loop(client)));
  const client = process.cpuUsage(clientBefore);
  const machine = machineBusyCpuMs() - machineBefore;
  const all = sumCpu(pids.all) - allBefore;
  series.ops += ops;
  series.measuredMs += window.durationMs;
  series.roundOpsPerSec.push(ops / (window.durationMs / 1000));
  series.sliceOps += sliceOps;
  series.sliceWallMs += performance.now() - sliceStart;
  series.serverCpuMs += sumCpu(pids.servers) - serverBefore;
  series.clientCpuMs += (client.user + client.system) / 1000;
  series.machineCpuMs += machine;
  series.otherCpuMs += machine - all - (client.user + client.system) / 1000;
}

function sumCpu(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) total += processCpuMs(pid);
  return total;
}
