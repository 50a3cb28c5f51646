/**
 * A node's configuration: defaults < config file (JSON) < KEEL_* environment < command-line
 * flags. Validated as a whole; the first problem becomes a one-line error naming the field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { KeelError } from '../core/errors.js';

const idPattern = /^[A-Za-z0-9_-]{1,64}$/;
const address = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port');

const schema = z.strictObject({
  id: z.string().regex(idPattern, 'letters, digits, _ or -, at most 64'),
  listen: address,
  http: address,
  /** Every voter at boot, this node included: id -> peer address. */
  peers: z.record(z.string().regex(idPattern), address),
  data: z.string().min(1),
  /**
   * Start as a learner of an existing cluster (no vote until an operator's `keel member add`
   * promotes it); `peers` then lists the existing members to reach, plus this node.
   */
  join: z.boolean().default(false),
  /** Shared by every node; peers prove they know it (HMAC) before they may talk. */
  secret: z.string().min(16, 'at least 16 characters').optional(),
  tickMs: z.number().int().min(1).max(1_000).default(10),
  heartbeatTicks: z.number().int().min(1).default(5),
  electionTicks: z.number().int().min(2).default(15),
  snapshotEveryEntries: z.number().int().min(10).default(10_000),
  /** `unsafe-none` acknowledges writes that are not on disk: benchmarks and chaos mutation runs only. */
  fsync: z.enum(['always', 'unsafe-none']).default('always'),
  digestCheckMs: z.number().int().min(100).default(5_000),
  /** Replicas record their state digest at applied indexes that are multiples of this. */
  digestEveryEntries: z.number().int().min(1).default(10_000),
  requestTimeoutMs: z.number().int().min(50).default(5_000),
  /**
   * UNSAFE, for chaos mutation runs only: answer "linearizable" reads from this replica's state
   * without a ReadIndex round, so a partitioned node serves stale data.
   */
  unsafeStaleReads: z.boolean().default(false),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export type NodeConfig = z.infer<typeof schema> & { readonly secret: string };
export type NodeConfigInput = Partial<Record<keyof z.input<typeof schema>, unknown>>;

/** Used only when every address is loopback and no secret was given: a single-machine dev cluster. */
export const loopbackDevSecret = 'keel-loopback-dev-secret';

const envNames: Readonly<Record<string, keyof NodeConfigInput>> = {
  KEEL_ID: 'id', KEEL_LISTEN: 'listen', KEEL_HTTP: 'http', KEEL_PEERS: 'peers', KEEL_DATA: 'data',
  KEEL_SECRET: 'secret', KEEL_TICK_MS: 'tickMs', KEEL_SNAPSHOT_EVERY: 'snapshotEveryEntries',
  KEEL_FSYNC: 'fsync', KEEL_DIGEST_CHECK_MS: 'digestCheckMs', KEEL_DIGEST_EVERY: 'digestEveryEntries', KEEL_REQUEST_TIMEOUT_MS: 'requestTimeoutMs',
  KEEL_LOG_LEVEL: 'logLevel', KEEL_JOIN: 'join', KEEL_UNSAFE_STALE_READS: 'unsafeStaleReads',
};

const numericFields = new Set(['tickMs', 'heartbeatTicks', 'electionTicks', 'snapshotEveryEntries', 'digestCheckMs', 'digestEveryEntries', 'requestTimeoutMs']);

/** `n1=127.0.0.1:7001,n2=...` -> { n1: '127.0.0.1:7001', ... }. */
export function parsePeers(spec: string): Record<string, string> {
  const peers: Record<string, string> = {};
  for (const part of spec.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw configError('peers', `"${part}" is not id=host:port`);
    peers[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return peers;
}

export function loadConfig(flags: NodeConfigInput, env: Readonly<Record<string, string | undefined>>, configFile?: string): NodeConfig {
  const merged: Record<string, unknown> = {};
  if (configFile !== undefined) Object.assign(merged, readConfigFile(configFile));
  for (const [name, field] of Object.entries(envNames)) {
    const value = env[name];
    if (value !== undefined && value !== '') merged[field] = value;
  }
  for (const [field, value] of Object.entries(flags)) if (value !== undefined) merged[field] = value;
  if (typeof merged.peers === 'string') merged.peers = parsePeers(merged.peers);
  for (const field of numericFields) {
    if (typeof merged[field] === 'string') merged[field] = Number(merged[field]);
  }
  for (const flag of ['join', 'unsafeStaleReads']) {
    if (typeof merged[flag] === 'string') merged[flag] = merged[flag] === '1' || merged[flag] === 'true';
  }
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw configError(issue.path.join('.') || 'config', issue.message);
  }
  const config = parsed.data;
  const self = config.peers[config.id];
  if (self === undefined) throw configError('peers', `must include this node (${config.id}=${config.listen})`);
  if (self !== config.listen) throw configError('peers', `lists ${config.id} at ${self} but listen is ${config.listen}`);
  if (config.heartbeatTicks >= config.electionTicks) throw configError('electionTicks', 'must exceed heartbeatTicks');
  let secret = config.secret;
  if (secret === undefined) {
    const all = [...Object.values(config.peers), config.http];
    if (!all.every(isLoopback)) throw configError('secret', 'required when any address is not loopback (--secret, KEEL_SECRET or "secret" in the config file)');
    secret = loopbackDevSecret;
  }
  return { ...config, secret };
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw configError('config', `cannot read ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw configError('config', `${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw configError('config', `${path} must hold a JSON object`);
  return value as Record<string, unknown>;
}

function isLoopback(hostPort: string): boolean {
  const host = hostPort.slice(0, hostPort.lastIndexOf(':'));
  return host === 'localhost' || host.startsWith('127.') || host === '[::1]' || host === '::1';
}

function configError(field: string, message: string): KeelError {
  return new KeelError('CONFIG_INVALID', `invalid config: ${field}: ${message}`, { data: { field } });
}
