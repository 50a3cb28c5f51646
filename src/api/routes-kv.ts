/** KV routes: /v1/kv/{key} (put, get, delete, cas), /v1/kv?prefix= (range), /v1/txn. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isLeaseId, rangeLimitMax, type KvCommand, type KvResult, type KvTxnOp, type KvTxnOpResult } from '../kv/index.js';
import type { ApiBackend } from './backend.js';
import { ApiError, kvErrorToApi } from './errors.js';
import { sessionOf } from './session.js';
import type { CasResponse, DeleteResponse, GetResponse, PutResponse, RangeResponse, TxnOpResult, TxnResponse } from './wire.js';

/** `?consistency=linearizable|serializable` (default linearizable), the query of every read route. */
export const consistencyQuery = z.strictObject({ consistency: z.enum(['linearizable', 'serializable']).default('linearizable') });
const casBody = z.strictObject({ expect: z.string().nullable(), value: z.string() });
const leaseId = z.string().refine(isLeaseId, 'not a lease id');
const putQuery = z.strictObject({ lease: leaseId.optional() });
const rangeQuery = z.strictObject({
  prefix: z.string().default(''),
  limit: z.coerce.number().int().min(1).max(rangeLimitMax).optional(),
  after: z.string().optional(),
  consistency: z.enum(['linearizable', 'serializable']).default('linearizable'),
});
const txnOp = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('put'), key: z.string(), value: z.string(), lease: leaseId.optional() }),
  z.strictObject({ op: z.literal('delete'), key: z.string() }),
  z.strictObject({ op: z.literal('get'), key: z.string() }),
  z.strictObject({ op: z.literal('range'), prefix: z.string(), limit: z.number().int().min(1).max(rangeLimitMax).optional() }),
]);
const txnBody = z.strictObject({
  compare: z.array(z.strictObject({
    key: z.string(), target: z.enum(['value', 'version', 'createRevision', 'modRevision']), op: z.enum(['=', '!=', '<', '>']),
    value: z.union([z.string(), z.number(), z.null()]),
  })),
  success: z.array(txnOp),
  failure: z.array(txnOp).optional(),
});

export function registerKvRoutes(app: FastifyInstance, backend: ApiBackend): void {
  // PUT takes the raw body as the value, whatever its content type: its own parser scope.
  void app.register((scope, _opts, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, next) => next(null, body));
    scope.put('/v1/kv/*', async (request) => {
      const key = keyOf(request);
      const value = typeof request.body === 'string' ? request.body : '';
      const { lease } = parse(putQuery, request.query, 'query');
      const result = expect(await backend.write(envelope(request, { kind: 'put', key, value, ...(lease === undefined ? {} : { lease }) })), 'put');
      return { revision: result.revision } satisfies PutResponse;
    });
    done();
  });

  app.get('/v1/kv/*', async (request) => {
    const key = keyOf(request);
    const { consistency } = parse(consistencyQuery, request.query, 'query');
    const result = expect(await backend.read({ kind: 'get', key }, consistency), 'get');
    if (!result.found) throw new ApiError('NotFound', `key "${key}" not found`);
    return {
      key, value: result.value, revision: result.revision, createRevision: result.createRevision,
      modRevision: result.modRevision, version: result.version, ...(result.lease === undefined ? {} : { lease: result.lease }),
    } satisfies GetResponse;
  });

  app.get('/v1/kv', async (request) => {
    const q = parse(rangeQuery, request.query, 'query');
    const command = { kind: 'range' as const, prefix: q.prefix, ...(q.limit === undefined ? {} : { limit: q.limit }), ...(q.after === undefined ? {} : { after: q.after }) };
    const result = expect(await backend.read(command, q.consistency), 'range');
    return { revision: result.revision, kvs: result.kvs, more: result.more } satisfies RangeResponse;
  });

  app.post('/v1/txn', async (request) => {
    const body = parse(txnBody, request.body, 'body');
    const command: KvCommand = { kind: 'txn', compare: body.compare, success: body.success.map(toKvOp), failure: (body.failure ?? []).map(toKvOp) };
    const result = expect(await backend.write(envelope(request, command)), 'txn');
    return { succeeded: result.succeeded, revision: result.revision, results: result.results.map(toWireResult) } satisfies TxnResponse;
  });

  app.delete('/v1/kv/*', async (request) => {
    const key = keyOf(request);
    const result = expect(await backend.write(envelope(request, { kind: 'delete', key })), 'delete');
    return { revision: result.revision, deleted: result.deleted } satisfies DeleteResponse;
  });

  app.post('/v1/kv/*', async (request) => {
    const path = keyOf(request);
    if (!path.endsWith('/cas')) throw new ApiError('NotFound', 'POST /v1/kv/{key}/cas is the only POST on keys');
    const key = path.slice(0, -'/cas'.length);
    if (key === '') throw new ApiError('BadRequest', 'key must not be empty');
    const body = parse(casBody, request.body, 'body');
    const result = expect(await backend.write(envelope(request, { kind: 'cas', key, expected: body.expect, value: body.value })), 'cas');
    return { succeeded: result.succeeded, revision: result.revision, value: result.value } satisfies CasResponse;
  });
}

export function keyOf(request: FastifyRequest): string {
  const key = (request.params as Record<string, string | undefined>)['*'] ?? '';
  if (key === '') throw new ApiError('BadRequest', 'key must not be empty');
  return key;
}

export function envelope(request: FastifyRequest, command: KvCommand) {
  const session = sessionOf(request);
  return session === undefined ? { command } : { session, command };
}

/** The result of the kind asked for, or the state machine's error as an API error. */
export function expect<K extends KvResult['kind']>(result: KvResult, kind: K): Extract<KvResult, { kind: K }> {
  if (result.kind === 'error') throw new ApiError(kvErrorToApi(result.code), result.message);
  if (result.kind !== kind) throw new ApiError('Internal', `expected a ${kind} result, got ${result.kind}`);
  return result as Extract<KvResult, { kind: K }>;
}

export function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.length > 0 ? `.${issue.path.join('.')}` : '';
  throw new ApiError('BadRequest', `${where}${path}: ${issue.message}`);
}

type ParsedTxnOp = z.infer<typeof txnOp>;

function toKvOp(op: ParsedTxnOp): KvTxnOp {
  switch (op.op) {
    case 'put': return { kind: 'put', key: op.key, value: op.value, ...(op.lease === undefined ? {} : { lease: op.lease }) };
    case 'delete': return { kind: 'delete', key: op.key };
    case 'get': return { kind: 'get', key: op.key };
    case 'range': return { kind: 'range', prefix: op.prefix, ...(op.limit === undefined ? {} : { limit: op.limit }) };
  }
}

function toWireResult(result: KvTxnOpResult): TxnOpResult {
  switch (result.kind) {
    case 'put': return { op: 'put', revision: result.revision };
    case 'delete': return { op: 'delete', deleted: result.deleted };
    case 'get': return { op: 'get', kv: result.kv };
    case 'range': return { op: 'range', kvs: result.kvs, more: result.more };
  }
}
