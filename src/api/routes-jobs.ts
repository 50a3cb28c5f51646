/**
 * Job routes: POST /v1/jobs, GET /v1/jobs, GET /v1/jobs/{id}, /results, /events (SSE), /cancel,
 * and GET /v1/tasks/{jobId}/{taskId}. Inputs are closed shapes (unknown fields are 400).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idLengthMax, maxAttemptsMax, resultsPageMax, schedulingPolicies } from '../tasks/index.js';
import { consistencyQuery as consistency, parse } from './routes-kv.js';
import { openSse, trackStreams } from './sse.js';
import type { TaskApiBackend } from './task-backend.js';
import type { SubmitJobRequest } from './wire-tasks.js';

export const taskIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits, _ . : or -').max(idLengthMax);
const durationMs = z.number().int().min(1).max(7 * 24 * 3600 * 1000);

const submitBody = z.strictObject({
  jobId: taskIdSchema.optional(),
  tasks: z.array(z.strictObject({
    id: taskIdSchema.optional(),
    handler: taskIdSchema,
    input: z.json(),
    key: z.string().min(1).optional(),
    dependsOn: z.array(taskIdSchema).optional(),
  })).min(1),
  maxAttempts: z.number().int().min(1).max(maxAttemptsMax).optional(),
  policy: z.enum(schedulingPolicies as unknown as [string, ...string[]]).optional(),
  timeouts: z.strictObject({ scheduleToStartMs: durationMs.optional(), startToCloseMs: durationMs.optional(), heartbeatMs: durationMs.optional() }).optional(),
  backoff: z.strictObject({ initialMs: durationMs, maxMs: durationMs }).optional(),
});
const jobPath = z.strictObject({ id: taskIdSchema });
const taskPath = z.strictObject({ jobId: taskIdSchema, taskId: taskIdSchema });
const resultsQuery = consistency.extend({
  after: taskIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(resultsPageMax).optional(),
});

export function registerJobRoutes(app: FastifyInstance, backend: TaskApiBackend): void {
  const open = trackStreams(app);

  app.post('/v1/jobs', async (request, reply) => {
    const body = parse(submitBody, request.body, 'body') as SubmitJobRequest;
    return reply.code(201).send(await backend.submitJob(body));
  });

  app.get('/v1/jobs', (request) => backend.jobs(parse(consistency, request.query, 'query').consistency));

  app.get('/v1/jobs/:id', (request) => {
    const { id } = parse(jobPath, request.params, 'path');
    return backend.job(id, parse(consistency, request.query, 'query').consistency);
  });

  app.get('/v1/jobs/:id/results', (request) => {
    const { id } = parse(jobPath, request.params, 'path');
    const q = parse(resultsQuery, request.query, 'query');
    return backend.results(id, { ...(q.after === undefined ? {} : { after: q.after }), ...(q.limit === undefined ? {} : { limit: q.limit }) }, q.consistency);
  });

  app.post('/v1/jobs/:id/cancel', (request) => backend.cancelJob(parse(jobPath, request.params, 'path').id));

  app.get('/v1/jobs/:id/events', async (request, reply) => {
    const { id } = parse(jobPath, request.params, 'path');
    // Linearizable first: this replica then holds the job (404 if there is none), even right after its submit.
    await backend.job(id, 'linearizable');
    const cancel = { run: (): void => undefined };
    const stream = openSse(request, reply, open, () => cancel.run());
    cancel.run = backend.jobEvents(id, { send: (event) => stream.send(event.type, event), close: () => stream.close() });
  });

  app.get('/v1/tasks/:jobId/:taskId', (request) => {
    const { jobId, taskId } = parse(taskPath, request.params, 'path');
    return backend.task(`${jobId}/${taskId}`, parse(consistency, request.query, 'query').consistency);
  });
}
