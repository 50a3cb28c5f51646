/**
 * The jobs a `tasks` seed submits, drawn from its seeded Random: DAG jobs (a diamond and a chain),
 * a map/reduce job, a flaky job whose poison task is dead-lettered (failing its dependent), a
 * wide job under a seed-chosen policy, and a slow job the client cancels part way.
 */
import type { Random } from '../ports/random.js';
import { mapReduceJob, schedulingPolicies, type JsonValue, type SubmitJob, type TaskSpec } from '../tasks/index.js';
import { expectedOutput } from './task-handlers.js';

export interface PlannedJob {
  readonly atMs: number;
  readonly command: SubmitJob;
  /** When the client cancels the job (after submitting it). */
  readonly cancelAtMs?: number;
}

export interface JobPlan {
  readonly jobs: readonly PlannedJob[];
  /** The expected output of a task (the checker's oracle). */
  readonly oracle: (task: { readonly jobId: string; readonly handler: string; readonly input: JsonValue }) => JsonValue | undefined;
}

const timeouts = { startToCloseMs: 5_000 };
const backoff = { initialMs: 50, maxMs: 800 };
const maxAttempts = 10;

export function planJobs(random: Random, lastSubmitMs: number): JobPlan {
  const n = (): number => 10 + random.int(90);
  const sum = (id: string, dependsOn?: string[]): TaskSpec => ({ id, handler: 'sum', input: { n: n() }, ...(dependsOn === undefined ? {} : { dependsOn }) });
  const mapItems = Array.from({ length: 8 + random.int(9) }, () => random.int(100));
  const mapJobId = 'mr';
  const commands: (SubmitJob & { readonly cancel?: boolean })[] = [
    { kind: 'submitJob', jobId: 'diamond', tasks: [sum('a'), sum('b', ['a']), sum('c', ['a']), sum('d', ['b', 'c']), sum('e')], maxAttempts, timeouts, backoff },
    { ...mapReduceJob({ items: mapItems, map: 'map', chunk: 2, reduce: { handler: 'reduce' }, jobId: mapJobId, maxAttempts, timeouts }), backoff },
    {
      kind: 'submitJob', jobId: 'flaky', maxAttempts: 4, timeouts, backoff,
      tasks: [
        { id: 'f1', handler: 'flaky', input: { n: n(), failUntil: 1 } },
        { id: 'f2', handler: 'flaky', input: { n: n(), failUntil: 2 } },
        { id: 'poison', handler: 'poison', input: { n: 1 } },
        sum('after-poison', ['poison']),
        sum('after-f2', ['f2']),
      ],
    },
    {
      kind: 'submitJob', jobId: 'wide', maxAttempts, timeouts, backoff, policy: schedulingPolicies[random.int(schedulingPolicies.length)] ?? 'least-loaded',
      tasks: Array.from({ length: 16 }, (_, i) => ({ ...sum(`w${i}`), key: `k${i % 5}` })),
    },
    { kind: 'submitJob', jobId: 'chain', maxAttempts, timeouts, backoff, tasks: [sum('s0'), sum('s1', ['s0']), sum('s2', ['s1']), sum('s3', ['s2'])] },
    { kind: 'submitJob', jobId: 'cancelled', maxAttempts, timeouts, backoff, tasks: Array.from({ length: 8 }, (_, i) => sum(`c${i}`)), cancel: true },
  ];
  const jobs: PlannedJob[] = commands.map(({ cancel, ...command }, i) => {
    const atMs = 300 + Math.round(((lastSubmitMs - 300) * i) / (commands.length - 1) + random.next() * 200);
    return { atMs, command, ...(cancel === true ? { cancelAtMs: atMs + 200 + random.int(1_000) } : {}) };
  });
  return {
    jobs,
    oracle: (task) => expectedOutput(task.handler, task.input, task.jobId === mapJobId ? mapItems : undefined),
  };
}
