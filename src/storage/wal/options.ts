import { KeelError } from '../../core/errors.js';
import type { Timers } from '../../ports/clock.js';
import type { FileSystem } from '../../ports/file-system.js';
import { RECORD_HEADER_SIZE, SEGMENT_HEADER_SIZE, frameSize } from './format.js';

/**
 * When an append's promise resolves.
 * - `always`: after the batch holding it is fdatasynced (default; group commit coalesces callers).
 * - `batch`: the same, but a batch waits up to `batchDelayMsMax` for more callers first.
 * - `unsafe-none`: after the write() only; a crash loses acknowledged records. Benchmarks only.
 */
export type FsyncPolicy = 'always' | 'batch' | 'unsafe-none';

export interface WalOptionsInput {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly timers?: Timers;
  readonly fsync?: FsyncPolicy;
  readonly batchDelayMsMax?: number;
  readonly batchBytesMax?: number;
  readonly segmentSizeBytes?: number;
  readonly recordPayloadBytesMax?: number;
  /** Create the directory when it does not exist (a first start). */
  readonly createIfMissing?: boolean;
  /** Open a log with mid-log corruption by truncating at the first bad record (loses records after it). */
  readonly salvage?: boolean;
}

export interface WalOptions extends Required<Omit<WalOptionsInput, 'timers'>> {
  readonly timers: Timers | undefined;
}

export const walDefaults = {
  fsync: 'always',
  batchDelayMsMax: 2,
  batchBytesMax: 4 * 1024 * 1024,
  segmentSizeBytes: 64 * 1024 * 1024,
  recordPayloadBytesMax: 16 * 1024 * 1024,
  createIfMissing: true,
  salvage: false,
} as const satisfies Partial<WalOptionsInput>;

const knownKeys = new Set(['fs', 'dir', 'timers', ...Object.keys(walDefaults)]);

/** Fills defaults, rejects unknown keys, checks relations; lists every problem at once. */
export function resolveWalOptions(input: WalOptionsInput): WalOptions {
  const problems: string[] = [];
  for (const key of Object.keys(input)) if (!knownKeys.has(key)) problems.push(`unknown option "${key}"`);
  const options: WalOptions = Object.freeze({ ...walDefaults, ...input, timers: input.timers });
  if (!['always', 'batch', 'unsafe-none'].includes(options.fsync)) problems.push(`fsync must be always, batch or unsafe-none, got "${String(options.fsync)}"`);
  if (options.fsync === 'batch' && options.timers === undefined) problems.push('fsync "batch" needs a timers port');
  positiveInteger('segmentSizeBytes', options.segmentSizeBytes, problems);
  positiveInteger('recordPayloadBytesMax', options.recordPayloadBytesMax, problems);
  positiveInteger('batchBytesMax', options.batchBytesMax, problems);
  if (!(options.batchDelayMsMax >= 0)) problems.push('batchDelayMsMax must be >= 0');
  if (options.segmentSizeBytes % 4096 !== 0) problems.push('segmentSizeBytes must be a multiple of 4096');
  if (frameSize(options.recordPayloadBytesMax) + SEGMENT_HEADER_SIZE > options.segmentSizeBytes) {
    problems.push(`recordPayloadBytesMax (${options.recordPayloadBytesMax}) + ${RECORD_HEADER_SIZE + SEGMENT_HEADER_SIZE} bytes of headers must fit in segmentSizeBytes (${options.segmentSizeBytes})`);
  }
  if (options.dir.length === 0) problems.push('dir must not be empty');
  if (problems.length > 0) throw new KeelError('CONFIG_INVALID', `invalid WAL options: ${problems.join('; ')}`, { data: { problems } });
  return options;
}

function positiveInteger(name: string, value: number, problems: string[]): void {
  if (!(Number.isSafeInteger(value) && value > 0)) problems.push(`${name} must be a positive integer, got ${value}`);
}
