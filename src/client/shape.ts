/** A light check of answers: the top-level fields the client relies on have the right JSON types. */
import { KeelClientError } from './errors.js';

export type FieldKind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'string|null' | 'number|null';

function matches(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'string': return typeof value === 'string';
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'boolean': return typeof value === 'boolean';
    case 'object': return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array': return Array.isArray(value);
    case 'string|null': return value === null || typeof value === 'string';
    case 'number|null': return value === null || (typeof value === 'number' && Number.isFinite(value));
  }
}

/**
 * Returns `body` as T when it is an object whose listed fields have the listed kinds; otherwise
 * throws Internal naming the first wrong field (a server of another version, or a proxy's page).
 */
export function expectShape<T>(body: unknown, what: string, fields: Readonly<Record<string, FieldKind>>, endpoint?: string): T {
  const from = endpoint === undefined ? '' : ` from ${endpoint}`;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new KeelClientError('Internal', `malformed ${what}${from}: not a JSON object`, endpoint === undefined ? {} : { endpoint });
  }
  const record = body as Record<string, unknown>;
  for (const [name, kind] of Object.entries(fields)) {
    if (!matches(record[name], kind)) {
      throw new KeelClientError('Internal', `malformed ${what}${from}: field ${name} is not ${kind}`, endpoint === undefined ? {} : { endpoint });
    }
  }
  return body as T;
}
