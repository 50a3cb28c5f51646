import { describe, expect, it } from 'vitest';
import type { HistoryOp } from '../check/index.js';
import { escapeHtml, okMarksMax, renderSummaryHtml } from './plot.js';
import { summarize } from './summarize.js';
import type { FaultRecord } from './types.js';

const ms = 1e6;
const s = 1e9;

function history(okCount: number): HistoryOp[] {
  const ops: HistoryOp[] = [];
  for (let i = 0; i < okCount; i++) {
    const call = Math.floor((i * 10 * s) / okCount);
    ops.push({ client: i, op: i % 2 === 0 ? 'put' : 'get', key: `k${i % 50}`, value: `v${i}`, call, return: call + (1 + (i % 97)) * ms, status: 'ok', ...(i % 2 === 0 ? {} : { output: null }) } as HistoryOp);
  }
  ops.push({ client: okCount, op: 'put', key: 'z', value: 'f', call: 2 * s, return: 2 * s + 3 * ms, status: 'fail' });
  ops.push({ client: okCount + 1, op: 'cas', key: 'z', expected: null, value: 'i', call: 3 * s, return: null, status: 'info' });
  return ops;
}

const faults: FaultRecord[] = [
  { id: 1, kind: 'kill', targets: ['n2'], detail: 'kill leader n2', startNs: 1 * s, endNs: 3 * s, recoveryFromNs: 1 * s },
  { id: 2, kind: 'partition', targets: ['n4', 'n5'], detail: '<script>alert("x")</script> & more', startNs: 5 * s, endNs: 7 * s, recoveryFromNs: 7 * s },
  { id: 3, kind: 'pause', targets: ['<b>n1</b>'], detail: 'pause n1', startNs: 8 * s, endNs: null, recoveryFromNs: null },
];

function render(okCount: number): string {
  const ops = history(okCount);
  const summary = summarize({ seed: 3, nodes: 5, workload: 'register', nemeses: ['kill', 'partition', 'pause'], durationNs: 10 * s, finalHealNs: 9 * s, history: ops, faults, checkOptions: { budgetSteps: 0 } });
  return renderSummaryHtml(summary, ops, faults);
}

describe('renderSummaryHtml', () => {
  const html = render(200);

  it('is one self-contained document', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|<link|@import|@font-face|\bsrc=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('shades one band per fault, colored by kind and labelled with kind and targets', () => {
    expect(html.match(/class="fault-band"/g)).toHaveLength(3);
    expect(html).toContain('data-kind="kill"');
    expect(html).toContain('data-kind="partition"');
    expect(html).toContain('>kill n2</text>');
    expect(html).toContain('>partition n4,n5</text>');
  });

  it('escapes every piece of recorded text', () => {
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>n1</b>');
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; more');
    expect(html).toContain('pause &#60;b&#62;n1&#60;/b&#62;');
    expect(escapeHtml(`<a href='x'>&`)).toBe('&#60;a href=&#39;x&#39;&#62;&#38;');
  });

  it('draws marks per outcome and operation, info at the top strip', () => {
    expect(html).toContain('class="ops-ok-put"');
    expect(html).toContain('class="ops-ok-get"');
    expect(html).toContain('class="ops-fail-put"');
    expect(html).toContain('class="ops-info-cas"');
    expect(html).toContain('no return');
  });

  it('shows the headline summary and the fault table', () => {
    expect(html).toContain('<th>availability</th>');
    expect(html).toContain('<th>linearizable</th><td>unknown</td>');
    expect(html).toContain('linearizability unknown');
    expect(html).toContain('<th>recovery rate</th>');
    expect(html).toContain('<th>lost acknowledged writes</th>');
    expect(html).toContain('<th>violations</th>');
    expect(html.match(/<tr><td class="num">\d+<\/td><td>(kill|partition|pause)<\/td>/g)).toHaveLength(3);
    expect(html).toContain('<span class="bad">no</span>'); // the unhealed pause
  });

  it('thins ok marks above the limit but keeps every fail and info mark', () => {
    const big = render(50_000);
    const okMarks = [...big.matchAll(/class="ops-ok-\w+"[^>]* d="([^"]*)"/g)].reduce((n, m) => n + (m[1]!.match(/M/g)?.length ?? 0), 0);
    expect(okMarks).toBeLessThanOrEqual(okMarksMax);
    expect(okMarks).toBeGreaterThan(okMarksMax * 0.9);
    expect(big).toContain('class="ops-fail-put"');
    expect(big).toContain('class="ops-info-cas"');
    expect(big).toContain(`Showing ${okMarks} of 50000 ok operations`);
    expect(big.length).toBeLessThan(3_000_000);
  });
});
