/** Linearizability checking of kv-history v1 histories, and the exactly-once checker of task histories (docs/check.md). */
export {
  parseHistory, formatHistoryOp, describeOp, historyErrorsMax,
  type HistoryOp, type GetOp, type PutOp, type AppendOp, type DeleteOp, type CasOp, type OpName, type OpStatus,
  type HistoryError, type ParseResult,
} from './history.js';
export {
  checkHistory, checkDefaults,
  type CheckOptions, type CheckResult, type CheckStatus, type KeyResult, type KeyStatus, type IllegalWitness,
} from './linearizability.js';
export type { DeadEndReason } from './search.js';
export { runCheckCli, formatReport, exitCodeOf, checkExitCodes, type CheckCliResult } from './cli-report.js';
export {
  checkExactlyOnce, type ExactlyOnceOptions, type ExactlyOnceProperty, type ExactlyOnceReport, type ExactlyOnceViolation, type OracleTask,
} from './exactly-once.js';
export { taskHistoryLines, type AppliedTaskRecord, type ResponseOutcome, type TaskHistory, type WorkerObservation } from './task-history.js';
