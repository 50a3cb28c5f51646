/**
 * Identifiers of the task engine. Ids cross the JSON boundary as strings; the brands keep a job
 * id from being passed where a task or worker id is meant.
 *
 * A task's id is qualified by its job: `${jobId}/${localId}`, so commands name a task alone
 * (`assign { taskId }`) and two jobs may both call a task `t1`.
 */
export type JobId = string & { readonly __brand: 'JobId' };
export type TaskId = string & { readonly __brand: 'TaskId' };
export type WorkerId = string & { readonly __brand: 'WorkerId' };

/** Of a job id, local task id, worker id or handler name, in characters (ASCII only, so also bytes). */
export const idLengthMax = 128;

/** Ids and handler names: letters, digits and `_ . : -`, 1..idLengthMax. No `/`: it separates job and task. */
const idPattern = /^[A-Za-z0-9_.:-]+$/;

export function isId(text: string): boolean {
  return text.length >= 1 && text.length <= idLengthMax && idPattern.test(text);
}

/** A generated job id (`job-<entry index>`); client-chosen job ids may not take this form. */
const generatedJobIdPattern = /^job-[0-9]+$/;

export function isGeneratedJobId(text: string): boolean {
  return generatedJobIdPattern.test(text);
}

export function generatedJobId(entryIndex: number): JobId {
  return `job-${entryIndex}` as JobId;
}

/** The local id of the task at `position` in its job when the client gave none. */
export function generatedLocalId(position: number): string {
  return `t${position}`;
}

export function taskIdOf(jobId: JobId, localId: string): TaskId {
  return `${jobId}/${localId}` as TaskId;
}

/** A qualified task id: a job id, `/`, a local id. */
export function isTaskId(text: string): boolean {
  const slash = text.indexOf('/');
  return slash > 0 && isId(text.slice(0, slash)) && isId(text.slice(slash + 1));
}
