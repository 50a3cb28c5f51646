/** What the jobs and workers routes need from a node: implemented by src/server/tasks. */
import type { Consistency } from './wire.js';
import type {
  CancelJobResponse, CheckpointRequest, CheckpointResponse, CompleteRequest, CompleteResponse, FailRequest, FailResponse,
  HeartbeatResponse, JobEvent, JobListResponse, JobResponse, RegisterWorkerRequest, RegisterWorkerResponse, ResultsResponse,
  SubmitJobRequest, SubmitJobResponse, TaskDetailView, WorkerListResponse, WorkerStreamEvent,
} from './wire-tasks.js';

export interface StreamSink<E> {
  send(event: E): void;
  /** Ends the stream (the client reconnects or stops). */
  close(): void;
}

export interface TaskApiBackend {
  submitJob(request: SubmitJobRequest): Promise<SubmitJobResponse>;
  jobs(consistency: Consistency): Promise<JobListResponse>;
  job(jobId: string, consistency: Consistency): Promise<JobResponse>;
  results(jobId: string, page: { after?: string; limit?: number }, consistency: Consistency): Promise<ResultsResponse>;
  cancelJob(jobId: string): Promise<CancelJobResponse>;
  /** Progress and task events of one job from now on; the first event is the current progress. Returns the cancel function. */
  jobEvents(jobId: string, sink: StreamSink<JobEvent>): () => void;
  task(taskId: string, consistency: Consistency): Promise<TaskDetailView>;
  workers(consistency: Consistency): Promise<WorkerListResponse>;

  registerWorker(request: RegisterWorkerRequest): Promise<RegisterWorkerResponse>;
  /** Leader only; elsewhere throws NOT_LEADER naming the leader. */
  heartbeat(workerId: string): HeartbeatResponse;
  /** Leader only: leases and aborts for this worker. Returns the function that ends it. */
  workerStream(workerId: string, sink: StreamSink<WorkerStreamEvent>): () => void;
  checkpoint(taskId: string, request: CheckpointRequest): Promise<CheckpointResponse>;
  complete(taskId: string, request: CompleteRequest): Promise<CompleteResponse>;
  fail(taskId: string, request: FailRequest): Promise<FailResponse>;
}
