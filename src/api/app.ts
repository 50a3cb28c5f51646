/**
 * The HTTP API v1 (fastify): routes, input validation, error mapping. Every node serves every
 * route; the backend forwards writes to the leader. See docs/api.md.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { ApiBackend } from './backend.js';
import { sendError, toApiError } from './errors.js';
import { registerClusterRoutes } from './routes-cluster.js';
import { registerKvRoutes } from './routes-kv.js';
import { registerLeaseRoutes } from './routes-leases.js';
import { registerWatchRoutes } from './routes-watch.js';

export interface ApiOptions {
  /** Largest request body; above it the answer is 413 TooLarge. */
  readonly bodyLimitBytes?: number;
  readonly logger?: boolean;
  /** Extra routes (watch streams, jobs) registered by their subsystems. */
  readonly plugins?: readonly ((app: FastifyInstance) => void)[];
}

export function buildApi(backend: ApiBackend, options: ApiOptions = {}): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.bodyLimitBytes ?? 2 * 1024 * 1024, return503OnClosing: true });
  app.setErrorHandler((error, _request, reply) => sendError(reply, toApiError(error)));
  app.setNotFoundHandler((request, reply) => sendError(reply, toApiError({ statusCode: 404, message: `no route ${request.method} ${request.url.split('?')[0]}` })));
  registerKvRoutes(app, backend);
  registerLeaseRoutes(app, backend);
  registerWatchRoutes(app, backend);
  registerClusterRoutes(app, backend);
  for (const plugin of options.plugins ?? []) plugin(app);
  return app;
}
