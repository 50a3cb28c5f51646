/** `Keel-Client-Id` + `Keel-Seq`: the client session that makes a retried write apply once. */
import type { FastifyRequest } from 'fastify';
import type { ClientSession } from '../kv/index.js';
import { ApiError } from './errors.js';
import { clientIdHeader, seqHeader } from './wire.js';

export function sessionOf(request: FastifyRequest): ClientSession | undefined {
  const clientId = request.headers[clientIdHeader];
  const seq = request.headers[seqHeader];
  if (clientId === undefined && seq === undefined) return undefined;
  if (typeof clientId !== 'string' || clientId === '' || typeof seq !== 'string') {
    throw new ApiError('BadRequest', `${clientIdHeader} and ${seqHeader} must be sent together`);
  }
  const n = Number(seq);
  if (!/^\d+$/.test(seq) || !Number.isSafeInteger(n) || n < 1) throw new ApiError('BadRequest', `${seqHeader} must be a positive integer, got "${seq}"`);
  return { clientId, seq: n };
}
