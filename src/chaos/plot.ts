/**
 * One self-contained HTML report of a chaos run (inline SVG and CSS, no scripts, no fonts, works
 * offline), shaped like Jepsen's latency graphs: x = seconds since start, y = latency in ms on a
 * log scale, one mark per operation (color = outcome, shape = operation), fault windows as
 * translucent bands. `info` operations never returned, so they sit on a strip at the top edge at
 * their call time; so do `fail` operations without a return. Pure: returns a string.
 *
 * Size: one SVG path per (outcome, operation) group, so 50k marks cost ~1-2 MB and render fast.
 * Above `okMarksMax` ok operations, the slowest `slowOkMarksKept` are kept and the rest thinned
 * evenly in call order (deterministic); fail and info operations are always all drawn.
 */
import type { HistoryOp, OpName } from '../check/index.js';
import { warningsOf } from './summarize.js';
import type { ChaosSummary, FaultOutcome, FaultRecord, LatencyStats, NemesisKind } from './types.js';

export const okMarksMax = 20_000;
export const slowOkMarksKept = 1_000;

const width = 1100;
const height = 480;
const left = 70;
const right = width - 20;
const top = 64;
const bottom = height - 44;
/** The strip at the top edge for operations that never returned. */
const infoStripY = top + 7;
const scaleTop = top + 16;
const latencyFloorMs = 0.01;

const outcomeColors = { ok: '#2ca02c', fail: '#d62728', info: '#ff7f0e' } as const;
const outcomeOpacity = { ok: 0.5, fail: 0.85, info: 0.85 } as const;

export const nemesisColors: Readonly<Record<NemesisKind, string>> = {
  kill: '#9467bd',
  pause: '#17becf',
  partition: '#bcbd22',
  'restart-wipe': '#e377c2',
  'leader-transfer': '#7f7f7f',
  membership: '#1f77b4',
  'worker-kill': '#8c564b',
  'worker-pause': '#e7ba52',
};

/** A mark centred on (x, y) as a path fragment. */
const markers: Readonly<Record<OpName, (x: string, y: string) => string>> = {
  get: (x, y) => `M${x} ${y}m-1.6-1.6h3.2v3.2h-3.2z`,
  put: (x, y) => `M${x} ${y}m0-2.3l2.3 2.3l-2.3 2.3l-2.3-2.3z`,
  cas: (x, y) => `M${x} ${y}m0-2.3l2.3 4h-4.6z`,
  append: (x, y) => `M${x} ${y}m-2.3-2l4.6 0l-2.3 4z`,
  delete: (x, y) => `M${x} ${y}m-2.4-.8h4.8v1.6h-4.8z`,
};
const markerNames: Readonly<Record<OpName, string>> = {
  get: 'square', put: 'diamond', cas: 'triangle', append: 'inverted triangle', delete: 'bar',
};
const opNames: readonly OpName[] = ['get', 'put', 'cas', 'append', 'delete'];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderSummaryHtml(summary: ChaosSummary, history: readonly HistoryOp[], faults: readonly FaultRecord[]): string {
  const verdict = summary.violations.length === 0 ? '<p class="pass">PASSED</p>' : '<p class="fail">FAILED</p>';
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>Keel chaos run, seed ${summary.seed}</title>`,
    `<style>${css}</style></head><body>`,
    `<h1>Keel chaos run: seed ${summary.seed}, ${summary.nodes} nodes, ${escapeHtml(summary.workload)} workload</h1>`,
    verdict,
    renderChart(summary, history, faults),
    renderLegend(summary, faults),
    renderHeadline(summary),
    renderTasks(summary),
    renderRecoveryByKind(summary),
    renderFaultTable(summary.faults, faults),
    '</body></html>',
    '',
  ].join('\n');
}

const css = [
  'body{font-family:system-ui,sans-serif;margin:16px;color:#222}',
  'h1{font-size:18px}h2{font-size:15px;margin-top:20px}',
  '.pass,.fail{display:inline-block;padding:2px 10px;font-weight:bold;color:#fff;border-radius:3px}',
  '.pass{background:#2ca02c}.fail{background:#d62728}',
  'table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}',
  'th{background:#f3f3f3}.num{text-align:right}.bad{color:#d62728;font-weight:bold}.warn{color:#b8600b}',
  '.legend{font-size:12px;display:flex;flex-wrap:wrap;gap:14px;margin:6px 0}.legend span{white-space:nowrap}',
  'svg text{font-size:10px;fill:#333}',
].join('\n');

interface Scale {
  readonly x: (ns: number) => number;
  readonly y: (latencyMs: number) => number;
  readonly xMaxS: number;
  readonly loMs: number;
  readonly hiMs: number;
}

function renderChart(summary: ChaosSummary, history: readonly HistoryOp[], faults: readonly FaultRecord[]): string {
  const { shown, okTotal, okShown } = pickOps(history);
  const scale = makeScale(summary, history, faults);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="latency by time">`];
  parts.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="#fff" stroke="#999"/>`);
  parts.push(...renderFaultBands(faults, summary.faults, scale));
  parts.push(...renderAxes(scale));
  parts.push(...renderMarks(shown, scale));
  const healX = scale.x(summary.liveness.healAtMs * 1e6);
  parts.push(`<line x1="${healX.toFixed(1)}" y1="${top}" x2="${healX.toFixed(1)}" y2="${bottom}" stroke="#000" stroke-dasharray="5 3"/>`);
  parts.push(`<text x="${(healX + 3).toFixed(1)}" y="${bottom - 4}">final heal</text>`);
  parts.push('</svg>');
  const tasksNote = summary.tasks === undefined ? '' : '<p>Tasks workload: one mark per committed task (x: its job\'s submit; y: submit to commit), drawn as a put.</p>';
  const note = tasksNote + (okShown < okTotal ? `<p>Showing ${okShown} of ${okTotal} ok operations (the slowest ${slowOkMarksKept} and an even sample of the rest); every fail and info operation is shown.</p>` : '');
  return parts.join('\n') + note;
}

function pickOps(history: readonly HistoryOp[]): { shown: HistoryOp[]; okTotal: number; okShown: number } {
  const ok = history.filter((op) => op.status === 'ok');
  const others = history.filter((op) => op.status !== 'ok');
  if (ok.length <= okMarksMax) return { shown: [...ok, ...others], okTotal: ok.length, okShown: ok.length };
  const byLatency = [...ok].sort((a, b) => latencyNs(b) - latencyNs(a));
  const slow = byLatency.slice(0, slowOkMarksKept);
  const rest = byLatency.slice(slowOkMarksKept).sort((a, b) => a.call - b.call);
  const budget = okMarksMax - slowOkMarksKept;
  const sampled = Array.from({ length: budget }, (_, i) => rest[Math.floor((i * rest.length) / budget)]!);
  return { shown: [...slow, ...sampled, ...others], okTotal: ok.length, okShown: slow.length + sampled.length };
}

function latencyNs(op: HistoryOp): number {
  return op.return === null ? Number.POSITIVE_INFINITY : op.return - op.call;
}

function hasLatency(op: HistoryOp): op is HistoryOp & { return: number } {
  return op.status !== 'info' && op.return !== null;
}

function makeScale(summary: ChaosSummary, history: readonly HistoryOp[], faults: readonly FaultRecord[]): Scale {
  let endNs = Math.max(summary.durationMs * 1e6, summary.liveness.healAtMs * 1e6, 1e9);
  let minMs = Number.POSITIVE_INFINITY;
  let maxMs = 0;
  for (const op of history) {
    endNs = Math.max(endNs, op.call, op.return ?? 0);
    if (!hasLatency(op)) continue;
    const ms = Math.max((op.return - op.call) / 1e6, latencyFloorMs);
    minMs = Math.min(minMs, ms);
    maxMs = Math.max(maxMs, ms);
  }
  for (const fault of faults) endNs = Math.max(endNs, fault.startNs, fault.endNs ?? 0);
  const loMs = Number.isFinite(minMs) ? 10 ** Math.floor(Math.log10(minMs)) : 1;
  const hiMs = Math.max(10 ** Math.ceil(Math.log10(Math.max(maxMs, loMs))), loMs * 10);
  const xMaxS = endNs / 1e9;
  const decades = Math.log10(hiMs / loMs);
  return {
    x: (ns) => left + ((right - left) * ns) / endNs,
    y: (ms) => bottom - ((bottom - scaleTop) * Math.log10(Math.max(ms, latencyFloorMs) / loMs)) / decades,
    xMaxS,
    loMs,
    hiMs,
  };
}

function renderAxes(scale: Scale): string[] {
  const parts: string[] = [];
  const step = niceStep(scale.xMaxS / 10);
  for (let s = 0; s <= scale.xMaxS + 1e-9; s += step) {
    const x = scale.x(s * 1e9).toFixed(1);
    parts.push(`<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 4}" stroke="#666"/><text x="${x}" y="${bottom + 15}" text-anchor="middle">${formatNumber(s)}</text>`);
  }
  for (let ms = scale.loMs; ms <= scale.hiMs * 1.0001; ms *= 10) {
    const y = scale.y(ms).toFixed(1);
    parts.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#eee"/><text x="${left - 5}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatNumber(ms)}</text>`);
  }
  parts.push(`<line x1="${left}" y1="${infoStripY + 7}" x2="${right}" y2="${infoStripY + 7}" stroke="#ccc" stroke-dasharray="2 2"/>`);
  parts.push(`<text x="${left - 5}" y="${infoStripY}" text-anchor="end" dominant-baseline="middle">no return</text>`);
  parts.push(`<text x="${(left + right) / 2}" y="${height - 6}" text-anchor="middle">time since start (s)</text>`);
  parts.push(`<text transform="translate(14 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">latency (ms, log scale)</text>`);
  return parts;
}

function niceStep(raw: number): number {
  const base = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-3)));
  for (const m of [1, 2, 5]) if (base * m >= raw) return base * m;
  return base * 10;
}

function formatNumber(n: number): string {
  return Number(n.toPrecision(6)).toString();
}

function renderMarks(ops: readonly HistoryOp[], scale: Scale): string[] {
  const groups = new Map<string, string[]>();
  for (const op of ops) {
    const x = scale.x(op.call).toFixed(1);
    const y = (hasLatency(op) ? scale.y((op.return - op.call) / 1e6) : infoStripY).toFixed(1);
    const name = `${op.status}/${op.op}`;
    let group = groups.get(name);
    if (group === undefined) groups.set(name, (group = []));
    group.push(markers[op.op](x, y));
  }
  const parts: string[] = [];
  // ok first so that fail and info marks are drawn on top.
  for (const status of ['ok', 'fail', 'info'] as const) {
    for (const op of opNames) {
      const d = groups.get(`${status}/${op}`);
      if (d === undefined) continue;
      parts.push(`<path class="ops-${status}-${op}" fill="${outcomeColors[status]}" fill-opacity="${outcomeOpacity[status]}" d="${d.join('')}"/>`);
    }
  }
  return parts;
}

function renderFaultBands(faults: readonly FaultRecord[], outcomes: readonly FaultOutcome[], scale: Scale): string[] {
  const parts: string[] = [];
  const outcomeById = new Map(outcomes.map((o) => [o.id, o]));
  faults.forEach((fault, i) => {
    const x0 = scale.x(fault.startNs);
    const x1 = Math.max(scale.x(fault.endNs ?? scale.xMaxS * 1e9), x0 + 1.5);
    const color = nemesisColors[fault.kind];
    const label = `${fault.kind} ${fault.targets.join(',')}`;
    const tooltip = `#${fault.id} ${label}: ${fault.detail}`;
    parts.push(`<rect class="fault-band" data-kind="${escapeHtml(fault.kind)}" x="${x0.toFixed(1)}" y="${top}" width="${(x1 - x0).toFixed(1)}" height="${bottom - top}" fill="${color}" fill-opacity="0.18"><title>${escapeHtml(tooltip)}</title></rect>`);
    parts.push(`<text x="${x0.toFixed(1)}" y="${top - 4 - 12 * (i % 4)}" style="fill:${color}">${escapeHtml(label)}</text>`);
    const recoveryMs = outcomeById.get(fault.id)?.recoveryMs;
    if (fault.recoveryFromNs !== null && recoveryMs !== undefined && recoveryMs !== null) {
      const rx = scale.x(fault.recoveryFromNs + recoveryMs * 1e6).toFixed(1);
      parts.push(`<line x1="${rx}" y1="${top}" x2="${rx}" y2="${bottom}" stroke="${color}" stroke-dasharray="1 3"><title>${escapeHtml(`#${fault.id} recovered after ${recoveryMs} ms`)}</title></line>`);
    }
  });
  return parts;
}

function swatch(content: string): string {
  return `<svg width="12" height="12" viewBox="-6 -6 12 12" aria-hidden="true">${content}</svg>`;
}

function renderLegend(summary: ChaosSummary, faults: readonly FaultRecord[]): string {
  const items: string[] = [];
  for (const status of ['ok', 'fail', 'info'] as const) {
    items.push(`<span>${swatch(`<circle r="4" fill="${outcomeColors[status]}"/>`)} ${status}${status === 'info' ? ' (outcome unknown, drawn at the top)' : ''}</span>`);
  }
  for (const op of opNames) items.push(`<span>${swatch(`<path fill="#555" d="${markers[op]('0', '0')}"/>`)} ${op} (${markerNames[op]})</span>`);
  const kinds = [...new Set([...summary.nemeses, ...faults.map((f) => f.kind)])];
  for (const kind of kinds) items.push(`<span>${swatch(`<rect x="-6" y="-6" width="12" height="12" fill="${nemesisColors[kind]}" fill-opacity="0.35"/>`)} ${escapeHtml(kind)} fault</span>`);
  items.push('<span>dashed black: final heal; dotted colored: first successful write after a fault</span>');
  return `<div class="legend">${items.join('')}</div>`;
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

function renderHeadline(summary: ChaosSummary): string {
  const { ops, liveness } = summary;
  const warnings = warningsOf(summary);
  const rows: [string, string][] = [
    ['seed', String(summary.seed)],
    ['nodes', String(summary.nodes)],
    ['workload', escapeHtml(summary.workload)],
    ['nemeses', escapeHtml(summary.nemeses.join(', ') || 'none')],
    ['duration', `${(summary.durationMs / 1000).toFixed(1)} s`],
    ['operations', `${ops.total} (ok ${ops.ok}, fail ${ops.failed}, info ${ops.indeterminate})`],
    ['linearizable', summary.linearizable === false ? '<span class="bad">false</span>' : String(summary.linearizable)],
    ['lost acknowledged writes', summary.lostAcknowledgedWrites > 0 ? `<span class="bad">${summary.lostAcknowledgedWrites}</span>` : '0'],
    ['availability', percent(summary.availability)],
    ['recovery rate', percent(summary.recoveryRate)],
    ['liveness', `${liveness.ok ? 'ok' : '<span class="bad">FAILED</span>'}: final heal at ${liveness.healAtMs} ms, first write after ${liveness.firstWriteAfterHealMs === null ? 'none' : `${liveness.firstWriteAfterHealMs} ms`}`],
    ['violations', summary.violations.length === 0 ? 'none' : `<ul>${summary.violations.map((v) => `<li class="bad">${escapeHtml(v)}</li>`).join('')}</ul>`],
  ];
  if (warnings.length > 0) rows.push(['warnings', `<ul>${warnings.map((w) => `<li class="warn">${escapeHtml(w)}</li>`).join('')}</ul>`]);
  return `<h2>Summary</h2>\n<table class="summary">${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('\n')}</table>`;
}

function renderTasks(summary: ChaosSummary): string {
  const t = summary.tasks;
  if (t === undefined) return '';
  const mustBeZero = (n: number): string => (n > 0 ? `<span class="bad">${n}</span>` : '0');
  const stats = (s: LatencyStats): string => `${s.count} samples; median ${ms(s.medianMs)}, p99 ${ms(s.p99Ms)}, max ${ms(s.maxMs)} ms`;
  const rows: [string, string][] = [
    ['workers', `${t.workers.initial} at a time, capacity ${t.workers.capacity}; ${t.workers.started} started in all (replacements have fresh ids)`],
    ['jobs', `${t.jobs.submitted} submitted, ${t.jobs.accepted} accepted, ${t.jobs.finished} finished, ${t.jobs.unknown} unknown`],
    ['tasks', `${t.tasks} (committed once: ${t.committed})`],
    ['duplicates', mustBeZero(t.duplicates)],
    ['wrong outputs', mustBeZero(t.wrongOutputs)],
    ['stale results committed', mustBeZero(t.staleResults)],
    ['lost', mustBeZero(t.lost)],
    ['dead-lettered', t.deadLettered > 0 ? `<span class="warn">${t.deadLettered}</span>` : '0'],
    ['zombie results rejected', t.zombieResultsRejected === null ? '-' : `${t.zombieResultsRejected} (checkpoints: ${t.zombieCheckpointsRejected ?? '-'})`],
    ['resumed from checkpoints', `${t.resumedFromCheckpoint} tasks, ${t.stepsSaved} steps not redone`],
    ['attempts beyond the first', String(t.extraAttempts)],
    ['attempts ended by workerDown', `${t.endedByWorkerDown} (of workers no fault had hit: ${t.endedByFalseSuspicion})`],
    ['worker-failure recovery, per fault', stats(t.workerRecovery.perFault)],
    ['worker-failure recovery, per held task', stats(t.workerRecovery.perTask)],
  ];
  return `<h2>Tasks</h2>\n<table class="tasks">${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('\n')}</table>`;
}

function ms(value: number | null): string {
  return value === null ? '-' : String(value);
}

function renderRecoveryByKind(summary: ChaosSummary): string {
  const entries = Object.entries(summary.recoveryByKind);
  if (entries.length === 0) return '';
  const rows = entries.map(([kind, s]) => `<tr><td>${escapeHtml(kind)}</td><td class="num">${s.count}</td><td class="num">${s.recovered}</td><td class="num">${percent(s.rate)}</td><td class="num">${ms(s.medianMs)}</td><td class="num">${ms(s.p99Ms)}</td><td class="num">${ms(s.maxMs)}</td></tr>`);
  return `<h2>Recovery by fault kind</h2>\n<table><tr><th>kind</th><th>count</th><th>recovered</th><th>rate</th><th>median ms</th><th>p99 ms</th><th>max ms</th></tr>\n${rows.join('\n')}</table>`;
}

function seconds(ns: number | null): string {
  return ns === null ? '-' : (ns / 1e9).toFixed(3);
}

function renderFaultTable(outcomes: readonly FaultOutcome[], faults: readonly FaultRecord[]): string {
  if (faults.length === 0) return '<h2>Faults</h2>\n<p>No faults were injected.</p>';
  const outcomeById = new Map(outcomes.map((o) => [o.id, o]));
  const rows = faults.map((f) => {
    const outcome = outcomeById.get(f.id);
    const recovered = outcome === undefined ? '-' : outcome.recovered ? 'yes' : '<span class="bad">no</span>';
    return `<tr><td class="num">${f.id}</td><td>${escapeHtml(f.kind)}</td><td>${escapeHtml(f.targets.join(', '))}</td><td>${escapeHtml(f.detail)}${outcome?.heldTasks === undefined ? '' : ` (held ${outcome.heldTasks} task(s))`}</td>`
      + `<td class="num">${seconds(f.startNs)}</td><td class="num">${seconds(f.endNs)}</td><td class="num">${seconds(f.recoveryFromNs)}</td>`
      + `<td class="num">${ms(outcome?.recoveryMs ?? null)}</td><td>${recovered}</td></tr>`;
  });
  return `<h2>Faults</h2>\n<table class="faults"><tr><th>#</th><th>kind</th><th>targets</th><th>detail</th><th>start s</th><th>end s</th><th>recovery from s</th><th>recovery ms</th><th>recovered</th></tr>\n${rows.join('\n')}</table>`;
}
