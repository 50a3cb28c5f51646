/**
 * The jobs and workers API on a node: commands go through the Raft log (forwarded to the leader
 * from a follower), reads follow the KV read rules, and the worker protocol's leader-only parts
 * (heartbeat, lease stream) are the coordinator's.
 */
import { ApiError, taskErrorToApi } from '../../api/errors.js';
import type { StreamSink, TaskApiBackend } from '../../api/task-backend.js';
import type { Consistency } from '../../api/wire.js';
import type {
  CancelJobResponse, CheckpointRequest, CheckpointResponse, CompleteRequest, CompleteResponse, FailRequest, FailResponse, HeartbeatResponse,
  JobEvent, JobListResponse, JobResponse, RegisterWorkerRequest, RegisterWorkerResponse, ResultsResponse, SubmitJobRequest, SubmitJobResponse,
  TaskDetailView, WorkerListResponse, WorkerStreamEvent,
} from '../../api/wire-tasks.js';
import type { Clock } from '../../ports/clock.js';
import type { JobCounts, TaskCommand, TaskQuery, TaskQueryResult, TaskResult } from '../../tasks/index.js';
import type { NodeMetrics } from '../../metrics/node-metrics.js';
import type { KeelNode } from '../keel-node.js';
import type { TaskCoordinator } from './coordinator.js';
import type { JobEventHub } from './job-events.js';

/** Applied when a job names no start-to-close timeout, so a hung handler cannot hold a task forever. */
export const startToCloseDefaultMs = 15 * 60_000;

type Result<K extends string> = Extract<TaskResult | TaskQueryResult, { kind: K }>;

export class NodeTaskBackend implements TaskApiBackend {
  constructor(
    private readonly node: KeelNode,
    private readonly coordinator: TaskCoordinator,
    private readonly jobEventHub: JobEventHub,
    private readonly wallClock: Clock,
    private readonly metrics: NodeMetrics,
  ) {}

  async submitJob(request: SubmitJobRequest): Promise<SubmitJobResponse> {
    const result = await this.command({
      kind: 'submitJob',
      ...(request.jobId === undefined ? {} : { jobId: request.jobId }),
      tasks: request.tasks.map((t) => ({
        handler: t.handler, input: t.input,
        ...(t.id === undefined ? {} : { id: t.id }), ...(t.key === undefined ? {} : { key: t.key }), ...(t.dependsOn === undefined ? {} : { dependsOn: t.dependsOn }),
      })),
      ...(request.maxAttempts === undefined ? {} : { maxAttempts: request.maxAttempts }),
      ...(request.policy === undefined ? {} : { policy: request.policy }),
      timeouts: { startToCloseMs: startToCloseDefaultMs, ...request.timeouts },
      ...(request.backoff === undefined ? {} : { backoff: request.backoff }),
      nowMs: this.wallClock.now(),
    }, 'submitJob');
    return { jobId: result.jobId, taskIds: result.taskIds };
  }

  async jobs(consistency: Consistency): Promise<JobListResponse> {
    const result: Result<'jobs'> = await this.query({ kind: 'jobs' }, consistency, 'jobs');
    return { jobs: result.jobs.map((j) => ({ jobId: j.jobId, state: j.state, counts: j.counts, total: totalOf(j.counts) })) };
  }

  async job(jobId: string, consistency: Consistency): Promise<JobResponse> {
    const result = await this.query({ kind: 'job', jobId }, consistency, 'job');
    return { id: result.job.jobId, ...result.job };
  }

  async results(jobId: string, page: { after?: string; limit?: number }, consistency: Consistency): Promise<ResultsResponse> {
    const result = await this.query({ kind: 'results', jobId, ...page }, consistency, 'results');
    return { jobId: result.jobId, results: result.results, more: result.more };
  }

  async cancelJob(jobId: string): Promise<CancelJobResponse> {
    const result = await this.command({ kind: 'cancelJob', jobId, nowMs: this.wallClock.now() }, 'cancelJob');
    return { jobId: result.jobId, cancelled: result.cancelled };
  }

  jobEvents(jobId: string, sink: StreamSink<JobEvent>): () => void {
    const cancel = this.jobEventHub.subscribe(jobId, sink);
    if (cancel === undefined) {
      // Evicted since the route read it: nothing more will happen to it here.
      sink.close();
      return () => undefined;
    }
    return cancel;
  }

  async task(taskId: string, consistency: Consistency): Promise<TaskDetailView> {
    return (await this.query({ kind: 'task', taskId }, consistency, 'task')).task;
  }

  async workers(consistency: Consistency): Promise<WorkerListResponse> {
    return { workers: (await this.query({ kind: 'workers' }, consistency, 'workers')).workers };
  }

  async registerWorker(request: RegisterWorkerRequest): Promise<RegisterWorkerResponse> {
    const result = await this.command({ kind: 'registerWorker', ...request, nowMs: this.wallClock.now() }, 'registerWorker');
    return { workerId: result.workerId };
  }

  heartbeat(workerId: string): HeartbeatResponse {
    return this.coordinator.heartbeat(workerId);
  }

  workerStream(workerId: string, sink: StreamSink<WorkerStreamEvent>): () => void {
    return this.coordinator.connect(workerId, sink);
  }

  async checkpoint(taskId: string, request: CheckpointRequest): Promise<CheckpointResponse> {
    const r = await this.command({ kind: 'checkpoint', taskId, ...request, nowMs: this.wallClock.now() }, 'checkpoint');
    return { taskId: r.taskId, attempt: r.attempt, sizeBytes: r.sizeBytes, ...(r.stepKept === undefined ? {} : { stepKept: r.stepKept }) };
  }

  async complete(taskId: string, request: CompleteRequest): Promise<CompleteResponse> {
    const r = await this.command({ kind: 'complete', taskId, attempt: request.attempt, output: request.output, nowMs: this.wallClock.now() }, 'complete');
    return { taskId: r.taskId, attempt: r.attempt, duplicate: r.duplicate, jobState: r.jobState };
  }

  async fail(taskId: string, request: FailRequest): Promise<FailResponse> {
    const r = await this.command({ kind: 'fail', taskId, attempt: request.attempt, error: request.error, nowMs: this.wallClock.now() }, 'fail');
    return { taskId: r.taskId, attempt: r.attempt, duplicate: r.duplicate, status: r.status, jobState: r.jobState };
  }

  private async command<K extends TaskCommand['kind']>(command: TaskCommand, kind: K): Promise<Result<K>> {
    const result = await this.metrics.timeWrite(() => this.node.writeTasks(command));
    return expectKind(result, kind);
  }

  private async query<K extends TaskQuery['kind']>(query: TaskQuery, consistency: Consistency, kind: K): Promise<Result<K>> {
    return expectKind(await this.node.readTasks(query, consistency), kind);
  }
}

function totalOf(counts: JobCounts): number {
  return counts.pending + counts.running + counts.succeeded + counts.failed + counts.deadLettered + counts.cancelled;
}

function expectKind<K extends string>(result: TaskResult | TaskQueryResult, kind: K): Result<K> {
  if (result.kind === 'error') throw taskErrorToApi(result.code, result.message);
  if (result.kind !== kind) throw new ApiError('Internal', `expected a ${kind} result, got ${result.kind}`);
  return result as Result<K>;
}
