import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHistory, type HistoryOp } from '../check/index.js';
import { isKeelError } from '../core/errors.js';
import { formatFaults, parseFaults, writeRunOutputs } from './records.js';
import { summarize } from './summarize.js';
import type { FaultRecord } from './types.js';

const faults: FaultRecord[] = [
  { id: 1, kind: 'kill', targets: ['n2'], detail: 'kill leader n2', startNs: 1_000, endNs: 3_000, recoveryFromNs: 1_000 },
  { id: 2, kind: 'partition', targets: ['n4', 'n5'], detail: 'majority n1,n2,n3 | minority n4,n5 "q"', startNs: 5_000, endNs: null, recoveryFromNs: null },
];

describe('formatFaults / parseFaults', () => {
  it('round-trips, one line per fault in the field order of the type', () => {
    const text = formatFaults(faults);
    expect(text.split('\n')).toHaveLength(3);
    expect(text.startsWith('{"id":1,"kind":"kill","targets":["n2"],"detail":"kill leader n2","startNs":1000,"endNs":3000,"recoveryFromNs":1000}\n')).toBe(true);
    expect(parseFaults(text)).toEqual(faults);
    expect(parseFaults(`\n${text.replace(/\n/g, '\r\n')}\n`)).toEqual(faults);
    expect(formatFaults([])).toBe('');
    expect(parseFaults('')).toEqual([]);
  });

  it('names the line of a malformed record', () => {
    const lines = formatFaults(faults).split('\n');
    const bad = [lines[0], '{"id":2,"kind":"kill"', lines[1]].join('\n');
    expect(() => parseFaults(bad)).toThrow(/line 2: not JSON/);
    try {
      parseFaults(bad);
    } catch (error) {
      expect(isKeelError(error, 'BAD_REQUEST')).toBe(true);
    }
  });

  it('lists every invalid field and line', () => {
    const text = [
      '{"id":1,"kind":"meteor","targets":"n1","detail":"x","startNs":-1,"endNs":null,"recoveryFromNs":null,"extra":1}',
      '{"id":2,"kind":"kill","targets":[],"detail":"x","startNs":10,"endNs":5,"recoveryFromNs":null}',
      '{"id":2,"kind":"kill","targets":[],"detail":"x","startNs":10}',
      '[1]',
    ].join('\n');
    let message = '';
    try {
      parseFaults(text);
    } catch (error) {
      message = error instanceof Error ? error.message : '';
    }
    expect(message).toContain('line 1: unknown field(s) extra; kind must be one of kill, pause');
    expect(message).toContain('targets must be an array of strings');
    expect(message).toContain('startNs must be an integer >= 0');
    expect(message).toContain('line 2: endNs 5 is before startNs 10');
    expect(message).toContain('line 3: missing field(s) endNs, recoveryFromNs');
    expect(message).toContain('line 4: not a JSON object');
  });

  it('rejects duplicate ids', () => {
    const line = formatFaults([faults[0]!]);
    expect(() => parseFaults(line + line)).toThrow(/line 2: duplicate id 1/);
  });
});

describe('writeRunOutputs', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('writes the four files into a new directory, readable by the checker and parseFaults', async () => {
    const root = await mkdtemp(join(tmpdir(), 'keel-chaos-records-'));
    dirs.push(root);
    const history: HistoryOp[] = [
      { client: 0, op: 'put', key: 'x', value: '1', call: 0, return: 100, status: 'ok', meta: { node: 'n1' } },
      { client: 1, op: 'cas', key: 'x', expected: '1', value: '2', call: 50, return: null, status: 'info' },
      { client: 2, op: 'get', key: 'x', call: 150, return: 200, status: 'ok', output: '1' },
    ];
    const summary = summarize({ seed: 1, nodes: 3, workload: 'register', nemeses: ['kill'], durationNs: 1e9, finalHealNs: 0, history, faults });
    const dir = join(root, 'a', 'b');
    const paths = await writeRunOutputs(dir, { history, faults, summary, html: '<!DOCTYPE html>' });
    expect(paths.history).toBe(join(dir, 'history.jsonl'));
    const historyText = await readFile(paths.history!, 'utf8');
    expect(historyText.split('\n')[1]).toBe('{"client":1,"op":"cas","key":"x","expected":"1","value":"2","call":50,"return":null,"status":"info"}');
    const parsed = parseHistory(historyText);
    expect(parsed.kind === 'ok' && parsed.ops).toEqual(history);
    expect(parseFaults(await readFile(paths.faults!, 'utf8'))).toEqual(faults);
    expect(paths.jobs).toBeUndefined();
    expect(JSON.parse(await readFile(paths.summary!, 'utf8'))).toEqual(summary);
    expect(await readFile(join(dir, 'summary.html'), 'utf8')).toBe('<!DOCTYPE html>');
  });
});
