/**
 * Canonical JSON: object keys sorted by UTF-16 code units (as RFC 8785), numbers and strings as
 * `JSON.stringify` writes them, no whitespace. The same value has one text whatever the order
 * its object was built in, so commands, results and snapshots are byte-identical on every
 * replica, and a restored state digests like the original.
 *
 * User payloads (task input, output, checkpoint state, step results) are kept as canonical text:
 * their size is the UTF-8 length of that text, and snapshots copy it as is.
 */
import { utf8Length } from '../kv/keys.js';
import { payloadDepthMax } from './limits.js';

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Canonical JSON text of a payload. Its size in bytes is `utf8Length(text)`. */
export type JsonText = string & { readonly __brand: 'JsonText' };

/** A value that is not JSON (undefined in an array, a function, NaN, a Date, a cycle) or is nested too deep. */
export class NotJsonError extends Error {
  override readonly name = 'NotJsonError';
}

/**
 * The canonical text of `value`. Object properties whose value is undefined are left out (as
 * JSON.stringify does), so optional fields may be absent or undefined. Throws NotJsonError for
 * anything else that is not plain JSON, and beyond `depthMax` levels of nesting.
 */
export function canonicalJson(value: unknown, depthMax = Number.POSITIVE_INFINITY): JsonText {
  return write(value, 0, depthMax) as JsonText;
}

/** Canonical text of a user payload (nesting at most payloadDepthMax). */
export function payloadText(value: unknown): JsonText {
  return canonicalJson(value, payloadDepthMax);
}

export function parsePayload(text: JsonText): JsonValue {
  return JSON.parse(text) as JsonValue;
}

export function textBytes(text: string): number {
  return utf8Length(text);
}

function write(value: unknown, depth: number, depthMax: number): string {
  switch (typeof value) {
    case 'string': return JSON.stringify(value);
    case 'boolean': return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new NotJsonError(`${String(value)} is not a JSON number`);
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (depth >= depthMax) throw new NotJsonError(`nested deeper than ${depthMax} levels`);
      if (Array.isArray(value)) {
        const parts: string[] = [];
        for (const item of value as readonly unknown[]) {
          if (item === undefined) throw new NotJsonError('an array holds undefined');
          parts.push(write(item, depth + 1, depthMax));
        }
        return `[${parts.join(',')}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new NotJsonError('only plain objects are JSON');
      const record = value as Readonly<Record<string, unknown>>;
      const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort(compareCodeUnits);
      return `{${keys.map((key) => `${JSON.stringify(key)}:${write(record[key], depth + 1, depthMax)}`).join(',')}}`;
    }
    case 'undefined':
    case 'bigint':
    case 'symbol':
    case 'function': throw new NotJsonError(`a ${typeof value} is not JSON`);
  }
}

/** Orders strings by UTF-16 code units (the default sort, written out so the intent is explicit). */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
