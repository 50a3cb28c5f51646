/**
 * A handler thread: loads the tasks module once, then runs attempts the main thread sends. User
 * code runs here, so however long it computes, the main thread keeps heartbeating.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ResultView } from '../api/wire-tasks.js';
import { describeError } from '../core/errors.js';
import { canonicalJson, type JsonValue } from '../tasks/json.js';
import { loadTasks } from './load-tasks.js';
import type { FromThread, HandlerError, RunAttempt, ToThread } from './messages.js';
import type { TaskContext, TaskHandlers } from './sdk.js';

const port = parentPort!;
const post = (message: FromThread): void => port.postMessage(message);
const runs = new Map<number, AbortController>();
const calls = new Map<number, { resolve: (value: readonly ResultView[] | undefined) => void; reject: (error: Error) => void }>();
let nextCallId = 1;
let handlers: TaskHandlers = {};

type CallRequest = Extract<FromThread, { type: 'call' }> extends infer C ? (C extends unknown ? Omit<C, 'callId'> : never) : never;

function call(message: CallRequest): Promise<readonly ResultView[] | undefined> {
  const callId = nextCallId++;
  return new Promise((resolve, reject) => {
    calls.set(callId, { resolve, reject });
    post({ ...message, callId });
  });
}

function toHandlerError(error: unknown): HandlerError {
  const retryable = !(typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false);
  if (error instanceof Error) return { message: `${error.name}: ${error.message}`, ...(error.stack === undefined ? {} : { stack: error.stack }), retryable };
  return { message: `thrown value: ${describeError(error)}`, retryable };
}

async function run(attempt: RunAttempt): Promise<void> {
  const controller = new AbortController();
  runs.set(attempt.runId, controller);
  const steps = new Map(Object.entries(attempt.checkpoint?.steps ?? {}));
  const ctx: TaskContext = {
    jobId: attempt.jobId,
    taskId: attempt.taskId,
    attempt: { taskId: attempt.taskId, token: attempt.attempt, key: `${attempt.taskId}#${attempt.attempt}` },
    signal: controller.signal,
    checkpointed: <T extends JsonValue>() => Promise.resolve(attempt.checkpoint?.state as T | undefined),
    checkpoint: async (state) => {
      canonicalJson(state); // throws NotJsonError here, where the handler can catch it
      await call({ type: 'call', runId: attempt.runId, op: 'checkpoint', state });
    },
    step: async <T extends JsonValue>(name: string, fn: () => T | Promise<T>): Promise<T> => {
      if (steps.has(name)) return steps.get(name) as T;
      const result = await fn();
      canonicalJson(result);
      await call({ type: 'call', runId: attempt.runId, op: 'step', name, result });
      steps.set(name, result);
      return result;
    },
    results: async () => (await call({ type: 'call', runId: attempt.runId, op: 'results' })) ?? [],
  };
  try {
    const handler = handlers[attempt.handler];
    if (handler === undefined) throw Object.assign(new Error(`no handler named ${attempt.handler} in this tasks module`), { retryable: false });
    const output = (await handler(attempt.input, ctx)) as unknown;
    try {
      canonicalJson((output ?? null));
    } catch (error) {
      throw Object.assign(new TypeError(`handler ${attempt.handler} returned a value that is not JSON: ${describeError(error)}`), { retryable: false });
    }
    post({ type: 'done', runId: attempt.runId, ok: true, output: (output ?? null) as JsonValue });
  } catch (error) {
    post({ type: 'done', runId: attempt.runId, ok: false, error: toHandlerError(error) });
  } finally {
    runs.delete(attempt.runId);
  }
}

port.on('message', (message: ToThread) => {
  switch (message.type) {
    case 'run': void run(message); break;
    case 'abort': runs.get(message.runId)?.abort(new Error(`lease lost: ${message.reason}`)); break;
    case 'reply': {
      const pending = calls.get(message.callId);
      calls.delete(message.callId);
      if (message.ok) pending?.resolve(message.value);
      else pending?.reject(new Error(message.message));
      break;
    }
    default: break;
  }
});

try {
  handlers = await loadTasks((workerData as { tasksPath: string }).tasksPath);
  post({ type: 'ready', handlers: Object.keys(handlers) });
} catch (error) {
  post({ type: 'loadError', message: describeError(error) });
}
