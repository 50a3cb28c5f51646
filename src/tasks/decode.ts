/**
 * Decoding of task commands and queries: a closed shape (unknown fields, wrong types, unknown
 * kinds refused), never a throw on input: every replica must apply every committed entry,
 * garbage included, to the same outcome. Checks that need the options (sizes, id forms,
 * limits) are in validate.ts.
 */
import { assertNever } from '../core/assert.js';
import { fromUtf8 } from '../core/bytes.js';
import { clipText } from '../kv/keys.js';
import {
  ShapeError, arrayField, booleanField, closedObject, integerField, literalField, optionalField, stringField, type JsonObject,
} from '../kv/shape.js';
import {
  schedulingPolicies, taskCommandKinds, taskQueryKinds, type BackoffSpec, type StepRecord, type TaskCommand, type TaskFailure,
  type TaskQuery, type TaskSpec, type TaskTimeouts,
} from './commands.js';
import { NotJsonError, payloadText, type JsonValue } from './json.js';
import { commandBytesMax, durationMsMax, nowMsMax } from './limits.js';
import { taskError, type TaskErrorResult } from './results.js';

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: TaskErrorResult };

/** Of a decode failure's message, in UTF-16 units. */
const messageLengthMax = 256;

export function decodeCommand(bytes: Uint8Array): Decoded<TaskCommand> {
  return decodeWith(bytes, 'command', commandFrom);
}

export function decodeQuery(bytes: Uint8Array): Decoded<TaskQuery> {
  return decodeWith(bytes, 'query', queryFrom);
}

function decodeWith<T>(bytes: Uint8Array, what: string, read: (value: unknown) => T): Decoded<T> {
  if (bytes.length > commandBytesMax) {
    return { ok: false, error: taskError('COMMAND_TOO_LARGE', `${what} is ${bytes.length} bytes, commandBytesMax is ${commandBytesMax}`) };
  }
  try {
    return { ok: true, value: read(JSON.parse(fromUtf8(bytes)) as unknown) };
  } catch (error) {
    // TypeError: not UTF-8; SyntaxError: not JSON; ShapeError, NotJsonError: wrong shape or nesting.
    if (error instanceof ShapeError || error instanceof NotJsonError || error instanceof SyntaxError || error instanceof TypeError) {
      return { ok: false, error: taskError('COMMAND_MALFORMED', `malformed ${what}: ${clipText(error.message, messageLengthMax)}`) };
    }
    throw error;
  }
}

const nowField = (o: JsonObject, f: string): number => {
  const value = integerField(o, f, 'command', 0);
  if (value > nowMsMax) throw new ShapeError(`command.${f} must be at most ${nowMsMax}`);
  return value;
};
const durationField = (o: JsonObject, f: string): number => {
  const value = integerField(o, f, 'command', 1);
  if (value > durationMsMax) throw new ShapeError(`${f} must be at most ${durationMsMax} ms`);
  return value;
};
const str = (what: string) => (o: JsonObject, f: string): string => stringField(o, f, what);

/** A JSON payload, checked for nesting depth (its canonical text is computed again where stored). */
function payloadField(object: JsonObject, field: string): JsonValue {
  const value = object[field] as JsonValue;
  payloadText(value);
  return value;
}

function commandFrom(value: unknown): TaskCommand {
  const kindOf = closedObject(value, 'command', ['kind'], ['jobId', 'tasks', 'maxAttempts', 'policy', 'timeouts', 'backoff', 'nowMs',
    'workerId', 'capacity', 'handlers', 'weight', 'taskId', 'attempt', 'state', 'step', 'output', 'error']);
  const kind = literalField(kindOf, 'kind', 'command', taskCommandKinds);
  const c = (required: readonly string[], optional: readonly string[] = []): JsonObject => closedObject(value, `${kind} command`, ['kind', ...required], optional);
  const now = (o: JsonObject): { nowMs?: number } => {
    const nowMs = optionalField(o, 'nowMs', nowField);
    return nowMs === undefined ? {} : { nowMs };
  };
  switch (kind) {
    case 'submitJob': {
      const o = c(['tasks'], ['jobId', 'maxAttempts', 'policy', 'timeouts', 'backoff', 'nowMs']);
      const jobId = optionalField(o, 'jobId', str('submitJob'));
      const maxAttempts = optionalField(o, 'maxAttempts', (x, f) => integerField(x, f, 'submitJob', 1));
      const policy = optionalField(o, 'policy', (x, f) => literalField(x, f, 'submitJob', schedulingPolicies));
      const timeouts = optionalField(o, 'timeouts', (x, f) => timeoutsFrom(x[f]));
      const backoff = optionalField(o, 'backoff', (x, f) => backoffFrom(x[f]));
      return {
        kind, tasks: arrayField(o, 'tasks', 'submitJob').map((t, i) => taskSpecFrom(t, i)),
        ...(jobId === undefined ? {} : { jobId }), ...(maxAttempts === undefined ? {} : { maxAttempts }),
        ...(policy === undefined ? {} : { policy }), ...(timeouts === undefined ? {} : { timeouts }),
        ...(backoff === undefined ? {} : { backoff }), ...now(o),
      };
    }
    case 'registerWorker': {
      const o = c(['workerId', 'capacity', 'handlers'], ['weight', 'nowMs']);
      const weight = optionalField(o, 'weight', (x, f) => integerField(x, f, 'registerWorker', 1));
      return {
        kind, workerId: stringField(o, 'workerId', kind), capacity: integerField(o, 'capacity', kind, 1),
        handlers: arrayField(o, 'handlers', kind).map((h, i) => stringField({ h }, 'h', `registerWorker.handlers[${i}]`)),
        ...(weight === undefined ? {} : { weight }), ...now(o),
      };
    }
    case 'workerHeartbeat':
    case 'workerDown': {
      const o = c(['workerId', 'nowMs']);
      return { kind, workerId: stringField(o, 'workerId', kind), nowMs: nowField(o, 'nowMs') };
    }
    case 'assign': {
      const o = c(['taskId', 'workerId', 'nowMs']);
      return { kind, taskId: stringField(o, 'taskId', kind), workerId: stringField(o, 'workerId', kind), nowMs: nowField(o, 'nowMs') };
    }
    case 'checkpoint': {
      const o = c(['taskId', 'attempt'], ['state', 'step', 'nowMs']);
      const step = optionalField(o, 'step', (x, f) => stepFrom(x[f]));
      if (!Object.hasOwn(o, 'state') && step === undefined) throw new ShapeError('checkpoint needs state or step');
      return {
        kind, taskId: stringField(o, 'taskId', kind), attempt: integerField(o, 'attempt', kind, 1),
        ...(Object.hasOwn(o, 'state') ? { state: payloadField(o, 'state') } : {}), ...(step === undefined ? {} : { step }), ...now(o),
      };
    }
    case 'complete': {
      const o = c(['taskId', 'attempt', 'output'], ['nowMs']);
      return { kind, taskId: stringField(o, 'taskId', kind), attempt: integerField(o, 'attempt', kind, 1), output: payloadField(o, 'output'), ...now(o) };
    }
    case 'fail': {
      const o = c(['taskId', 'attempt', 'error'], ['nowMs']);
      return { kind, taskId: stringField(o, 'taskId', kind), attempt: integerField(o, 'attempt', kind, 1), error: failureFrom(o['error']), ...now(o) };
    }
    case 'expire': {
      const o = c(['nowMs']);
      return { kind, nowMs: nowField(o, 'nowMs') };
    }
    case 'cancelJob': {
      const o = c(['jobId'], ['nowMs']);
      return { kind, jobId: stringField(o, 'jobId', kind), ...now(o) };
    }
    default: return assertNever(kind);
  }
}

function taskSpecFrom(value: unknown, index: number): TaskSpec {
  const what = `tasks[${index}]`;
  const o = closedObject(value, what, ['handler', 'input'], ['id', 'key', 'dependsOn']);
  const id = optionalField(o, 'id', str(what));
  const key = optionalField(o, 'key', str(what));
  const dependsOn = optionalField(o, 'dependsOn', (x, f) => arrayField(x, f, what).map((d, i) => stringField({ d }, 'd', `${what}.dependsOn[${i}]`)));
  return {
    handler: stringField(o, 'handler', what), input: payloadField(o, 'input'),
    ...(id === undefined ? {} : { id }), ...(key === undefined ? {} : { key }), ...(dependsOn === undefined ? {} : { dependsOn }),
  };
}

function timeoutsFrom(value: unknown): TaskTimeouts {
  const o = closedObject(value, 'timeouts', [], ['scheduleToStartMs', 'startToCloseMs', 'heartbeatMs']);
  const scheduleToStartMs = optionalField(o, 'scheduleToStartMs', durationField);
  const startToCloseMs = optionalField(o, 'startToCloseMs', durationField);
  const heartbeatMs = optionalField(o, 'heartbeatMs', durationField);
  return {
    ...(scheduleToStartMs === undefined ? {} : { scheduleToStartMs }), ...(startToCloseMs === undefined ? {} : { startToCloseMs }),
    ...(heartbeatMs === undefined ? {} : { heartbeatMs }),
  };
}

function backoffFrom(value: unknown): BackoffSpec {
  const o = closedObject(value, 'backoff', ['initialMs', 'maxMs']);
  const initialMs = durationField(o, 'initialMs');
  const maxMs = durationField(o, 'maxMs');
  if (maxMs < initialMs) throw new ShapeError('backoff.maxMs must be >= backoff.initialMs');
  return { initialMs, maxMs };
}

function stepFrom(value: unknown): StepRecord {
  const o = closedObject(value, 'step', ['name', 'result']);
  return { name: stringField(o, 'name', 'step'), result: payloadField(o, 'result') };
}

function failureFrom(value: unknown): TaskFailure {
  const o = closedObject(value, 'error', ['message', 'retryable'], ['stack']);
  const stack = optionalField(o, 'stack', str('error'));
  return { message: stringField(o, 'message', 'error'), retryable: booleanField(o, 'retryable', 'error'), ...(stack === undefined ? {} : { stack }) };
}

function queryFrom(value: unknown): TaskQuery {
  const kind = literalField(closedObject(value, 'query', ['kind'], ['jobId', 'taskId', 'after', 'limit']), 'kind', 'query', taskQueryKinds);
  switch (kind) {
    case 'job': return { kind, jobId: stringField(closedObject(value, 'job query', ['kind', 'jobId']), 'jobId', 'job query') };
    case 'results': {
      const o = closedObject(value, 'results query', ['kind', 'jobId'], ['after', 'limit']);
      const after = optionalField(o, 'after', str('results query'));
      const limit = optionalField(o, 'limit', (x, f) => integerField(x, f, 'results query', 1));
      return { kind, jobId: stringField(o, 'jobId', 'results query'), ...(after === undefined ? {} : { after }), ...(limit === undefined ? {} : { limit }) };
    }
    case 'task': return { kind, taskId: stringField(closedObject(value, 'task query', ['kind', 'taskId']), 'taskId', 'task query') };
    case 'workers':
    case 'jobs':
      closedObject(value, `${kind} query`, ['kind']);
      return { kind };
    default: return assertNever(kind);
  }
}
