/** Runs many seeds and summarises: the engine behind `keel sim` and the CI seed suites. */
import type { FaultKind } from './faults.js';
import { runSeed, type SimResult } from './sim-world.js';
import type { Violation } from './invariants.js';

export interface SeedsOptions {
  readonly start: number;
  readonly seeds: number;
  readonly nodes: number;
  readonly faults: ReadonlySet<FaultKind>;
  readonly faultsSpec: string;
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
}

export function replayCommand(seed: number, nodes: number, faultsSpec: string): string {
  return `npx keel sim --seed ${seed} --nodes ${nodes} --faults ${faultsSpec} --trace`;
}

export async function runSeeds(options: SeedsOptions): Promise<SeedsSummary> {
  const failures: SeedFailure[] = [];
  let ops = 0;
  let simulatedMs = 0;
  let faults = 0;
  let violations = 0;
  for (let i = 0; i < options.seeds; i++) {
    const seed = options.start + i;
    const result = await runSeed({ seed, nodes: options.nodes, faults: options.faults, ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }) });
    ops += result.ops;
    simulatedMs += result.simulatedMs;
    faults += result.faultsInjected;
    if (result.violations.length > 0) {
      violations += result.violations.length;
      failures.push({ seed, violations: result.violations, replay: replayCommand(seed, options.nodes, options.faultsSpec) });
    }
    options.onSeed?.(result, i + 1);
  }
  return { seeds: options.seeds, violations, failures, simulatedOps: ops, simulatedSeconds: simulatedMs / 1000, faultsInjected: faults };
}
