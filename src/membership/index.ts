export type { FailureDetector, MonitorStatus } from './failure-detector.js';
export { PhiAccrualDetector, type IntervalStats } from './phi-accrual-detector.js';
export { HeartbeatTimeoutDetector } from './heartbeat-timeout-detector.js';
export { Suspicions, type DetectionSummary, type SuspicionCause, type SuspicionEvent, type SuspicionMetrics } from './suspicions.js';
export {
  heartbeatTimeoutDefaults,
  phiAccrualDefaults,
  resolveHeartbeatTimeoutOptions,
  resolvePhiAccrualOptions,
  type HeartbeatTimeoutOptions,
  type HeartbeatTimeoutOptionsInput,
  type PhiAccrualOptions,
  type PhiAccrualOptionsInput,
} from './options.js';
export { logisticNormalCdf, phiOf } from './phi.js';
