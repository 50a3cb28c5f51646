/**
 * The jobs half of the client: submit (retry-safe: the client names the job), status, results,
 * cancel, and events as an async iterable that survives node failures (it reconnects to another
 * node and resumes with the job's current progress).
 */
import type {
  CancelJobResponse, JobEvent, JobListResponse, JobResponse, ResultView, ResultsResponse, SubmitJobRequest, SubmitJobResponse,
} from '../api/wire-tasks.js';
import { mapReduceJob, type MapReduceSpec } from '../tasks/map-reduce.js';
import { sleep } from './backoff.js';
import { jsonBody } from './body.js';
import type { Caller, CallResult } from './caller.js';
import type { EndpointPool } from './endpoints.js';
import { KeelClientError, isKeelClientError } from './errors.js';
import { eventData, eventStream } from './event-stream.js';
import type { ResolvedClientOptions } from './options.js';
import { expectShape } from './shape.js';

export interface JobsDeps {
  readonly caller: Caller;
  readonly pool: EndpointPool;
  readonly options: ResolvedClientOptions;
  readonly newId: () => string;
}

export interface EventsOptions {
  readonly signal?: AbortSignal;
}

const jobPath = (jobId: string): string => `/v1/jobs/${encodeURIComponent(jobId)}`;

/** A job that ended failed or cancelled: `job` holds its final counts and per-task state. */
export class JobFailedError extends KeelClientError {
  constructor(readonly job: JobResponse) {
    super('Conflict', `job ${job.jobId} ended ${job.state}: ${describeCounts(job)}`);
  }
}

export class JobsApi {
  constructor(private readonly deps: JobsDeps) {}

  /** Submits a job; the returned handle waits for it. Safe to retry: the job id is chosen here. */
  async submit(request: SubmitJobRequest): Promise<JobHandle> {
    const body: SubmitJobRequest = { ...request, jobId: request.jobId ?? `j-${this.deps.newId()}` };
    try {
      const result = await this.deps.caller.call({ method: 'POST', path: '/v1/jobs', body: jsonBody(body), retry: 'idempotent' });
      const answer = expectShape<SubmitJobResponse>(result.body, 'submit answer', { jobId: 'string', taskIds: 'array' }, result.endpoint);
      return new JobHandle(this, answer.jobId, answer.taskIds);
    } catch (error) {
      // An earlier attempt of this same call committed, and its answer was lost.
      if (isKeelClientError(error) && error.reason === 'JOB_EXISTS' && request.jobId === undefined) {
        const job = await this.get(body.jobId!);
        return new JobHandle(this, job.jobId, job.tasks.map((t) => t.taskId));
      }
      throw error;
    }
  }

  /** One map task per chunk of items and, optionally, a reduce task that runs after all of them. */
  mapReduce(spec: MapReduceSpec): Promise<JobHandle> {
    const { kind: _kind, ...request } = mapReduceJob(spec);
    return this.submit(request);
  }

  handle(jobId: string): JobHandle {
    return new JobHandle(this, jobId, []);
  }

  async get(jobId: string): Promise<JobResponse> {
    const result = await this.read(jobPath(jobId));
    return expectShape<JobResponse>(result.body, 'job answer', { jobId: 'string', state: 'string', counts: 'object', tasks: 'array' }, result.endpoint);
  }

  async list(): Promise<JobListResponse> {
    const result = await this.read('/v1/jobs');
    return expectShape<JobListResponse>(result.body, 'job list', { jobs: 'array' }, result.endpoint);
  }

  /** Every committed result of the job, in task order (all pages). */
  async results(jobId: string): Promise<ResultView[]> {
    const all: ResultView[] = [];
    let after: string | undefined;
    for (;;) {
      const query = after === undefined ? '' : `?after=${encodeURIComponent(after)}`;
      const result = await this.read(`${jobPath(jobId)}/results${query}`);
      const page = expectShape<ResultsResponse>(result.body, 'results answer', { results: 'array', more: 'boolean' }, result.endpoint);
      all.push(...page.results);
      if (!page.more || page.results.length === 0) return all;
      after = page.results[page.results.length - 1]!.taskId;
    }
  }

  async cancel(jobId: string): Promise<CancelJobResponse> {
    const result = await this.deps.caller.call({ method: 'POST', path: `${jobPath(jobId)}/cancel`, retry: 'idempotent' });
    return expectShape<CancelJobResponse>(result.body, 'cancel answer', { jobId: 'string', cancelled: 'number' }, result.endpoint);
  }

  /**
   * Progress and task events until the job finishes (the last event is a `progress` whose state
   * is not `running`). On a lost connection it moves to another node; task events that happened
   * meanwhile are not replayed, but the next `progress` carries the current counts.
   */
  async *events(jobId: string, options: EventsOptions = {}): AsyncGenerator<JobEvent, void, undefined> {
    const { pool, options: clientOptions } = this.deps;
    // A function, not `signal?.aborted`: TypeScript would keep the narrowing across awaits.
    const aborted = (): boolean => options.signal?.aborted === true;
    let endpoint = pool.preferred;
    let failures = 0;
    for (;;) {
      if (aborted()) return;
      let lastError: KeelClientError | undefined;
      try {
        for await (const sse of eventStream(endpoint, `${jobPath(jobId)}/events`, {
          connectTimeoutMs: clientOptions.timeoutMs, idleTimeoutMs: clientOptions.watchIdleTimeoutMs, ...(options.signal === undefined ? {} : { signal: options.signal }),
        })) {
          failures = 0;
          const event = eventData(sse, endpoint) as JobEvent;
          yield event;
          if (event.type === 'progress' && event.state !== 'running') return;
        }
      } catch (error) {
        if (aborted()) return;
        if (!isKeelClientError(error) || !error.retryable) throw error;
        lastError = error;
      }
      failures += 1;
      if (failures > clientOptions.retries) throw lastError ?? new KeelClientError('Network', `job events of ${jobId} kept ending early`);
      endpoint = pool.next(endpoint, lastError?.leader);
      await sleep(Math.min(2_000, 50 * 2 ** failures), options.signal);
    }
  }

  private read(path: string): Promise<CallResult> {
    return this.deps.caller.call({ method: 'GET', path, retry: 'idempotent' });
  }
}

export class JobHandle {
  constructor(private readonly api: JobsApi, readonly jobId: string, readonly taskIds: readonly string[]) {}

  status(): Promise<JobResponse> {
    return this.api.get(this.jobId);
  }

  events(options: EventsOptions = {}): AsyncGenerator<JobEvent, void, undefined> {
    return this.api.events(this.jobId, options);
  }

  cancel(): Promise<CancelJobResponse> {
    return this.api.cancel(this.jobId);
  }

  /** Waits for the job to finish; its results when it succeeded, a JobFailedError otherwise. */
  async result(options: EventsOptions & { onProgress?: (event: JobEvent) => void } = {}): Promise<ResultView[]> {
    for await (const event of this.events(options)) options.onProgress?.(event);
    let job = await this.status();
    // The stream ended (aborted or the job ended); wait out the rare race with a short poll.
    while (job.state === 'running' && options.signal?.aborted !== true) {
      await sleep(200, options.signal);
      job = await this.status();
    }
    if (job.state !== 'succeeded') throw new JobFailedError(job);
    return this.api.results(this.jobId);
  }
}

function describeCounts(job: JobResponse): string {
  const c = job.counts;
  const parts = [`${c.succeeded} succeeded`, `${c.deadLettered} dead-lettered`, `${c.failed} failed`, `${c.cancelled} cancelled`];
  const dead = job.tasks.find((t) => t.status === 'deadLettered');
  return `${parts.join(', ')}${dead === undefined ? '' : `; first dead letter: task ${dead.id}`}`;
}
