/** Messages between the worker's main thread and its handler threads. */
import type { ResultView } from '../api/wire-tasks.js';
import type { CheckpointView, JsonValue } from '../tasks/index.js';

export interface RunAttempt {
  readonly type: 'run';
  readonly runId: number;
  readonly jobId: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly handler: string;
  readonly input: JsonValue;
  readonly checkpoint?: CheckpointView;
}

export type ToThread =
  | RunAttempt
  | { readonly type: 'abort'; readonly runId: number; readonly reason: string }
  | { readonly type: 'reply'; readonly callId: number; readonly ok: true; readonly value?: readonly ResultView[] }
  | { readonly type: 'reply'; readonly callId: number; readonly ok: false; readonly message: string };

export interface HandlerError {
  readonly message: string;
  readonly stack?: string;
  readonly retryable: boolean;
}

export type FromThread =
  | { readonly type: 'ready'; readonly handlers: readonly string[] }
  | { readonly type: 'loadError'; readonly message: string }
  | {
      readonly type: 'call'; readonly runId: number; readonly callId: number;
      readonly op: 'checkpoint'; readonly state: JsonValue;
    }
  | { readonly type: 'call'; readonly runId: number; readonly callId: number; readonly op: 'step'; readonly name: string; readonly result: JsonValue }
  | { readonly type: 'call'; readonly runId: number; readonly callId: number; readonly op: 'results' }
  | { readonly type: 'done'; readonly runId: number; readonly ok: true; readonly output: JsonValue }
  | { readonly type: 'done'; readonly runId: number; readonly ok: false; readonly error: HandlerError };
