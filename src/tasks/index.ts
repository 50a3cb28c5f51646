/** The task engine's pure tier: replicated state machine, scheduler, map/reduce helper. See docs/tasks.md. */
export { TaskStateMachine, type TaskStateView } from './task-state-machine.js';
export { jobState } from './state.js';
export { Scheduler, runnable, assignBatchMax, type ScheduleInput } from './scheduler.js';
export { mapReduceJob, mapTaskId, reduceTaskId, type MapReduceSpec } from './map-reduce.js';
export {
  schedulingPolicies, taskCommandKinds, taskQueryKinds,
  type Assign, type BackoffSpec, type CancelJob, type Checkpoint, type Complete, type Expire, type Fail, type RegisterWorker,
  type SchedulingPolicy, type StepRecord, type SubmitJob, type TaskCommand, type TaskCommandKind, type TaskFailure, type TaskQuery,
  type TaskQueryKind, type TaskSpec, type TaskTimeouts, type WorkerDown, type WorkerHeartbeat,
} from './commands.js';
export {
  taskError, taskErrorCodes, taskErrorRetryable,
  type AttemptEndReason, type AttemptOutcome, type CheckpointView, type EndedAttempt, type FailureView, type JobCounts, type JobState,
  type JobView, type Lease, type ResultView, type TaskDetailView, type TaskErrorCode, type TaskErrorResult, type TaskQueryResult,
  type TaskResult, type TaskResultFor, type TaskResultKind, type TaskStatus, type TaskView, type UnstartedTask, type WorkerView,
} from './results.js';
export { decodeCommand, decodeQuery, type Decoded } from './decode.js';
export { decodeResult, encodeCommand, encodeQuery, encodeResult } from './encode.js';
export { canonicalJson, NotJsonError, type JsonText, type JsonValue } from './json.js';
export { backoffDefaults, backoffDelayMs } from './backoff.js';
export { idLengthMax, isId, isTaskId, taskIdOf, type JobId, type TaskId, type WorkerId } from './ids.js';
export {
  affinityKeyBytesMax, commandBytesMax, durationMsMax, errorMessageLengthMax, errorStackLengthMax, maxAttemptsDefault, maxAttemptsMax,
  nowMsMax, payloadDepthMax, resolveTaskOptions, stepNameBytesMax, taskDefaults, type TaskOptions, type TaskOptionsInput,
} from './limits.js';
export { resultsPageBytesMax, resultsPageMax, workerView } from './views.js';
export { TASKS_SNAPSHOT_FORMAT, TASKS_SNAPSHOT_VERSION } from './snapshot.js';
