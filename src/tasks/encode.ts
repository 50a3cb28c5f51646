/**
 * Canonical encoding of commands, queries and results: canonical JSON (json.ts) in UTF-8. A value
 * has exactly one encoding whatever the field order of the object passed in; fields that are
 * undefined are left out.
 */
import { fromUtf8, utf8 } from '../core/bytes.js';
import { clipText } from '../kv/keys.js';
import type { TaskCommand, TaskQuery } from './commands.js';
import { canonicalJson } from './json.js';
import { payloadDepthMax } from './limits.js';
import { taskError, type TaskQueryResult, type TaskResult } from './results.js';

/** Commands nest payloads a few levels down (submitJob.tasks[i].input). */
const envelopeDepthMax = payloadDepthMax + 4;

/** Throws NotJsonError if a payload is not JSON (the edge turns it into a clear error for the user). */
export function encodeCommand(command: TaskCommand): Uint8Array {
  return utf8(canonicalJson(command, envelopeDepthMax));
}

export function encodeQuery(query: TaskQuery): Uint8Array {
  return utf8(canonicalJson(query, envelopeDepthMax));
}

export function encodeResult(result: TaskResult | TaskQueryResult): Uint8Array {
  return utf8(canonicalJson(result));
}

/**
 * Parses a result produced by this machine's `apply` or `query`. Results come from our own
 * state machine, so only the envelope is checked (an object with a string `kind`); bytes that
 * are not even that give an error result, never a throw.
 */
export function decodeResult(bytes: Uint8Array): TaskResult | TaskQueryResult {
  try {
    const value = JSON.parse(fromUtf8(bytes)) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { kind?: unknown }).kind === 'string') {
      return value as TaskResult;
    }
    return taskError('COMMAND_MALFORMED', 'result is not an object with a kind');
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof TypeError) return taskError('COMMAND_MALFORMED', `malformed result: ${clipText(error.message, 256)}`);
    throw error;
  }
}
