/**
 * Readers for fields of decoded, untrusted values: each returns the checked value or throws
 * Invalid, which the parse entry points turn into a reason string. Messages are rebuilt from
 * the checked fields, so nothing else a peer put in a map travels further.
 */
export class Invalid extends Error {
  override readonly name = 'Invalid';
}

export type Fields = Readonly<Record<string, unknown>>;

/** A plain map as msgpack decodes it; class instances (dates, errors from extensions) are refused. */
export function record(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null) throw new Invalid(`${what} is not a map`);
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) throw new Invalid(`${what} is not a plain map`);
  return value as Fields;
}

export function uint(fields: Fields, name: string): number {
  const value = fields[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new Invalid(`${name} is not a non-negative integer`);
  return value;
}

export function bool(fields: Fields, name: string): boolean {
  const value = fields[name];
  if (typeof value !== 'boolean') throw new Invalid(`${name} is not a boolean`);
  return value;
}

export function text(fields: Fields, name: string, lengthMax: number, lengthMin = 0): string {
  const value = fields[name];
  if (typeof value !== 'string' || value.length < lengthMin || value.length > lengthMax) throw new Invalid(`${name} is not a string of ${lengthMin}..${lengthMax} characters`);
  return value;
}

/** A plain Uint8Array view (the decoder may hand out views of the frame buffer) over the same bytes, no copy. */
export function bytes(fields: Fields, name: string, lengthExact?: number): Uint8Array {
  const value = fields[name];
  if (!(value instanceof Uint8Array)) throw new Invalid(`${name} is not bytes`);
  if (lengthExact !== undefined && value.length !== lengthExact) throw new Invalid(`${name} is not ${lengthExact} bytes`);
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

export function list(fields: Fields, name: string): readonly unknown[] {
  const value = fields[name];
  if (!Array.isArray(value)) throw new Invalid(`${name} is not an array`);
  return value as unknown[];
}

export function describeInvalid(error: unknown): string {
  if (error instanceof Invalid) return error.message;
  throw error;
}

/** A short, safe rendering of an untrusted value for an error reason. */
export function preview(value: unknown): string {
  const shown = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value;
  return shown.length > 40 ? `${shown.slice(0, 40)}...` : shown;
}
