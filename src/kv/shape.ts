/**
 * A small hand-written validator for parsed JSON: closed objects (unknown fields rejected) and
 * typed fields. A failure throws `ShapeError`, which the decoders turn into a typed error result
 * (commands, results) or a `CHECKPOINT_CORRUPT` error (snapshots); it never escapes them.
 */
import { isWellFormed } from './keys.js';

export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

export type JsonObject = Readonly<Record<string, unknown>>;

/** `value` as an object with every `required` field and no field outside `required` + `optional`. */
export function closedObject(value: unknown, what: string, required: readonly string[], optional: readonly string[] = []): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ShapeError(`${what} must be an object`);
  const object = value as JsonObject;
  for (const field of Object.keys(object)) {
    if (!required.includes(field) && !optional.includes(field)) throw new ShapeError(`${what} has unknown field "${field}"`);
  }
  for (const field of required) {
    if (!Object.hasOwn(object, field)) throw new ShapeError(`${what} lacks field "${field}"`);
  }
  return object;
}

/** `value` as an object, without checking its fields (for a header whose version decides them). */
export function anyObject(value: unknown, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ShapeError(`${what} must be an object`);
  return value as JsonObject;
}

/** A string with no lone surrogate (it must survive UTF-8 encoding unchanged). */
export function stringField(object: JsonObject, field: string, what: string): string {
  const value = object[field];
  if (typeof value !== 'string') throw new ShapeError(`${what}.${field} must be a string`);
  if (!isWellFormed(value)) throw new ShapeError(`${what}.${field} has a lone UTF-16 surrogate`);
  return value;
}

export function nullableStringField(object: JsonObject, field: string, what: string): string | null {
  return object[field] === null ? null : stringField(object, field, what);
}

export function booleanField(object: JsonObject, field: string, what: string): boolean {
  const value = object[field];
  if (typeof value !== 'boolean') throw new ShapeError(`${what}.${field} must be a boolean`);
  return value;
}

/** A safe integer >= `min`. */
export function integerField(object: JsonObject, field: string, what: string, min: number): number {
  const value = object[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ShapeError(`${what}.${field} must be an integer >= ${min}`);
  }
  return value;
}

export function literalField<T extends string>(object: JsonObject, field: string, what: string, allowed: readonly T[]): T {
  const value = object[field];
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) throw new ShapeError(`${what}.${field} must be one of ${allowed.join(', ')}`);
  return found;
}

export function arrayField(object: JsonObject, field: string, what: string): readonly unknown[] {
  const value = object[field];
  if (!Array.isArray(value)) throw new ShapeError(`${what}.${field} must be an array`);
  return value;
}

/** A field that may be absent: undefined when it is, else what `read` makes of it. */
export function optionalField<T>(object: JsonObject, field: string, read: (o: JsonObject, f: string) => T): T | undefined {
  return Object.hasOwn(object, field) ? read(object, field) : undefined;
}
