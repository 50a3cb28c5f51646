/* global document */
/** Renders each panel of the page from the latest sample and the timeline. */
import { fill, h } from './dom.js';
import { clock, describe, duration, num, rate } from './format.js';

/** @typedef {import('./types.js').DashboardSample} DashboardSample */
/** @typedef {import('./types.js').TimelineEvent} TimelineEvent */
/** @typedef {import('./types.js').MemberStatus} MemberStatus */

/** A cluster view older than this (the leader did not answer in time) is flagged on the page. */
const staleViewMs = 1_500;
/** Leader changes listed in the leader history. */
const leaderHistoryMax = 12;
/** The task counts in the order the progress bars stack them. */
const segments = /** @type {const} */ (['succeeded', 'running', 'failed', 'deadLettered', 'cancelled', 'pending']);

/**
 * @param {DashboardSample} s
 */
export function renderHeader(s) {
  const leaderId = s.cluster?.leaderId ?? null;
  const leader = s.cluster?.members.find((m) => m.id === leaderId);
  const ok = leader !== undefined && leader.healthy;
  fill('node-id', s.nodeId);
  const el = document.getElementById('leader');
  if (el !== null) {
    el.textContent = ok && leaderId !== null ? leaderId : 'none';
    el.dataset['leader'] = ok && leaderId !== null ? leaderId : '';
    el.className = ok ? 'value ok' : 'value bad';
  }
  fill('term', s.cluster === null ? '–' : num(s.cluster.term));
}

/**
 * @param {DashboardSample} s
 */
export function renderKpis(s) {
  const c = s.counters;
  fill('kpi-writes', rate(s.rates.writesPerSec), h('small', {}, '/s'));
  fill('kpi-latency', s.rates.writeLatencyMsMean === null ? '–' : s.rates.writeLatencyMsMean.toFixed(2), h('small', {}, 'ms'));
  fill('kpi-tasks', rate(s.rates.tasksPerSec), h('small', {}, '/s'));
  fill('kpi-completed', num(c.tasksCompleted));
  fill('kpi-zombies', num(c.zombieResultsRejected));
  fill('kpi-written', num(c.writes));
}

/**
 * @param {DashboardSample} s
 */
export function renderMembers(s) {
  const cluster = s.cluster;
  if (cluster === null) {
    fill('members', h('tr', {}, h('td.empty', { colspan: 7 }, 'waiting for the cluster view…')));
    return;
  }
  const ageMs = s.clusterRead === null ? 0 : s.atMs - s.clusterRead.answeredAtMs;
  fill('cluster-age', ageMs > staleViewMs ? h('span.badge.warn', {}, `view ${duration(ageMs)} old`) : '');
  const rows = [...cluster.members].sort((a, b) => a.id.localeCompare(b.id)).map((m) => {
    const isLeader = m.id === cluster.leaderId;
    return h(`tr${isLeader ? '.leader-row' : ''}`, { 'data-member': m.id },
      h('td.mono', {}, m.id, isLeader ? h('span.crown', { title: 'leader' }, ' ★') : null),
      h('td', {}, h(`span.role.role-${m.voter ? m.role : 'learner'}`, {}, m.voter ? m.role : 'learner')),
      h('td.num', {}, m.role === 'unknown' ? '–' : num(m.term)),
      h('td.num', {}, m.role === 'unknown' ? '–' : num(m.commitIndex)),
      h('td.num', {}, m.role === 'unknown' ? '–' : num(m.appliedIndex)),
      h('td.num', {}, m.lastHeartbeatMs === null ? '–' : duration(m.lastHeartbeatMs)),
      h('td', {}, h(`span.health.${m.healthy ? 'ok' : 'bad'}`, {}, m.healthy ? 'healthy' : 'unreachable')));
  });
  fill('members', ...rows);
}

/**
 * Leader history from the timeline: each election, newest first; the current leader when none is known.
 * @param {readonly TimelineEvent[]} timeline
 * @param {DashboardSample | null} s
 */
export function renderLeaders(timeline, s) {
  /** @type {HTMLElement[]} */
  const items = [];
  for (let i = timeline.length - 1; i >= 0 && items.length < leaderHistoryMax; i--) {
    const e = timeline[i];
    if (e === undefined) continue;
    if (e.kind === 'leaderElected') {
      items.push(h('li', { 'data-kind': e.kind },
        h('span.mono.leader-id', {}, e.leaderId),
        h('span.muted', {}, ` term ${e.term}`),
        h('span.when', {}, clock(e.atMs)),
        e.failoverMs === null ? null : h('span.badge.recovery', { title: 'from losing the previous leader to this election' }, `failover ${duration(e.failoverMs)}`)));
    } else if (e.kind === 'leaderLost') {
      items.push(h('li.lost', { 'data-kind': e.kind },
        h('span.mono.leader-id', {}, e.leaderId), h('span.muted', {}, ` lost (term ${e.term})`), h('span.when', {}, clock(e.atMs))));
    }
  }
  if (items.length === 0) {
    const leaderId = s?.cluster?.leaderId ?? null;
    items.push(h('li.empty', {}, leaderId === null ? 'no leader seen yet' : `${leaderId} has led since this node's dashboard started`));
  }
  fill('leaders', ...items);
}

/**
 * @param {DashboardSample} s
 */
export function renderJobs(s) {
  fill('jobs-count', s.jobsCount > s.jobs.length ? `newest ${s.jobs.length} of ${num(s.jobsCount)}` : s.jobsCount === 0 ? '' : num(s.jobsCount));
  if (s.jobs.length === 0) {
    fill('jobs', h('p.empty', {}, 'no jobs yet: submit one with `keel job submit` or the client'));
    return;
  }
  const rows = [...s.jobs].reverse().map((job) => {
    const done = job.counts.succeeded + job.counts.failed + job.counts.deadLettered + job.counts.cancelled;
    const pct = job.total === 0 ? 100 : (100 * done) / job.total;
    const bar = h('div.bar', { title: segments.map((k) => `${k} ${job.counts[k]}`).join(', ') },
      ...segments.filter((k) => job.counts[k] > 0 && k !== 'pending').map((k) =>
        h(`span.seg.seg-${k}`, { style: `width:${(100 * job.counts[k]) / Math.max(1, job.total)}%` })));
    return h('div.job', { 'data-job': job.jobId },
      h('div.job-head', {},
        h('span.mono.job-id', { title: job.jobId }, job.jobId),
        h(`span.state.state-${job.state}`, {}, job.state),
        h('span.num.job-done', {}, `${num(done)} / ${num(job.total)}`, h('span.muted', {}, ` ${pct.toFixed(0)}%`))),
      bar,
      h('div.job-counts', {}, ...segments.filter((k) => k === 'succeeded' || job.counts[k] > 0).map((k) => h(`span.count.count-${k}`, {}, h('i', {}), `${k === 'deadLettered' ? 'dead-lettered' : k} `, h('b.num', {}, num(job.counts[k]))))));
  });
  fill('jobs', ...rows);
}

/**
 * @param {DashboardSample} s
 */
export function renderWorkers(s) {
  if (s.workers.length === 0) {
    fill('workers', h('p.empty', {}, 'no workers registered: start one with `keel worker`'));
    return;
  }
  const rows = s.workers.map((w) => {
    const load = w.capacity === 0 ? 0 : Math.min(1, w.running / w.capacity);
    return h('div.worker', { 'data-worker': w.workerId, 'data-status': w.status },
      h(`span.dot.${w.status === 'up' ? 'ok' : 'bad'}`, { title: w.status }),
      h('span.mono.worker-id', { title: w.workerId }, w.workerId),
      h('div.load', {}, h(`span.load-fill${load >= 1 ? '.full' : ''}`, { style: `width:${(100 * load).toFixed(1)}%` })),
      h('span.num.worker-load', {}, `${w.running}/${w.capacity}`),
      h(`span.worker-status.${w.status === 'up' ? 'ok' : 'bad'}`, {}, w.status));
  });
  fill('workers', ...rows);
}

/**
 * The timeline, newest first.
 * @param {readonly TimelineEvent[]} timeline
 */
export function renderTimeline(timeline) {
  if (timeline.length === 0) {
    fill('timeline', h('li.empty', {}, 'nothing has happened yet: faults and recoveries appear here'));
    return;
  }
  const sorted = [...timeline].sort((a, b) => b.atMs - a.atMs || b.seq - a.seq);
  fill('timeline', ...sorted.map((e) => {
    const d = describe(e);
    return h(`li.event.${d.tone}`, { 'data-kind': e.kind, 'data-seq': e.seq },
      h('span.when', {}, clock(e.atMs)),
      h('span.mark', {}),
      h('div.what', {}, h('div.title', {}, d.title), h('div.detail', {}, d.detail)),
      d.durationMs === null ? null : h(`span.badge.${d.tone}`, {}, `${d.durationLabel} ${duration(d.durationMs)}`));
  }));
}
