/** submitJob: validation (ids, sizes, DAG), room-making by evicting finished jobs, and creation of the job's tasks. */
import { assertNever } from '../core/assert.js';
import type { SubmitJob } from './commands.js';
import { backoffDefaults } from './backoff.js';
import { findDagProblem } from './dag.js';
import { generatedJobId, generatedLocalId, isGeneratedJobId, isId, taskIdOf, type JobId, type TaskId } from './ids.js';
import { payloadText, textBytes, type JsonText } from './json.js';
import { affinityKeyBytesMax, maxAttemptsDefault, maxAttemptsMax, type TaskOptions } from './limits.js';
import { taskError, type TaskResult } from './results.js';
import { emptyCounts, jobState, type JobRecord, type TaskRecord, type TaskState } from './state.js';

interface PlannedTask {
  readonly localId: string;
  readonly input: JsonText;
}

export function onSubmitJob(state: TaskState, cmd: SubmitJob, index: number, options: TaskOptions): TaskResult {
  const nowMs = state.advanceClock(cmd.nowMs);
  if (cmd.jobId !== undefined && (!isId(cmd.jobId) || isGeneratedJobId(cmd.jobId))) {
    return taskError('INVALID_ARGUMENT', `jobId "${cmd.jobId.slice(0, 140)}" must be 1-128 of [A-Za-z0-9_.:-] and not of the generated form job-<n>`);
  }
  const jobId = (cmd.jobId ?? generatedJobId(index)) as JobId;
  if (state.jobs.has(jobId)) return taskError('JOB_EXISTS', `job ${jobId} exists`);
  if (cmd.tasks.length === 0) return taskError('INVALID_ARGUMENT', 'a job needs at least one task');
  if (cmd.tasks.length > options.tasksPerJobMax) return taskError('TASK_LIMIT', `job has ${cmd.tasks.length} tasks, tasksPerJobMax is ${options.tasksPerJobMax}`);
  const maxAttempts = cmd.maxAttempts ?? maxAttemptsDefault;
  if (maxAttempts > maxAttemptsMax) return taskError('INVALID_ARGUMENT', `maxAttempts ${maxAttempts} is above ${maxAttemptsMax}`);

  const planned: PlannedTask[] = [];
  const seen = new Set<string>();
  let inputBytes = 0;
  for (const [position, spec] of cmd.tasks.entries()) {
    const localId = spec.id ?? generatedLocalId(position);
    const what = `tasks[${position}]`;
    if (!isId(localId)) return taskError('INVALID_ARGUMENT', `${what}.id must be 1-128 of [A-Za-z0-9_.:-]`);
    if (seen.has(localId)) return taskError('DUPLICATE_TASK_ID', `${what}: task id ${localId} is used twice in the job`);
    seen.add(localId);
    if (!isId(spec.handler)) return taskError('INVALID_ARGUMENT', `${what}.handler must be 1-128 of [A-Za-z0-9_.:-]`);
    if (spec.key !== undefined && textBytes(spec.key) > affinityKeyBytesMax) {
      return taskError('INVALID_ARGUMENT', `${what}.key is ${textBytes(spec.key)} bytes, the limit is ${affinityKeyBytesMax}`);
    }
    const deps = spec.dependsOn ?? [];
    if (new Set(deps).size !== deps.length) return taskError('INVALID_ARGUMENT', `${what}.dependsOn lists a task twice`);
    const input = payloadText(spec.input);
    const size = textBytes(input);
    if (size > options.inputBytesMax) return taskError('PAYLOAD_TOO_LARGE', `${what}.input is ${size} bytes, inputBytesMax is ${options.inputBytesMax}`);
    inputBytes += size;
    planned.push({ localId, input });
  }
  const problem = findDagProblem(planned.map((p) => p.localId), cmd.tasks.map((t) => t.dependsOn ?? []));
  if (problem !== undefined) {
    switch (problem.kind) {
      case 'unknown': return taskError('DEPENDENCY_UNKNOWN', `task ${problem.task} depends on ${problem.dependency}, which is not in the job`);
      case 'self': return taskError('DEPENDENCY_CYCLE', `task ${problem.task} depends on itself`);
      case 'cycle': return taskError('DEPENDENCY_CYCLE', `dependency cycle: ${problem.path.join(' -> ')}`);
      default: return assertNever(problem);
    }
  }
  const evictable = planEviction(state, cmd.tasks.length, inputBytes, options);
  if (evictable.kind === 'error') return evictable;
  for (const job of evictable.jobs) state.removeJob(job);

  const tasks: TaskRecord[] = planned.map((p, position) => {
    const spec = cmd.tasks[position];
    const deps = (spec?.dependsOn ?? []).map((d) => taskIdOf(jobId, d));
    return {
      taskId: taskIdOf(jobId, p.localId), jobId, localId: p.localId, position, handler: spec?.handler ?? '', input: p.input,
      ...(spec?.key === undefined ? {} : { key: spec.key }),
      dependsOn: deps, dependents: [], remainingDeps: deps.length, status: 'pending', attempt: 0,
      notBeforeMs: nowMs, readySinceMs: nowMs, sizeBytes: 0,
    };
  });
  const byId = new Map<TaskId, TaskRecord>(tasks.map((t) => [t.taskId, t]));
  for (const task of tasks) for (const dep of task.dependsOn) byId.get(dep)?.dependents.push(task.taskId);
  const job: JobRecord = {
    jobId, seq: index, maxAttempts, policy: cmd.policy ?? 'least-loaded', timeouts: cmd.timeouts ?? {},
    backoff: cmd.backoff ?? backoffDefaults, tasks, counts: emptyCounts(), cancelled: false, sizeBytes: 0,
  };
  state.addJob(job);
  return { kind: 'submitJob', jobId, taskIds: tasks.map((t) => t.taskId), evictedJobs: evictable.jobs.map((j) => j.jobId) };
}

/** Finished jobs to evict, oldest first, so the new job fits every limit; nothing is evicted unless it then fits. */
function planEviction(state: TaskState, taskCount: number, inputBytes: number, options: TaskOptions):
  { readonly kind: 'ok'; readonly jobs: readonly JobRecord[] } | ReturnType<typeof taskError> {
  let jobs = state.jobs.size + 1;
  let tasks = state.tasks.size + taskCount;
  let bytes = state.dataBytes + inputBytes;
  const fits = (): boolean => jobs <= options.jobsMax && tasks <= options.tasksMax && bytes <= options.dataBytesMax;
  const evicted: JobRecord[] = [];
  for (const job of state.jobs.values()) {
    if (fits()) break;
    if (jobState(job) === 'running') continue;
    evicted.push(job);
    jobs -= 1;
    tasks -= job.tasks.length;
    bytes -= job.sizeBytes;
  }
  if (fits()) return { kind: 'ok', jobs: evicted };
  if (state.jobs.size + 1 - evicted.length > options.jobsMax) return taskError('JOB_LIMIT', `${state.jobs.size} jobs are kept and none more can be evicted (jobsMax ${options.jobsMax})`);
  if (tasks > options.tasksMax) return taskError('TASK_LIMIT', `the job's ${taskCount} tasks do not fit tasksMax ${options.tasksMax} beside running jobs`);
  return taskError('QUOTA_EXCEEDED', `the job's ${inputBytes} input bytes do not fit dataBytesMax ${options.dataBytesMax} beside running jobs`);
}
