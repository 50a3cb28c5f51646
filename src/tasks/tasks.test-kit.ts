/** Test helpers: a machine fed typed commands at increasing entry indexes, results decoded. */
import { fromUtf8, utf8 } from '../core/bytes.js';
import type { TaskCommand, TaskQuery } from './commands.js';
import { encodeCommand, encodeQuery } from './encode.js';
import type { TaskOptionsInput } from './limits.js';
import type { TaskQueryResult, TaskResult, TaskResultFor, TaskResultKind } from './results.js';
import { TaskStateMachine } from './task-state-machine.js';

export class Harness {
  readonly machine: TaskStateMachine;
  index = 0;

  constructor(options: TaskOptionsInput = {}) {
    this.machine = new TaskStateMachine(options);
    this.machine.checkEveryApply = true;
  }

  run(command: TaskCommand): TaskResult {
    return this.raw(encodeCommand(command));
  }

  raw(bytes: Uint8Array): TaskResult {
    this.index += 1;
    return JSON.parse(fromUtf8(this.machine.apply({ index: this.index, term: 1, command: bytes }))) as TaskResult;
  }

  text(json: string): TaskResult {
    return this.raw(utf8(json));
  }

  /** Runs a command that must succeed with result kind `kind`. */
  ok<K extends TaskResultKind>(kind: K, command: TaskCommand): TaskResultFor<K> {
    const result = this.run(command);
    if (result.kind !== kind) throw new Error(`expected ${kind}, got ${JSON.stringify(result)}`);
    return result as TaskResultFor<K>;
  }

  query(query: TaskQuery): TaskQueryResult {
    return JSON.parse(fromUtf8(this.machine.query(encodeQuery(query)))) as TaskQueryResult;
  }

  status(taskId: string): string {
    const result = this.query({ kind: 'task', taskId });
    if (result.kind !== 'task') throw new Error(`no task ${taskId}: ${JSON.stringify(result)}`);
    return result.task.status;
  }
}

export function errorCode(result: TaskResult | TaskQueryResult): string | undefined {
  return result.kind === 'error' ? result.code : undefined;
}
