/** Reading a node's Prometheus text (GET /metrics) for the demo's report. */

/** The sum of every sample of metric `name` (all label sets), or undefined when it has none. */
export function metricSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}

/** GET /metrics of one node; undefined when it does not answer within `timeoutMs`. */
export async function scrapeMetrics(endpoint: string, timeoutMs = 1_000): Promise<string | undefined> {
  try {
    const response = await fetch(`${endpoint}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok ? await response.text() : undefined;
  } catch {
    // A dead or restarting node: the caller reports the figure as unavailable.
    return undefined;
  }
}
