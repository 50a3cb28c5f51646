/**
 * Worker routes: GET /v1/workers, and the worker protocol: register, heartbeat and the lease
 * stream (leader only), checkpoint/complete/fail of an attempt (any node; forwarded through the log).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { consistencyQuery as consistency, parse } from './routes-kv.js';
import { taskIdSchema } from './routes-jobs.js';
import { openSse, trackStreams } from './sse.js';
import type { TaskApiBackend } from './task-backend.js';
import { ApiError } from './errors.js';
import type { CheckpointRequest, CompleteRequest, FailRequest, RegisterWorkerRequest } from './wire-tasks.js';

const attempt = z.number().int().min(1);
const workerPath = z.strictObject({ id: taskIdSchema });
const taskPath = z.strictObject({ jobId: taskIdSchema, taskId: taskIdSchema });
const registerBody = z.strictObject({
  workerId: taskIdSchema,
  capacity: z.number().int().min(1),
  handlers: z.array(taskIdSchema).min(1),
  weight: z.number().int().min(1).optional(),
});
const checkpointBody = z.strictObject({
  attempt, state: z.json().optional(), step: z.strictObject({ name: z.string().min(1), result: z.json() }).optional(),
}).refine((b) => b.state !== undefined || b.step !== undefined, 'give state, step or both');
const completeBody = z.strictObject({ attempt, output: z.json() });
const failBody = z.strictObject({ attempt, error: z.strictObject({ message: z.string(), stack: z.string().optional(), retryable: z.boolean() }) });

export function registerWorkerRoutes(app: FastifyInstance, backend: TaskApiBackend): void {
  const open = trackStreams(app);
  const taskIdOf = (params: unknown): string => {
    const { jobId, taskId } = parse(taskPath, params, 'path');
    return `${jobId}/${taskId}`;
  };

  app.get('/v1/workers', (request) => backend.workers(parse(consistency, request.query, 'query').consistency));

  app.post('/v1/workers', async (request, reply) => {
    const body = parse(registerBody, request.body, 'body') as RegisterWorkerRequest;
    return reply.code(201).send(await backend.registerWorker(body));
  });

  app.post('/v1/workers/:id/heartbeat', (request) => backend.heartbeat(parse(workerPath, request.params, 'path').id));

  app.get('/v1/workers/:id/stream', (request, reply) => {
    const { id } = parse(workerPath, request.params, 'path');
    // Checked before the stream opens, so a follower answers 421 NotLeader as JSON.
    const { status } = backend.heartbeat(id);
    if (status === 'unknown') throw new ApiError('NotFound', `worker ${id} is not registered: POST /v1/workers first`, undefined, 'WORKER_NOT_FOUND');
    if (status === 'down') throw new ApiError('Conflict', `worker ${id} was declared down: register again`, undefined, 'WORKER_DOWN');
    const end = { run: (): void => undefined };
    const stream = openSse(request, reply, open, () => end.run());
    end.run = backend.workerStream(id, { send: (event) => stream.send(event.type, event), close: () => stream.close() });
  });

  app.post('/v1/tasks/:jobId/:taskId/checkpoint', (request) => backend.checkpoint(taskIdOf(request.params), parse(checkpointBody, request.body, 'body') as CheckpointRequest));
  app.post('/v1/tasks/:jobId/:taskId/complete', (request) => backend.complete(taskIdOf(request.params), parse(completeBody, request.body, 'body') as CompleteRequest));
  app.post('/v1/tasks/:jobId/:taskId/fail', (request) => backend.fail(taskIdOf(request.params), parse(failBody, request.body, 'body') as FailRequest));
}
