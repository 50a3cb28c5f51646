/**
 * The task engine's zombie counters, scraped from every node's GET /metrics at the end of a tasks
 * run. The counters are replicated state (the task state machine counts refused stale results),
 * so every caught-up node reports the same value: the max over the nodes that answered is taken.
 */
import type { TaskMetrics } from './summarize-tasks.js';

const scrapeTimeoutMs = 2_000;

/** The value of an unlabelled sample `name <value>` in Prometheus text, or undefined. */
export function sampleValue(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name} ([0-9.eE+-]+)$`, 'm').exec(text);
  return match === null ? undefined : Number(match[1]);
}

export async function scrapeTaskMetrics(endpoints: readonly string[]): Promise<TaskMetrics | null> {
  const texts = await Promise.all(endpoints.map(async (endpoint) => {
    try {
      const response = await fetch(`${endpoint}/metrics`, { signal: AbortSignal.timeout(scrapeTimeoutMs) });
      return response.ok ? await response.text() : undefined;
    } catch {
      return undefined; // a node that does not answer is left out; the others have the same counters
    }
  }));
  const answered = texts.filter((t): t is string => t !== undefined);
  if (answered.length === 0) return null;
  const max = (name: string): number => Math.max(0, ...answered.map((t) => sampleValue(t, name) ?? 0));
  return {
    nodesAnswered: answered.length,
    zombieResultsRejected: max('keel_task_zombie_results_rejected'),
    zombieCheckpointsRejected: max('keel_task_zombie_checkpoints_rejected'),
  };
}
