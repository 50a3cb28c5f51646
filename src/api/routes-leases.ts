/** Lease routes: grant, keep-alive, revoke, list. Expiry is the leader's (docs/kv.md). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isLeaseId, leaseTtlMsMax, leaseTtlMsMin } from '../kv/index.js';
import type { ApiBackend } from './backend.js';
import { envelope, expect, parse } from './routes-kv.js';
import type { LeaseListResponse, LeaseResponse, LeaseRevokeResponse } from './wire.js';

const grantBody = z.strictObject({ ttlMs: z.number().int().min(leaseTtlMsMin).max(leaseTtlMsMax) });
const idParams = z.strictObject({ id: z.string().refine(isLeaseId, 'not a lease id') });

export function registerLeaseRoutes(app: FastifyInstance, backend: ApiBackend): void {
  app.post('/v1/leases', async (request) => {
    const { ttlMs } = parse(grantBody, request.body, 'body');
    const result = expect(await backend.write(envelope(request, { kind: 'leaseGrant', ttlMs })), 'leaseGrant');
    return { id: result.id, ttlMs: result.ttlMs } satisfies LeaseResponse;
  });

  app.post('/v1/leases/:id/keepalive', async (request) => {
    const { id } = parse(idParams, request.params, 'path');
    const result = expect(await backend.write(envelope(request, { kind: 'leaseKeepAlive', id })), 'leaseKeepAlive');
    return { id: result.id, ttlMs: result.ttlMs } satisfies LeaseResponse;
  });

  app.delete('/v1/leases/:id', async (request) => {
    const { id } = parse(idParams, request.params, 'path');
    const result = expect(await backend.write(envelope(request, { kind: 'leaseRevoke', id })), 'leaseRevoke');
    return { revision: result.revision, deletedKeys: result.deletedKeys } satisfies LeaseRevokeResponse;
  });

  app.get('/v1/leases', async () => {
    const result = expect(await backend.read({ kind: 'leases' }, 'linearizable'), 'leases');
    return { leases: result.leases.map((l) => ({ id: l.id, ttlMs: l.ttlMs, keys: l.keys })) } satisfies LeaseListResponse;
  });
}
