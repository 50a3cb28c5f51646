/** `keel sim`: run the deterministic cluster simulator over many seeds, or replay one with a trace. */
import { writeFileSync } from 'node:fs';
import { formatHistoryOp } from '../check/index.js';
import { parseFaults, runSeed, runSeeds, replayCommand } from '../sim/index.js';

export interface SimCommandOptions {
  readonly seeds: number;
  readonly start: number;
  readonly seed?: number;
  readonly nodes: number;
  readonly faults: string;
  readonly json: boolean;
  readonly history?: string;
  readonly trace: boolean;
  readonly durationMs?: number;
}

export async function simCommand(options: SimCommandOptions): Promise<number> {
  const faults = parseFaults(options.faults);
  if (options.nodes < 1 || options.nodes > 9) throw new Error('--nodes must be between 1 and 9');
  if (options.seed !== undefined) {
    const started = performance.now();
    const result = await runSeed({ seed: options.seed, nodes: options.nodes, faults, trace: options.trace, ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }) });
    if (options.history) writeFileSync(options.history, result.history.map((op) => formatHistoryOp(op)).join('\n') + '\n');
    if (options.trace) for (const line of result.trace) process.stdout.write(`${line}\n`);
    const summary = {
      seed: result.seed, violations: result.violations.length, details: result.violations, simulatedOps: result.ops, okOps: result.okOps,
      simulatedSeconds: result.simulatedMs / 1000, wallSeconds: (performance.now() - started) / 1000, faultsInjected: result.faultsInjected, linearizable: result.linearizable,
    };
    process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : `seed ${result.seed}: ${result.violations.length === 0 ? 'ok' : 'VIOLATION'} · ${result.ops} ops (${result.okOps} ok) · ${result.faultsInjected} faults · history ${result.linearizable}\n${result.violations.map((v) => `  ${v.invariant} at ${v.atMs.toFixed(1)} ms: ${v.message}\n`).join('')}`);
    return result.violations.length === 0 ? 0 : 1;
  }
  const started = performance.now();
  const summary = await runSeeds({
    start: options.start, seeds: options.seeds, nodes: options.nodes, faults, faultsSpec: options.faults,
    ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
    onSeed: (result, done) => {
      if (result.violations.length > 0) process.stderr.write(`seed ${result.seed} VIOLATION: ${result.violations[0]!.invariant}: ${result.violations[0]!.message}\n  replay: ${replayCommand(result.seed, options.nodes, options.faults)}\n`);
      if (!options.json && (done % 25 === 0 || done === options.seeds)) process.stderr.write(`  ${done}/${options.seeds} seeds · ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    },
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const report = { ...summary, wallSeconds, simulatedSecondsPerWallSecond: summary.simulatedSeconds / wallSeconds, opsPerWallSecond: summary.simulatedOps / wallSeconds, seedsPerMinute: (summary.seeds / wallSeconds) * 60 };
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    process.stdout.write(`${summary.seeds} seeds, ${summary.violations} violations, ${summary.simulatedOps} client ops, ${summary.simulatedSeconds.toFixed(0)} simulated s in ${wallSeconds.toFixed(1)} s wall (${report.seedsPerMinute.toFixed(0)} seeds/min)\n`);
    for (const f of summary.failures) process.stdout.write(`  seed ${f.seed}: ${f.violations[0]!.invariant}: ${f.violations[0]!.message}\n    replay: ${f.replay}\n`);
  }
  return summary.violations === 0 ? 0 : 1;
}
