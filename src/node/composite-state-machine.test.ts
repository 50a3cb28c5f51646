import { describe, expect, it } from 'vitest';
import { fromUtf8 } from '../core/bytes.js';
import { KvStateMachine, encodeCommand as kvCommand, encodeQuery as kvQuery } from '../kv/index.js';
import { TaskStateMachine, encodeCommand as taskCommand, encodeQuery as taskQuery } from '../tasks/index.js';
import { CompositeStateMachine } from './composite-state-machine.js';

const KV = 1;
const TASKS = 2;

function node(): { sm: CompositeStateMachine; kv: KvStateMachine; tasks: TaskStateMachine } {
  const kv = new KvStateMachine();
  const tasks = new TaskStateMachine();
  const sm = new CompositeStateMachine({ tag: KV, name: 'kv', machine: kv }, [{ tag: TASKS, name: 'tasks', machine: tasks }]);
  return { sm, kv, tasks };
}

function log(): Uint8Array[] {
  return [
    kvCommand({ command: { kind: 'put', key: 'a', value: '1' } }),
    CompositeStateMachine.wrap(TASKS, taskCommand({ kind: 'registerWorker', workerId: 'w1', capacity: 2, handlers: ['count'] })),
    kvCommand({ command: { kind: 'put', key: 'b', value: '2' } }),
    CompositeStateMachine.wrap(TASKS, taskCommand({ kind: 'submitJob', jobId: 'j1', tasks: [{ id: 't1', handler: 'count', input: { text: 'a b' } }] })),
    new TextEncoder().encode('garbage'),
    Uint8Array.of(TASKS),
  ];
}

describe('CompositeStateMachine: KV and tasks in one log', () => {
  it('routes each command to its part, leaves KV encoding unchanged, and answers garbage with error results', () => {
    const { sm, kv, tasks } = node();
    const results = log().map((command, i) => fromUtf8(sm.apply({ index: i + 1, term: 1, command })));
    expect(results[0]).toContain('"kind":"put"');
    expect(results[1]).toContain('registerWorker');
    expect(results[4]).toContain('"kind":"error"');
    expect(results[5]).toContain('error');
    expect(sm.appliedIndex).toBe(6);
    expect(kv.appliedIndex).toBe(5);
    expect(tasks.appliedIndex).toBe(6);
    expect(fromUtf8(sm.query(kvQuery({ kind: 'get', key: 'b' })))).toContain('"value":"2"');
    expect(fromUtf8(sm.query(CompositeStateMachine.wrap(TASKS, taskQuery({ kind: 'job', jobId: 'j1' }))))).toContain('j1');
  });

  it('a snapshot restores every part at its own applied index: same digest, same next results', () => {
    const a = node();
    const entries = log();
    entries.slice(0, 4).forEach((command, i) => a.sm.apply({ index: i + 1, term: 1, command }));
    const b = node();
    b.sm.restore(a.sm.snapshot(), 4);
    expect(b.sm.digest()).toBe(a.sm.digest());
    expect(b.sm.appliedIndex).toBe(4);
    const next = kvCommand({ command: { kind: 'put', key: 'c', value: '3' } });
    expect(fromUtf8(b.sm.apply({ index: 5, term: 1, command: next }))).toBe(fromUtf8(a.sm.apply({ index: 5, term: 1, command: next })));
    expect(b.sm.digest()).toBe(a.sm.digest());
  });

  it('refuses damaged snapshots with a clear error and a newer format by version', () => {
    const a = node();
    log().forEach((command, i) => a.sm.apply({ index: i + 1, term: 1, command }));
    const good = a.sm.snapshot();
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 3), /bad magic/],
      [good.subarray(0, good.length - 1), /CHECKPOINT|corrupt|truncat|out of bounds/i],
      [Uint8Array.of(...good, 0), /trailing bytes/],
      [Uint8Array.of(...good.subarray(0, 4), 9, ...good.subarray(5)), /version 9/],
    ];
    for (const [bytes, message] of cases) expect(() => node().sm.restore(bytes, 6)).toThrow(message);
    expect(() => node().sm.restore(good, 2)).toThrow(/out of bounds/);
  });

  it('refuses a tag that would capture JSON commands, and duplicate tags', () => {
    const kv = new KvStateMachine();
    expect(() => new CompositeStateMachine({ tag: 0x7b, name: 'kv', machine: kv }, [])).toThrow(/0x7b/);
    expect(() => new CompositeStateMachine({ tag: 1, name: 'kv', machine: kv }, [{ tag: 1, name: 'tasks', machine: new TaskStateMachine() }])).toThrow(/twice/);
  });
});
