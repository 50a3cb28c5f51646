/** Cluster routes: /v1/cluster, members, leader transfer; /healthz and /metrics. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiBackend } from './backend.js';
import { parse } from './routes-kv.js';

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -');
const memberAdd = z.strictObject({ id, peerAddress: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port'), httpAddress: z.string().optional(), learner: z.boolean().optional() });
const transfer = z.strictObject({ to: id.optional() });

export function registerClusterRoutes(app: FastifyInstance, backend: ApiBackend): void {
  app.get('/v1/cluster', () => backend.cluster());

  app.post('/v1/cluster/members', async (request, reply) => {
    const body = parse(memberAdd, request.body, 'body');
    await backend.addMember({
      id: body.id, peerAddress: body.peerAddress,
      ...(body.httpAddress === undefined ? {} : { httpAddress: body.httpAddress }),
      ...(body.learner === undefined ? {} : { learner: body.learner }),
    });
    return reply.code(202).send({ accepted: true });
  });

  app.delete('/v1/cluster/members/:id', async (request) => {
    const { id: member } = parse(z.strictObject({ id }), request.params, 'path');
    await backend.removeMember(member);
    return { removed: member };
  });

  app.post('/v1/cluster/leader', async (request) => {
    const body = parse(transfer, request.body, 'body');
    return backend.transferLeader(body.to);
  });

  app.get('/healthz', async (_request, reply) => {
    const health = backend.health();
    return reply.code(health.ok ? 200 : 503).send(health);
  });

  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await backend.metrics();
    return reply.type(contentType).send(body);
  });
}
