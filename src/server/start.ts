/**
 * Starts one node in this process: storage recovery, transport, raft, KV, HTTP API. Returns a
 * handle whose `stop()` shuts down gracefully (the leader hands leadership over first).
 */
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/app.js';
import { describeError } from '../core/errors.js';
import { NodeMetrics } from '../metrics/node-metrics.js';
import { systemClock, systemTimers } from '../runtime/system-clock.js';
import { TcpTransport } from '../transport/index.js';
import { NodeBackend } from './backend.js';
import type { NodeConfig } from './config.js';
import { KeelNode } from './keel-node.js';
import { createLogger, type Logger } from './logger.js';
import { Lessor } from './lessor.js';
import { MemberDirectory } from './member-directory.js';
import { WatchHub } from './watch-hub.js';

export interface RunningNode {
  readonly node: KeelNode;
  readonly api: FastifyInstance;
  readonly httpAddress: string;
  readonly peerAddress: string;
  readonly metrics: NodeMetrics;
  readonly lessor: Lessor;
  stop(options?: { transferLeadership?: boolean }): Promise<void>;
}

export async function startNode(config: NodeConfig, options: { logger?: Logger; defaultMetrics?: boolean } = {}): Promise<RunningNode> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: config.id });
  const transport = await TcpTransport.start({
    id: config.id, listen: config.listen, peers: new Map(Object.entries(config.peers)), secret: config.secret, logger,
    rpcTimeoutMs: config.requestTimeoutMs,
  });
  let node: KeelNode;
  try {
    node = await KeelNode.open({ config, transport, clock: systemClock, timers: systemTimers, logger, seed: seedFor(config.id) });
  } catch (error) {
    await transport.close();
    throw error;
  }
  const metrics = new NodeMetrics({
    raft: () => {
      const s = node.raft.status();
      return { term: s.term, commitIndex: s.commitIndex, appliedIndex: s.appliedIndex, isLeader: s.role === 'leader' };
    },
    transport: () => ({ ...transport.stats }),
    digest: () => ({ checks: node.digests.checks, mismatches: node.digests.mismatches }),
    serving: () => node.serving.serving,
    leasesExpired: () => lessor.expired,
  }, { defaultMetrics: options.defaultMetrics ?? true });
  node.on({
    onLeaderChange: (leader, term) => {
      metrics.leaderChanges.inc();
      logger.info({ leader: leader ?? null, term }, leader === undefined ? 'no leader' : leader === config.id ? 'became leader' : 'following');
    },
    onDiverged: () => metrics.divergence.inc(),
  });
  const members = new MemberDirectory(node, transport, systemTimers, logger, config.peers, { peer: config.listen, http: config.http });
  const lessor = new Lessor(node, systemClock, systemTimers, logger);
  const watches = new WatchHub(node.stateMachine, node);
  const backend = new NodeBackend(node, transport, members, metrics, systemClock, systemTimers, watches);
  const api = buildApi(backend);
  const [host, port] = splitHostPort(config.http);
  try {
    await api.listen({ host, port });
  } catch (error) {
    await node.close();
    throw error;
  }
  const address = api.server.address();
  const httpAddress = typeof address === 'object' && address !== null ? `${host}:${address.port}` : config.http;
  members.start();
  lessor.start();
  logger.info({ http: httpAddress, peer: config.listen, data: config.data }, 'serving');
  let stopping: Promise<void> | undefined;
  return {
    node, api, httpAddress, peerAddress: config.listen, metrics, lessor,
    stop: (stopOptions = {}) => {
      stopping ??= (async () => {
        if (stopOptions.transferLeadership ?? true) await node.transferLeadershipAway(1_000).catch((e: unknown) => logger.warn({ error: describeError(e) }, 'leader transfer failed'));
        members.stop();
        lessor.stop();
        await api.close();
        await node.close();
        logger.info({}, 'stopped');
      })();
      return stopping;
    },
  };
}

function splitHostPort(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}

/** Election jitter must differ between nodes; the id plus the process id does it. */
function seedFor(id: string): number {
  let h = process.pid;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h >>> 0;
}
