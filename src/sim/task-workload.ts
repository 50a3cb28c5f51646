/**
 * The `tasks` workload (docs/sim.md): the leader of the simulated cluster runs the task duties
 * (task-leader.ts), simulated workers run the attempts (sim-worker.ts), a client submits the
 * planned jobs (task-jobs.ts) and cancels one, and worker faults are injected: crash (for good,
 * or a restart under a fresh worker id) and pause (a zombie on resume). Every applied task
 * command and what the workers saw form the task history; at the end the exactly-once checker
 * judges it. All time is virtual and all randomness seeded: a seed replays exactly.
 */
import { checkExactlyOnce, type AppliedTaskRecord, type ExactlyOnceReport, type TaskHistory, type WorkerObservation } from '../check/index.js';
import { seededRandom } from '../core/prng.js';
import type { Random } from '../ports/random.js';
import type { Entry, NodeId } from '../raft/types.js';
import { decodeCommand, decodeResult, type JobId, type TaskResult } from '../tasks/index.js';
import type { EventQueue } from './event-queue.js';
import type { FaultKind } from './faults.js';
import type { SimNetwork } from './sim-network.js';
import { tasksTag, type SimNode } from './sim-node.js';
import { SimWorker, type WorkerHost } from './sim-worker.js';
import { planJobs, type JobPlan } from './task-jobs.js';
import { TaskLeader } from './task-leader.js';
import type { AttemptRef } from './task-messages.js';
import { TaskRequester } from './task-requester.js';

export interface TaskWorkloadHost {
  readonly seed: number;
  readonly queue: EventQueue;
  readonly network: SimNetwork;
  readonly nodes: readonly SimNode[];
  readonly faults: ReadonlySet<FaultKind>;
  /** Worker faults happen in [faultStartMs, faultEndMs]; jobs are submitted up to lastSubmitMs. */
  readonly faultStartMs: number;
  readonly faultEndMs: number;
  readonly lastSubmitMs: number;
  trace(line: string): void;
  countFault(): void;
}

export interface TaskWorkloadSummary {
  readonly report: ExactlyOnceReport;
  readonly history: TaskHistory;
  readonly jobs: number;
  readonly jobsSubmitted: number;
  readonly workers: number;
  /** When every job had finished (undefined: not within the run). */
  readonly finishedAtMs: number | undefined;
}

const pollMs = 20;

export class TaskWorkload {
  private readonly random: Random;
  private readonly plan: JobPlan;
  private readonly log = new Map<number, AppliedTaskRecord>();
  private readonly observations: WorkerObservation[] = [];
  private readonly leaders = new Map<NodeId, TaskLeader>();
  private readonly workers: SimWorker[] = [];
  private readonly submitted = new Set<string>();
  private readonly client: TaskRequester;
  private finishedAtMs: number | undefined;

  constructor(private readonly host: TaskWorkloadHost) {
    this.random = seededRandom(host.seed ^ 0x7a5c_0b5e);
    this.plan = planJobs(this.random, host.lastSubmitMs);
    this.client = new TaskRequester(this.requesterHost(), { endpoint: 'client:jobs', after: (ms, run) => host.queue.after(ms, run), enter: (run) => run() });
  }

  start(): void {
    const q = this.host.queue;
    const count = 4 + this.random.int(2);
    for (let i = 1; i <= count; i++) this.spawnWorker(`w${i}`, 1 + this.random.int(3));
    for (const job of this.plan.jobs) {
      const jobId = job.command.jobId ?? '';
      q.at(job.atMs, () => this.client.send(job.command, (result) => {
        if (result.kind === 'submitJob' || (result.kind === 'error' && result.code === 'JOB_EXISTS')) this.submitted.add(jobId);
        this.host.trace(`client: submit ${jobId}: ${result.kind === 'error' ? result.code : 'ok'}`);
      }));
      if (job.cancelAtMs !== undefined) {
        q.at(job.cancelAtMs, () => this.client.send({ kind: 'cancelJob', jobId }, (result) => this.host.trace(`client: cancel ${jobId}: ${result.kind === 'error' ? result.code : 'ok'}`)));
      }
    }
    this.scheduleWorkerFaults();
    const poll = (): void => {
      this.pollLeaders();
      q.after(pollMs, poll);
    };
    q.after(pollMs, poll);
  }

  /** Every job submitted and finished on the most advanced replica. */
  get done(): boolean {
    if (this.finishedAtMs !== undefined) return true;
    if (this.submitted.size < this.plan.jobs.length) return false;
    let best: SimNode | undefined;
    for (const node of this.nodes()) if (best === undefined || (node.tasks?.appliedIndex ?? 0) > (best.tasks?.appliedIndex ?? 0)) best = node;
    const jobs = best?.tasks?.view.jobs;
    if (jobs === undefined) return false;
    for (const jobId of this.submitted) {
      const counts = jobs.get(jobId as JobId)?.counts;
      if (counts === undefined || counts.pending + counts.running > 0) return false;
    }
    this.finishedAtMs = this.host.queue.nowMs;
    this.host.trace('tasks: every job finished');
    return true;
  }

  onLeader(node: SimNode): void {
    const driver = node.driver;
    if (driver === undefined) return;
    this.leaders.set(node.id, new TaskLeader(node, driver, driver.raft.currentTerm, this.leaderHost(node.id)));
  }

  /** Records every applied task entry once (the first replica to apply it), and feeds the leader's duties. */
  onApplied(node: NodeId, entry: Entry, resultBytes: Uint8Array): void {
    if (entry.kind !== 'normal' || entry.data[0] !== tasksTag) return;
    const decoded = decodeCommand(entry.data.subarray(1));
    if (!decoded.ok) return;
    const result = decodeResult(resultBytes) as TaskResult;
    if (!this.log.has(entry.index)) this.log.set(entry.index, { kind: 'applied', index: entry.index, command: decoded.value, result });
    this.leaders.get(node)?.onApplied(decoded.value, result);
  }

  /** Resumes paused workers (the heal). */
  heal(): void {
    for (const worker of this.workers) worker.resume();
  }

  finish(): TaskWorkloadSummary {
    const history: TaskHistory = { log: [...this.log.values()].sort((a, b) => a.index - b.index), observations: [...this.observations] };
    const report = checkExactlyOnce(history, { oracle: this.plan.oracle });
    return { report, history, jobs: this.plan.jobs.length, jobsSubmitted: this.submitted.size, workers: this.workers.length, finishedAtMs: this.finishedAtMs };
  }

  private nodes(): SimNode[] {
    return this.host.nodes.filter((n) => n.up);
  }

  private pollLeaders(): void {
    for (const node of this.host.nodes) {
      const leader = this.leaders.get(node.id);
      if (leader !== undefined && !leader.current) this.leaders.delete(node.id);
      if (node.raft?.isLeader === true && !this.leaders.has(node.id)) this.onLeader(node);
    }
    for (const leader of this.leaders.values()) leader.poll();
  }

  private spawnWorker(id: string, capacity: number): SimWorker {
    const worker = new SimWorker(id, capacity, this.workerHost());
    this.workers.push(worker);
    worker.start();
    this.host.trace(`worker ${id} starts (capacity ${capacity})`);
    return worker;
  }

  private worker(id: string): SimWorker | undefined {
    return this.workers.find((w) => w.id === id && w.alive);
  }

  // ------------------------------------------------------------ worker faults

  private scheduleWorkerFaults(): void {
    const { faults, faultStartMs, faultEndMs } = this.host;
    const at = (): number => faultStartMs + this.random.next() * (faultEndMs - faultStartMs);
    if (faults.has('worker-pause')) {
      // Mostly a little longer than the suspicion timeout: the revoked attempts' retries are often
      // still running when the zombie wakes up and sends its stale results.
      for (let i = 0; i < 3 + this.random.int(3); i++) {
        const pauseMs = 400 + this.random.int(1_400);
        this.host.queue.at(at(), () => {
          const victim = this.pickVictim();
          if (victim === undefined) return;
          victim.pause();
          this.host.countFault();
          this.host.queue.after(pauseMs, () => victim.resume());
        });
      }
    }
    if (faults.has('worker-crash')) {
      for (let i = 0; i < 1 + this.random.int(2); i++) {
        const forGood = this.random.next() < 0.5;
        const restartMs = 100 + this.random.int(900);
        this.host.queue.at(at(), () => {
          const victim = this.pickVictim();
          if (victim === undefined) return;
          victim.crash();
          this.host.countFault();
          // At least three workers stay, so the jobs can finish.
          if (forGood && this.workers.filter((w) => w.alive).length >= 3) return;
          const incarnation = this.workers.filter((w) => w.id.split('.')[0] === victim.id.split('.')[0]).length;
          this.host.queue.after(restartMs, () => this.spawnWorker(`${victim.id.split('.')[0]}.r${incarnation}`, victim.capacity));
        });
      }
    }
  }

  /** A live, unpaused worker, preferring one that is running attempts (so faults hit work in flight). */
  private pickVictim(): SimWorker | undefined {
    const candidates = this.workers.filter((w) => w.alive && !w.paused);
    const busy = candidates.filter((w) => w.busy);
    const pool = busy.length > 0 ? busy : candidates;
    return pool.length === 0 ? undefined : pool[this.random.int(pool.length)];
  }

  // ------------------------------------------------------------ hosts

  private requesterHost() {
    const { network } = this.host;
    const byId = (id: NodeId): SimNode | undefined => this.host.nodes.find((n) => n.id === id);
    return {
      random: this.random,
      nodeIds: this.host.nodes.map((n) => n.id),
      request: (from: string, node: NodeId, command: Parameters<SimNode['handleTaskCommand']>[0], reply: Parameters<SimNode['handleTaskCommand']>[1]) => {
        network.send(from, node, () => byId(node)?.handleTaskCommand(command, (r) => network.send(node, from, () => reply(r), false)), false);
      },
      query: (from: string, node: NodeId, query: Parameters<SimNode['handleTaskQuery']>[0], reply: Parameters<SimNode['handleTaskQuery']>[1]) => {
        network.send(from, node, () => byId(node)?.handleTaskQuery(query, (r) => network.send(node, from, () => reply(r), false)), false);
      },
    };
  }

  private workerHost(): WorkerHost {
    const { queue, network } = this.host;
    return {
      ...this.requesterHost(),
      now: () => queue.nowMs,
      after: (ms, run) => queue.after(ms, run),
      heartbeat: (worker, running) => {
        for (const node of this.host.nodes) {
          network.send(worker.endpoint, node.id, () => {
            const reply = this.leaders.get(node.id)?.onHeartbeat(worker.id, running);
            if (reply !== undefined) network.send(node.id, worker.endpoint, () => worker.onHeartbeatReply(reply), false);
          }, false);
        }
      },
      observe: (observation) => this.observations.push(observation),
      trace: (line) => this.host.trace(line),
    };
  }

  private leaderHost(from: NodeId) {
    const { queue, network } = this.host;
    const send = (workerId: string, run: (w: SimWorker) => void): void => {
      const worker = this.worker(workerId);
      if (worker !== undefined) network.send(from, worker.endpoint, () => run(worker), false);
    };
    return {
      now: () => queue.nowMs,
      random: this.random,
      soon: (run: () => void) => queue.after(1, run),
      deliver: (workerId: string, delivery: Parameters<SimWorker['onAssignMessage']>[0]) => send(workerId, (w) => w.onAssignMessage(delivery)),
      abort: (workerId: string, ref: AttemptRef) => send(workerId, (w) => w.onAbortMessage(ref)),
      trace: (line: string) => this.host.trace(line),
    };
  }
}
