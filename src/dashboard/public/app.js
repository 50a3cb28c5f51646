/* global EventSource, window, document, requestAnimationFrame */
/**
 * The dashboard page: one EventSource on /v1/dashboard/stream, the state it feeds, and a render
 * per animation frame. The stream starts with `history` (chart points and timeline), then sends a
 * `sample` every 500 ms and a `timeline` event per fault or recovery.
 */
import { lineChart } from './charts.js';
import { byId } from './dom.js';
import { renderHeader, renderJobs, renderKpis, renderLeaders, renderMembers, renderTimeline, renderWorkers } from './view.js';

/** @typedef {import('./types.js').DashboardSample} DashboardSample */
/** @typedef {import('./types.js').DashboardState} DashboardState */
/** @typedef {import('./types.js').ChartPoint} ChartPoint */
/** @typedef {import('./types.js').TimelineEvent} TimelineEvent */

const streamUrl = '/v1/dashboard/stream';
/** Chart points kept in the page (ten minutes at 2 per second; the server replays the last minute). */
const pointsMax = 1_200;
/** Timeline events kept in the page (as many as the server keeps). */
const timelineMax = 200;
/** No sample for this long: the stream is stuck (node paused, proxy): drop it and reconnect. */
const silenceMsMax = 5_000;
/** Reconnect delays after the stream failed for good (EventSource retries network errors by itself). */
const retryMsMin = 500;
const retryMsMax = 10_000;

const state = {
  /** @type {DashboardSample | null} */ sample: null,
  /** @type {ChartPoint[]} */ points: [],
  /** @type {TimelineEvent[]} */ timeline: [],
  lastMessageMs: 0,
  dirty: false,
};

/** Task throughput is charted as a trailing mean over this window: results come in bursts, 500 ms apart is mostly noise. */
const throughputWindowMs = 2_000;

const latencyChart = lineChart(byId('chart-latency'), {
  label: 'write latency', unit: 'ms', color: '--blue', value: (points, i) => points[i]?.rates.writeLatencyMsMean ?? null,
});
const tasksChart = lineChart(byId('chart-tasks'), {
  label: 'tasks completed', unit: '/s', color: '--green', value: (points, i) => trailingRate(points, i, throughputWindowMs),
});

/**
 * Tasks per second over the `windowMs` before point i: each interval's rate weighted by its length.
 * @param {readonly ChartPoint[]} points
 * @param {number} i
 * @param {number} windowMs
 * @returns {number | null}
 */
function trailingRate(points, i, windowMs) {
  const end = points[i];
  if (end === undefined) return null;
  let tasks = 0;
  let spanMs = 0;
  for (let j = i; j > 0 && end.atMs - (points[j - 1]?.atMs ?? 0) <= windowMs; j--) {
    const p = points[j];
    const before = points[j - 1];
    if (p === undefined || before === undefined) break;
    tasks += p.rates.tasksPerSec * (p.atMs - before.atMs);
    spanMs += p.atMs - before.atMs;
  }
  return spanMs === 0 ? end.rates.tasksPerSec : tasks / spanMs;
}

/** @type {EventSource | null} */
let source = null;
let retryMs = retryMsMin;
/** @type {number | undefined} */
let retryTimer;

function connect() {
  window.clearTimeout(retryTimer);
  source?.close();
  setConnection('connecting');
  const es = new EventSource(streamUrl);
  source = es;
  state.lastMessageMs = Date.now();
  es.addEventListener('open', () => {
    retryMs = retryMsMin;
    setConnection('live');
  });
  es.addEventListener('history', (m) => onHistory(/** @type {Omit<DashboardState, 'sample'>} */ (parse(m))));
  es.addEventListener('sample', (m) => onSample(/** @type {DashboardSample} */ (parse(m))));
  es.addEventListener('timeline', (m) => onTimeline(/** @type {TimelineEvent} */ (parse(m))));
  es.addEventListener('error', () => {
    if (es !== source) return;
    setConnection('reconnecting');
    // CONNECTING: the browser retries by itself. CLOSED (an HTTP error such as 503): we retry, backing off.
    if (es.readyState === EventSource.CLOSED) scheduleReconnect();
  });
}

function scheduleReconnect() {
  source?.close();
  source = null;
  window.clearTimeout(retryTimer);
  retryTimer = window.setTimeout(connect, retryMs);
  retryMs = Math.min(retryMsMax, retryMs * 2);
}

/**
 * @param {Event} m
 * @returns {unknown}
 */
function parse(m) {
  state.lastMessageMs = Date.now();
  return JSON.parse(/** @type {MessageEvent<string>} */ (m).data);
}

/**
 * A (re)connected stream starts over: the server's history replaces ours.
 * @param {Omit<DashboardState, 'sample'>} history
 */
function onHistory(history) {
  state.points = [...history.points];
  state.timeline = [...history.timeline];
  setConnection('live');
  invalidate();
}

/**
 * @param {DashboardSample} sample
 */
function onSample(sample) {
  state.sample = sample;
  const last = state.points[state.points.length - 1];
  if (last === undefined || last.atMs < sample.atMs) state.points.push({ atMs: sample.atMs, rates: sample.rates });
  if (state.points.length > pointsMax) state.points.splice(0, state.points.length - pointsMax);
  invalidate();
}

/**
 * @param {TimelineEvent} event
 */
function onTimeline(event) {
  if (state.timeline.some((e) => e.seq === event.seq)) return;
  state.timeline.push(event);
  if (state.timeline.length > timelineMax) state.timeline.splice(0, state.timeline.length - timelineMax);
  invalidate();
}

function invalidate() {
  if (state.dirty) return;
  state.dirty = true;
  requestAnimationFrame(render);
}

function render() {
  state.dirty = false;
  const s = state.sample;
  if (s !== null) {
    renderHeader(s);
    renderKpis(s);
    renderMembers(s);
    renderJobs(s);
    renderWorkers(s);
    document.title = `Keel · ${s.nodeId}${s.cluster?.leaderId ? ` · leader ${s.cluster.leaderId}` : ''}`;
  }
  renderLeaders(state.timeline, s);
  renderTimeline(state.timeline);
  latencyChart.setData(state.points);
  tasksChart.setData(state.points);
}

/**
 * @param {'connecting' | 'live' | 'reconnecting' | 'stale'} status
 */
function setConnection(status) {
  const el = byId('connection');
  el.textContent = status;
  el.className = `connection connection-${status}`;
  document.body.dataset['connection'] = status;
}

// A stream can stay open yet silent (node paused by SIGSTOP): notice it and start over.
window.setInterval(() => {
  if (source === null) return;
  const silentMs = Date.now() - state.lastMessageMs;
  if (silentMs > silenceMsMax) {
    setConnection('stale');
    scheduleReconnect();
  }
}, 1_000);

connect();
render();
