/**
 * Starts one node in this process: storage recovery, transport, raft, KV, HTTP API. Returns a
 * handle whose `stop()` shuts down gracefully (the leader hands leadership over first).
 */
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/app.js';
import { registerJobRoutes } from '../api/routes-jobs.js';
import { registerWorkerRoutes } from '../api/routes-workers.js';
import { seededRandom } from '../core/prng.js';
import { dashboardRoutes } from '../dashboard/index.js';
import { describeError } from '../core/errors.js';
import { NodeMetrics } from '../metrics/node-metrics.js';
import { systemClock, systemTimers, systemWallClock } from '../runtime/system-clock.js';
import { TcpTransport } from '../transport/index.js';
import { NodeBackend } from './backend.js';
import type { NodeConfig } from './config.js';
import { NodeDashboardSource } from './dashboard-source.js';
import { KeelNode } from './keel-node.js';
import { createLogger, type Logger } from './logger.js';
import { Lessor } from './lessor.js';
import { MemberDirectory } from './member-directory.js';
import { RecoveryMetrics } from './recovery-metrics.js';
import { TaskCoordinator, coordinatorDefaults } from './tasks/coordinator.js';
import { JobEventHub } from './tasks/job-events.js';
import { NodeTaskBackend } from './tasks/task-backend.js';
import { taskGauges } from './tasks/task-gauges.js';
import { WatchHub } from './watch-hub.js';

export interface RunningNode {
  readonly node: KeelNode;
  readonly api: FastifyInstance;
  readonly httpAddress: string;
  readonly peerAddress: string;
  readonly metrics: NodeMetrics;
  readonly lessor: Lessor;
  readonly coordinator: TaskCoordinator;
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
  const metrics: NodeMetrics = new NodeMetrics({
    raft: () => {
      const s = node.raft.status();
      return { term: s.term, commitIndex: s.commitIndex, appliedIndex: s.appliedIndex, isLeader: s.role === 'leader' };
    },
    transport: () => ({ ...transport.stats }),
    digest: () => ({ checks: node.digests.checks, mismatches: node.digests.mismatches }),
    serving: () => node.serving.serving,
    leasesExpired: () => lessor.expired,
    tasks: () => taskGauges(node.tasks.view),
    recovery: (): RecoveryMetrics['counts'] => recovery.counts,
  }, { defaultMetrics: options.defaultMetrics ?? true });
  const recovery: RecoveryMetrics = new RecoveryMetrics(metrics);
  node.storageObserver = {
    persisted: (seconds, entries) => {
      metrics.fsyncLatency.observe(seconds);
      metrics.batchEntries.observe(entries);
    },
    checkpointSaved: (seconds) => metrics.checkpointSeconds.observe(seconds),
  };
  let previousLeader: string | undefined;
  node.on({
    onLeaderChange: (leader, term) => {
      const lastHeard = previousLeader === undefined || previousLeader === config.id ? undefined : node.lastHeard.get(previousLeader);
      // A leader heard from within two election timeouts handed over (or a term moved on): not a lost leader.
      const stillHealthy = lastHeard !== undefined && systemClock.now() - lastHeard < 2 * config.electionTicks * config.tickMs;
      recovery.leaderChanged(previousLeader, leader, systemClock.now(), lastHeard, stillHealthy || previousLeader === config.id);
      if (leader !== undefined) previousLeader = leader;
      metrics.leaderChanges.inc();
      logger.info({ leader: leader ?? null, term }, leader === undefined ? 'no leader' : leader === config.id ? 'became leader' : 'following');
    },
    onDiverged: () => metrics.divergence.inc(),
    onCommitted: (seconds) => metrics.commitLatency.observe(seconds),
    onForwarded: (method) => metrics.forwarded.inc({ method }),
  });
  const members = new MemberDirectory(node, transport, systemTimers, logger, config.peers, { peer: config.listen, http: config.http });
  const lessor = new Lessor(node, systemClock, systemTimers, logger);
  const watches = new WatchHub(node.stateMachine, node);
  const backend = new NodeBackend(node, transport, members, metrics, systemClock, systemTimers, watches);
  const coordinator = new TaskCoordinator(node, systemClock, systemWallClock, systemTimers, seededRandom(seedFor(`${config.id}/tasks`)), logger, coordinatorDefaults, {
    onWorkerSuspected: (id, cause, detectionMs) => {
      metrics.workerSuspicions.inc({ cause });
      recovery.workerSuspected(id, systemClock.now() - (detectionMs ?? 0));
      if (detectionMs !== undefined) metrics.workerDetection.observe({ cause }, detectionMs / 1000);
    },
    onWorkerRecovered: (_id, falseSuspicion) => {
      if (falseSuspicion) metrics.falseSuspicions.inc();
    },
    onAttemptsEnded: (ended) => {
      for (const e of ended) metrics.attemptsEnded.inc({ reason: e.reason, outcome: e.outcome });
    },
    onWorkerDownApplied: (workerId, ended) => recovery.workerTasksEnded(workerId, ended.filter((e) => e.outcome === 'retry').map((e) => e.taskId)),
    onAssigned: (taskId) => recovery.taskResumed(taskId, systemClock.now()),
    onLeadershipLost: () => recovery.forgetWorkerFaults(),
  });
  const jobEvents = new JobEventHub(node, systemTimers);
  const taskBackend = new NodeTaskBackend(node, coordinator, jobEvents, systemWallClock, metrics);
  const dashboard = new NodeDashboardSource(node, () => backend.cluster(), () => metrics.writeTotals, systemWallClock);
  node.on({
    onTaskApplied: (applied) => {
      if (applied.kind === 'complete' && !applied.duplicate) dashboard.countCompleted();
    },
  });
  const api = buildApi(backend, {
    plugins: [(app) => registerJobRoutes(app, taskBackend), (app) => registerWorkerRoutes(app, taskBackend), dashboardRoutes(dashboard)],
  });
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
  coordinator.start();
  logger.info({ http: httpAddress, peer: config.listen, data: config.data }, 'serving');
  let stopping: Promise<void> | undefined;
  return {
    node, api, httpAddress, peerAddress: config.listen, metrics, lessor, coordinator,
    stop: (stopOptions = {}) => {
      stopping ??= (async () => {
        if (stopOptions.transferLeadership ?? true) await node.transferLeadershipAway(1_000).catch((e: unknown) => logger.warn({ error: describeError(e) }, 'leader transfer failed'));
        members.stop();
        lessor.stop();
        coordinator.stop();
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
