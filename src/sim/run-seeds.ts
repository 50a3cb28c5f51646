/** Runs many seeds and summarises: the engine behind `keel sim` and the CI seed suites. */
import type { FaultKind } from './faults.js';
import { runSeed, type SimResult, type Workload } from './sim-world.js';
import type { Violation } from './invariants.js';

export interface SeedsOptions {
  readonly start: number;
  readonly seeds: number;
  readonly nodes: number;
  readonly faults: ReadonlySet<FaultKind>;
  readonly faultsSpec: string;
  readonly workload?: Workload;
  readonly durationMs?: number;
  /** Called after each seed (progress output). */
  readonly onSeed?: (result: SimResult, done: number) => void;
}

export interface SeedFailure {
  readonly seed: number;
  readonly violations: readonly Violation[];
  readonly replay: string;
}

export interface SeedsSummary {
  readonly seeds: number;
  readonly violations: number;
  readonly failures: readonly SeedFailure[];
  readonly simulatedOps: number;
  readonly simulatedSeconds: number;
  readonly faultsInjected: number;
  /** The `tasks` workload's figures, summed over the seeds. */
  readonly tasks?: TaskFigures;
}

export interface TaskFigures {
  readonly tasks: number;
  readonly committed: number;
  readonly deadLettered: number;
  readonly duplicates: number;
  /** Zombie results (complete or fail) refused with STALE_ATTEMPT. */
  readonly staleRejected: number;
  readonly staleCheckpointsRejected: number;
  readonly resumedFromCheckpoint: number;
}

export function replayCommand(seed: number, nodes: number, faultsSpec: string, workload: Workload = 'kv'): string {
  return `npx keel sim${workload === 'kv' ? '' : ` --workload ${workload}`} --seed ${seed} --nodes ${nodes} --faults ${faultsSpec} --trace`;
}

function addFigures(sum: TaskFigures | undefined, result: SimResult): TaskFigures | undefined {
  const r = result.tasks?.report;
  if (r === undefined) return sum;
  const s = sum ?? { tasks: 0, committed: 0, deadLettered: 0, duplicates: 0, staleRejected: 0, staleCheckpointsRejected: 0, resumedFromCheckpoint: 0 };
  return {
    tasks: s.tasks + r.tasks, committed: s.committed + r.committed, deadLettered: s.deadLettered + r.deadLettered, duplicates: s.duplicates + r.duplicates,
    staleRejected: s.staleRejected + r.staleRejected, staleCheckpointsRejected: s.staleCheckpointsRejected + r.staleCheckpointsRejected,
    resumedFromCheckpoint: s.resumedFromCheckpoint + r.resumedFromCheckpoint,
  };
}

export async function runSeeds(options: SeedsOptions): Promise<SeedsSummary> {
  const failures: SeedFailure[] = [];
  let ops = 0;
  let simulatedMs = 0;
  let faults = 0;
  let violations = 0;
  let tasks: TaskFigures | undefined;
  for (let i = 0; i < options.seeds; i++) {
    const seed = options.start + i;
    const result = await runSeed({
      seed, nodes: options.nodes, faults: options.faults,
      ...(options.workload === undefined ? {} : { workload: options.workload }), ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
    });
    ops += result.ops;
    simulatedMs += result.simulatedMs;
    faults += result.faultsInjected;
    tasks = addFigures(tasks, result);
    if (result.violations.length > 0) {
      violations += result.violations.length;
      failures.push({ seed, violations: result.violations, replay: replayCommand(seed, options.nodes, options.faultsSpec, options.workload) });
    }
    options.onSeed?.(result, i + 1);
  }
  return { seeds: options.seeds, violations, failures, simulatedOps: ops, simulatedSeconds: simulatedMs / 1000, faultsInjected: faults, ...(tasks === undefined ? {} : { tasks }) };
}
