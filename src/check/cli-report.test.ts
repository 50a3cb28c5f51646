import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkExitCodes, runCheckCli } from './cli-report.js';

const fixture = (name: string): string => readFileSync(new URL(`../../test/fixtures/histories/${name}`, import.meta.url), 'utf8');

describe('runCheckCli', () => {
  it('exit 0 and a one-screen summary for a linearizable history', () => {
    const { exitCode, report } = runCheckCli(fixture('linearizable.jsonl'));
    expect(exitCode).toBe(checkExitCodes.linearizable);
    expect(exitCode).toBe(0);
    expect(report).toMatch(/^Checked 17 operation\(s\) on 3 key\(s\)/);
    expect(report).toContain('Keys: 3 linearizable, 0 not linearizable, 0 unknown.');
    expect(report.split('\n').at(-1)).toBe('Result: LINEARIZABLE (exit 0)');
  });

  it('exit 1, and for each illegal key the explanation with input line numbers', () => {
    const { exitCode, report } = runCheckCli(fixture('not-linearizable.jsonl'));
    expect(exitCode).toBe(1);
    expect(report).toContain('key "x": NOT LINEARIZABLE (3 operation(s), ');
    expect(report).toContain('  cannot place: line 3: client 2 get -> null [40, 60]');
    expect(report).toContain('  longest linearizable prefix: 2 operation(s):\n    line 1: client 0 put "200" [0, 100]\n    line 2: client 1 get -> "200" [10, 30]');
    expect(report).toContain('key "z": NOT LINEARIZABLE');
    expect(report).toContain('  evidence: the initial absence of the key, overwritten by line 6: client 4 put "a" [0, 10]');
    expect(report).toContain('key "lock": NOT LINEARIZABLE');
    expect(report).not.toContain('key "y"');
    expect(report).toContain('Keys: 1 linearizable, 3 not linearizable, 0 unknown.');
    expect(report.split('\n').at(-1)).toBe('Result: NOT LINEARIZABLE (exit 1)');
  });

  it('exit 2 when a key runs out of steps and none is illegal', () => {
    const text = fixture('not-linearizable.jsonl').split('\n').filter((line) => line.includes('"key":"lock"')).join('\n');
    const { exitCode, report } = runCheckCli(text, { keyBudgetSteps: 1 });
    expect(exitCode).toBe(2);
    expect(report).toContain('key "lock": UNKNOWN, the step budget ran out (2 operation(s), 1 step(s))');
    expect(report.split('\n').at(-1)).toMatch(/^Result: UNKNOWN .* \(exit 2\)$/);
  });

  it('exit 3 with every problem and its line for malformed input', () => {
    const { exitCode, report } = runCheckCli('{"client":0,"op":"get","key":"x","call":1,"return":2,"status":"ok","output":null}\nnot json\n{"client":1,"op":"put","key":"x","value":"v","call":5,"return":4,"status":"ok","color":"red"}\n');
    expect(exitCode).toBe(3);
    expect(report.split('\n')).toEqual([
      'Malformed history: 3 problem(s).',
      expect.stringMatching(/^ {2}line 2: invalid JSON: /),
      '  line 3: unknown field "color" (put extra data under "meta")',
      '  line 3: "return" (4) is before "call" (5)',
      'Result: MALFORMED INPUT (exit 3)',
    ]);
  });

  it('an empty history is linearizable', () => {
    expect(runCheckCli('')).toMatchObject({ exitCode: 0 });
  });
});
