/* global uPlot, ResizeObserver, getComputedStyle, document */
/** The two time-series charts (uPlot, loaded as a classic script before the modules). */

/** @typedef {import('./types.js').ChartPoint} ChartPoint */

const heightPx = 180;

/**
 * @typedef {object} ChartSpec
 * @property {string} label   series name in the legend
 * @property {string} unit    shown after values on the y axis and in the legend
 * @property {string} color   a CSS custom property holding the line colour, e.g. '--blue'
 * @property {(points: readonly ChartPoint[], i: number) => number | null} value  the y value of point i (null leaves a gap)
 */

/**
 * A live line chart in `host` that follows the width of its card.
 * @param {HTMLElement} host
 * @param {ChartSpec} spec
 * @returns {{ setData(points: readonly ChartPoint[]): void }}
 */
export function lineChart(host, spec) {
  const css = getComputedStyle(document.documentElement);
  const color = css.getPropertyValue(spec.color).trim() || '#58a6ff';
  const grid = css.getPropertyValue('--grid').trim() || '#30363d';
  const muted = css.getPropertyValue('--muted').trim() || '#8b949e';
  const axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '11px ui-monospace, SFMono-Regular, Menlo, monospace' };
  /** @type {uPlot.Options} */
  const options = {
    width: Math.max(200, host.clientWidth),
    height: heightPx,
    cursor: { drag: { x: false, y: false } },
    legend: { show: false },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] } },
    axes: [
      // HH:MM:SS labels are ~60 px wide: keep ticks far enough apart not to overlap.
      { ...axis, space: 90, values: (_u, ticks) => ticks.map((t) => clockSeconds(t)) },
      { ...axis, size: 70, values: (_u, ticks) => ticks.map((t) => `${formatTick(t)} ${spec.unit}`) },
    ],
    series: [
      {},
      {
        label: spec.label, stroke: color, width: 2, fill: `${color}22`, spanGaps: false, points: { show: false },
      },
    ],
  };
  const chart = new uPlot(options, [[], []], host);
  new ResizeObserver(() => chart.setSize({ width: Math.max(200, host.clientWidth), height: heightPx })).observe(host);
  return {
    setData(points) {
      // uPlot's time scale is in seconds.
      chart.setData([points.map((p) => p.atMs / 1000), points.map((_p, i) => spec.value(points, i))]);
    },
  };
}

/**
 * HH:MM:SS of a time in seconds.
 * @param {number} t
 */
function clockSeconds(t) {
  const d = new Date(t * 1000);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/**
 * @param {number} t
 */
function formatTick(t) {
  return t >= 1000 ? `${(t / 1000).toFixed(1)}k` : t >= 10 || t === 0 ? t.toFixed(0) : t.toFixed(1);
}
