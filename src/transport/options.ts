import { Buffer } from 'node:buffer';
import { KeelError } from '../core/errors.js';
import type { Random } from '../ports/random.js';
import type { NodeId } from '../raft/types.js';
import { parseHostPort, type HostPort } from './address.js';
import { processRandom } from './backoff.js';
import { handshakeFrameSizeBytesMax, nodeIdSizeMax, secretSizeBytesMin } from './limits.js';
import { silentLogger, type TransportLogger } from './logger.js';

export interface TcpTransportOptions {
  readonly id: NodeId;
  /** `host:port` to listen on; port 0 picks a free port (see `TcpTransport.address`). */
  readonly listen: string;
  /** Every member's `host:port`; this node's own entry, if present, is ignored. */
  readonly peers: ReadonlyMap<NodeId, string>;
  /** The cluster secret every member shares; at least 16 bytes. */
  readonly secret: string | Uint8Array;
  /** Largest frame (version byte + body) sent or accepted; larger ones close the connection. */
  readonly frameSizeBytesMax?: number;
  readonly handshakeTimeoutMs?: number;
  /** Incoming connections still in their handshake; more are closed at once. */
  readonly handshakesPendingMax?: number;
  /** Outbound queue bound per peer, in messages and in frame bytes. */
  readonly queueCountMax?: number;
  readonly queueSizeBytesMax?: number;
  /** Bytes buffered in a socket before the peer's queue stops draining into it. */
  readonly socketBufferSizeBytesMax?: number;
  readonly reconnectBaseMs?: number;
  readonly reconnectCapMs?: number;
  /** Default per-attempt RPC timeout. */
  readonly rpcTimeoutMs?: number;
  readonly rpcRetriesMax?: number;
  readonly rpcRetryBaseMs?: number;
  readonly rpcRetryCapMs?: number;
  /** RPCs this node waits on, over all peers. */
  readonly rpcPendingMax?: number;
  /** RPCs from one peer being handled at once; more are refused with UNAVAILABLE. */
  readonly rpcInflightMax?: number;
  readonly logger?: TransportLogger;
  /** Jitter for reconnects and RPC retries; inject a seeded one in tests. */
  readonly random?: Random;
}

export const transportDefaults = Object.freeze({
  frameSizeBytesMax: 16 * 1024 * 1024,
  handshakeTimeoutMs: 2_000,
  handshakesPendingMax: 64,
  queueCountMax: 1_024,
  queueSizeBytesMax: 64 * 1024 * 1024,
  socketBufferSizeBytesMax: 1024 * 1024,
  reconnectBaseMs: 50,
  reconnectCapMs: 2_000,
  rpcTimeoutMs: 5_000,
  rpcRetriesMax: 10,
  rpcRetryBaseMs: 50,
  rpcRetryCapMs: 1_000,
  rpcPendingMax: 4_096,
  rpcInflightMax: 256,
} as const);

type Limits = { -readonly [K in keyof typeof transportDefaults]: number };

export interface ResolvedTransportOptions extends Readonly<Limits> {
  readonly id: NodeId;
  readonly listen: HostPort;
  /** Other members only, parsed. */
  readonly peers: ReadonlyMap<NodeId, HostPort>;
  readonly secret: Uint8Array;
  readonly logger: TransportLogger;
  readonly random: Random;
}

const knownKeys = new Set(['id', 'listen', 'peers', 'secret', 'logger', 'random', ...Object.keys(transportDefaults)]);
const frameSizeBytesCeiling = 1024 * 1024 * 1024;

/** Fills defaults, rejects unknown keys, checks relations; lists every problem at once. */
export function resolveTransportOptions(input: TcpTransportOptions): ResolvedTransportOptions {
  const problems: string[] = [];
  for (const key of Object.keys(input)) if (!knownKeys.has(key)) problems.push(`unknown option "${key}"`);
  const limits: Limits = { ...transportDefaults };
  for (const name of Object.keys(transportDefaults) as (keyof Limits)[]) {
    const value: unknown = input[name];
    if (value === undefined) continue;
    if (typeof value === 'number' && Number.isSafeInteger(value) && (value > 0 || (name === 'rpcRetriesMax' && value === 0))) limits[name] = value;
    else problems.push(`${name} must be a positive integer, got ${show(value)}`);
  }
  if (!isNodeId(input.id)) problems.push(`id must be a non-empty string of at most ${nodeIdSizeMax} characters`);
  const listen = typeof input.listen === 'string' ? parseHostPort(input.listen) : undefined;
  if (listen === undefined) problems.push(`listen must be host:port, got ${show(input.listen)}`);
  const peers = resolvePeers(input, problems);
  const secret = typeof input.secret === 'string' ? Buffer.from(input.secret, 'utf8') : input.secret instanceof Uint8Array ? Uint8Array.from(input.secret) : undefined;
  if (secret === undefined || secret.length < secretSizeBytesMin) problems.push(`secret must be a string or bytes of at least ${secretSizeBytesMin} bytes`);
  checkRelations(limits, problems);
  if (problems.length > 0 || listen === undefined || secret === undefined) {
    throw new KeelError('CONFIG_INVALID', `invalid transport options: ${problems.join('; ')}`, { data: { problems } });
  }
  return Object.freeze({ ...limits, id: input.id, listen, peers, secret, logger: input.logger ?? silentLogger, random: input.random ?? processRandom });
}

export function isNodeId(value: unknown): value is NodeId {
  return typeof value === 'string' && value.length > 0 && value.length <= nodeIdSizeMax;
}

function resolvePeers(input: TcpTransportOptions, problems: string[]): Map<NodeId, HostPort> {
  const peers = new Map<NodeId, HostPort>();
  if (!(input.peers instanceof Map)) {
    problems.push('peers must be a Map of node id to host:port');
    return peers;
  }
  for (const [id, address] of input.peers as ReadonlyMap<unknown, unknown>) {
    const parsed = typeof address === 'string' ? parseHostPort(address) : undefined;
    if (!isNodeId(id)) problems.push(`peer id ${show(id)} is not a valid node id`);
    else if (parsed === undefined || parsed.port === 0) problems.push(`peer ${id}: address must be host:port with a non-zero port, got ${show(address)}`);
    else if (id !== input.id) peers.set(id, parsed);
  }
  return peers;
}

function checkRelations(limits: Limits, problems: string[]): void {
  if (limits.frameSizeBytesMax < handshakeFrameSizeBytesMax || limits.frameSizeBytesMax > frameSizeBytesCeiling) {
    problems.push(`frameSizeBytesMax must be between ${handshakeFrameSizeBytesMax} and ${frameSizeBytesCeiling}, got ${limits.frameSizeBytesMax}`);
  }
  if (limits.queueSizeBytesMax < limits.frameSizeBytesMax) {
    problems.push(`queueSizeBytesMax (${limits.queueSizeBytesMax}) must hold one frame of frameSizeBytesMax (${limits.frameSizeBytesMax})`);
  }
  if (limits.reconnectCapMs < limits.reconnectBaseMs) problems.push(`reconnectCapMs (${limits.reconnectCapMs}) must be >= reconnectBaseMs (${limits.reconnectBaseMs})`);
  if (limits.rpcRetryCapMs < limits.rpcRetryBaseMs) problems.push(`rpcRetryCapMs (${limits.rpcRetryCapMs}) must be >= rpcRetryBaseMs (${limits.rpcRetryBaseMs})`);
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null || value === undefined) return String(value);
  return typeof value;
}

/** What start-up logs: everything but the secret and the injected objects. */
export function describeOptions(options: ResolvedTransportOptions): Record<string, unknown> {
  const { secret: _secret, logger: _logger, random: _random, peers, listen, ...rest } = options;
  return { ...rest, listen: `${listen.host}:${listen.port}`, peers: [...peers.keys()] };
}
