/**
 * Deliberate bugs of the task state machine, switched on only by mutation tests to prove that
 * the property tests catch them (STYLE.md: every safety check has once been seen to fail).
 * Production code never sets these; each is read at exactly one place.
 */
export interface TaskBugSwitches {
  /** complete: commit a result from a stale attempt (an old fencing token) instead of rejecting it. */
  acceptStaleResults: boolean;
}

export const taskBugs: TaskBugSwitches = { acceptStaleResults: false };

export function resetTaskBugs(): void {
  taskBugs.acceptStaleResults = false;
}
