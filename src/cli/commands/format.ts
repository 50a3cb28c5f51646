/** Output formatting for the client commands: pure functions from answers to text. */
import type { ClusterResponse, DeleteResponse, RangeResponse, WatchEvent } from '../../client/index.js';

type Align = 'left' | 'right';

/** Columns padded to their widest cell, two spaces apart, no trailing spaces. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `keel status`: a summary line, then one row per member. */
export function renderStatusTable(cluster: ClusterResponse): string {
  const rows = cluster.members.map((m) => [
    m.id,
    m.voter ? m.role : `${m.role} (non-voter)`,
    String(m.term),
    String(m.commitIndex),
    String(m.appliedIndex),
    m.healthy ? 'ok' : 'unhealthy',
    m.lastHeartbeatMs === null ? '-' : String(m.lastHeartbeatMs),
  ]);
  const table = renderTable(['ID', 'ROLE', 'TERM', 'COMMIT', 'APPLIED', 'HEALTH', 'LAST-HEARTBEAT-MS'], rows, ['left', 'left', 'right', 'right', 'right', 'left', 'right']);
  const unhealthy = cluster.members.filter((m) => !m.healthy).length;
  const summary = `leader ${cluster.leaderId ?? 'none'}, term ${cluster.term}, ${cluster.members.length} members${unhealthy > 0 ? `, ${unhealthy} unhealthy` : ''}`;
  return `${summary}\n${table}`;
}

/** A key or value as is when it is plain printable ASCII, else JSON-quoted, so each line parses back. */
export function displayString(text: string): string {
  return /^[!#-~][!-~]*$/.test(text) ? text : JSON.stringify(text);
}

/** `keel kv list`: `key value` per line. */
export function formatRange(range: RangeResponse): string {
  return range.kvs.map((kv) => `${displayString(kv.key)} ${displayString(kv.value)}`).join('\n');
}

export function formatDelete(result: DeleteResponse): string {
  return `${result.deleted ? 'deleted' : 'not found'} (revision ${result.revision})`;
}

/** `keel kv watch`: `<revision> put <key> <value>` or `<revision> delete <key>`. */
export function formatWatchEvent(event: WatchEvent): string {
  const head = `${event.revision} ${event.type} ${displayString(event.key)}`;
  return event.type === 'put' && event.kv !== undefined ? `${head} ${displayString(event.kv.value)}` : head;
}
