import { KeelError } from '../core/errors.js';

/** Upper bound of `sampleCountMax` (STYLE.md: a limit on everything that grows). */
export const sampleCountMaxLimit = 10_000;
/** Upper bound of `monitoredCountMax`. */
export const monitoredCountMaxLimit = 1_000_000;

export interface PhiAccrualOptionsInput {
  /** Suspect an id once its phi reaches this (phi = k: a heartbeat this late has probability ~10^-k). */
  readonly phiThreshold?: number;
  /** Inter-arrival times kept per id; the mean and deviation are over these. */
  readonly sampleCountMax?: number;
  /**
   * Floor of the standard deviation. Very regular heartbeats would otherwise give a tiny
   * deviation, and phi would shoot up at the first few milliseconds of delay.
   */
  readonly stdDeviationMsMin?: number;
  /** Extra silence tolerated on top of the mean interval before phi starts to climb (GC, network hiccups). */
  readonly acceptableHeartbeatPauseMs?: number;
  /** Expected interval before any is measured; seeds the history with estimate -/+ estimate/4. */
  readonly firstHeartbeatEstimateMs?: number;
  /** Ids monitored at once; a heartbeat from one more id is refused with TOO_LARGE. */
  readonly monitoredCountMax?: number;
}

export type PhiAccrualOptions = Readonly<Required<PhiAccrualOptionsInput>>;

/**
 * Defaults tuned for heartbeats every 100 ms (the worker heartbeat of the task engine, issue 6):
 * a silent id is suspected ~0.86 s after its last heartbeat (docs/membership.md has the figures).
 * Akka's cluster defaults (3 s pause, 100 ms deviation floor, 1 s interval) are for 1 s heartbeats.
 */
export const phiAccrualDefaults = Object.freeze({
  phiThreshold: 8,
  sampleCountMax: 100,
  stdDeviationMsMin: 50,
  acceptableHeartbeatPauseMs: 500,
  firstHeartbeatEstimateMs: 100,
  monitoredCountMax: 10_000,
} as const satisfies Required<PhiAccrualOptionsInput>);

export interface HeartbeatTimeoutOptionsInput {
  /** Suspect an id once this long has passed since its last heartbeat. */
  readonly timeoutMs?: number;
  /** Ids monitored at once; a heartbeat from one more id is refused with TOO_LARGE. */
  readonly monitoredCountMax?: number;
}

export type HeartbeatTimeoutOptions = Readonly<Required<HeartbeatTimeoutOptionsInput>>;

export const heartbeatTimeoutDefaults = Object.freeze({
  timeoutMs: 1000,
  monitoredCountMax: 10_000,
} as const satisfies Required<HeartbeatTimeoutOptionsInput>);

/** Fills defaults, rejects unknown keys, lists every problem at once, returns a frozen object. */
export function resolvePhiAccrualOptions(input: PhiAccrualOptionsInput = {}): PhiAccrualOptions {
  const problems = unknownKeys(input, phiAccrualDefaults);
  const options: PhiAccrualOptions = Object.freeze({ ...phiAccrualDefaults, ...input });
  checkNumber(problems, 'phiThreshold', options.phiThreshold, { min: 0, minExclusive: true });
  checkNumber(problems, 'sampleCountMax', options.sampleCountMax, { integer: true, min: 1, max: sampleCountMaxLimit });
  checkNumber(problems, 'stdDeviationMsMin', options.stdDeviationMsMin, { min: 0, minExclusive: true });
  checkNumber(problems, 'acceptableHeartbeatPauseMs', options.acceptableHeartbeatPauseMs, { min: 0 });
  checkNumber(problems, 'firstHeartbeatEstimateMs', options.firstHeartbeatEstimateMs, { min: 0, minExclusive: true });
  checkNumber(problems, 'monitoredCountMax', options.monitoredCountMax, { integer: true, min: 1, max: monitoredCountMaxLimit });
  throwIfProblems('phi accrual detector', problems);
  return options;
}

/** Fills defaults, rejects unknown keys, lists every problem at once, returns a frozen object. */
export function resolveHeartbeatTimeoutOptions(input: HeartbeatTimeoutOptionsInput = {}): HeartbeatTimeoutOptions {
  const problems = unknownKeys(input, heartbeatTimeoutDefaults);
  const options: HeartbeatTimeoutOptions = Object.freeze({ ...heartbeatTimeoutDefaults, ...input });
  checkNumber(problems, 'timeoutMs', options.timeoutMs, { min: 0, minExclusive: true });
  checkNumber(problems, 'monitoredCountMax', options.monitoredCountMax, { integer: true, min: 1, max: monitoredCountMaxLimit });
  throwIfProblems('heartbeat timeout detector', problems);
  return options;
}

interface NumberRule {
  readonly integer?: boolean;
  readonly min: number;
  readonly minExclusive?: boolean;
  readonly max?: number;
}

function checkNumber(problems: string[], key: string, value: unknown, rule: NumberRule): void {
  const got = `got ${typeof value === 'number' ? String(value) : JSON.stringify(value) ?? typeof value}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    problems.push(`${key} must be a finite number, ${got}`);
    return;
  }
  if (rule.integer === true && !Number.isSafeInteger(value)) problems.push(`${key} must be an integer, ${got}`);
  if (rule.minExclusive === true ? value <= rule.min : value < rule.min) {
    problems.push(`${key} must be ${rule.minExclusive === true ? '>' : '>='} ${rule.min}, ${got}`);
  }
  if (rule.max !== undefined && value > rule.max) problems.push(`${key} must be <= ${rule.max}, ${got}`);
}

function unknownKeys(input: object, defaults: object): string[] {
  const known = new Set(Object.keys(defaults));
  return Object.keys(input).filter((key) => !known.has(key)).map((key) => `unknown option "${key}"`);
}

function throwIfProblems(what: string, problems: readonly string[]): void {
  if (problems.length > 0) {
    throw new KeelError('CONFIG_INVALID', `invalid ${what} options: ${problems.join('; ')}`, { data: { problems } });
  }
}
