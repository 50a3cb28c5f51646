/**
 * Handler threads, one per unit of capacity. A thread that does not stop within the grace period
 * after an abort (a handler ignoring its signal, or stuck in a loop) is terminated and replaced,
 * so a hung handler costs one attempt, never the worker.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { KeelError } from '../core/errors.js';
import type { FromThread, RunAttempt, ToThread } from './messages.js';

export interface PoolEvents {
  message(thread: HandlerThread, message: FromThread): void;
  /** A thread died with attempts on it (crashed, or terminated after an abort): they are lost. */
  lost(runIds: readonly number[], reason: string): void;
}

/** From the sources (tsx, vitest) the entry is TypeScript, loaded through a bootstrap that registers tsx in the thread; from dist it is plain JS. */
function threadEntry(): URL {
  const ts = new URL('./thread-entry.ts', import.meta.url);
  return existsSync(fileURLToPath(ts)) ? new URL('./thread-bootstrap.mjs', import.meta.url) : new URL('./thread-entry.js', import.meta.url);
}

export class HandlerThread {
  readonly runs = new Set<number>();
  private readonly worker: Worker;
  exited = false;
  /** The module loaded: the thread takes attempts. */
  ready = false;

  exitReason = '';

  constructor(tasksPath: string, private readonly events: PoolEvents, onExit: (thread: HandlerThread) => void) {
    this.worker = new Worker(threadEntry(), { workerData: { tasksPath } });
    this.worker.on('message', (message: FromThread) => {
      if (message.type === 'done') this.runs.delete(message.runId);
      if (message.type === 'ready') this.ready = true;
      events.message(this, message);
    });
    this.worker.on('error', (error) => this.died(`thread crashed: ${error.message}`, onExit));
    this.worker.on('exit', (code) => this.died(`thread exited with code ${code}`, onExit));
  }

  post(message: ToThread): void {
    if (!this.exited) this.worker.postMessage(message);
  }

  run(attempt: RunAttempt): void {
    this.runs.add(attempt.runId);
    this.post(attempt);
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }

  private died(reason: string, onExit: (thread: HandlerThread) => void): void {
    if (this.exited) return;
    this.exited = true;
    this.exitReason = reason;
    const lost = [...this.runs];
    this.runs.clear();
    if (lost.length > 0) this.events.lost(lost, reason);
    onExit(this);
  }
}

export class ThreadPool {
  private readonly threads = new Set<HandlerThread>();
  private closed = false;

  constructor(private readonly tasksPath: string, private readonly size: number, private readonly events: PoolEvents) {}

  /** Starts the threads; resolves with the handler names once the first loads the module, rejects if it cannot. */
  async start(): Promise<readonly string[]> {
    const ready = new Promise<readonly string[]>((resolve, reject) => {
      const first = new HandlerThread(this.tasksPath, {
        message: (thread, message) => {
          if (message.type === 'ready') resolve(message.handlers);
          else if (message.type === 'loadError') reject(new KeelError('BAD_REQUEST', message.message));
          this.events.message(thread, message);
        },
        lost: (runIds, reason) => this.events.lost(runIds, reason),
      }, (thread) => {
        reject(new KeelError('INTERNAL', `the first handler thread died while loading the tasks module: ${thread.exitReason}`));
        this.replace(thread);
      });
      this.threads.add(first);
    });
    const handlers = await ready;
    while (this.threads.size < this.size) this.spawn();
    // Capacity is advertised only once every thread can take an attempt (loading a .ts module
    // through tsx takes a while per thread).
    while (!this.closed && [...this.threads].some((t) => !t.ready && !t.exited)) await new Promise((r) => setTimeout(r, 20));
    return handlers;
  }

  /** The thread with the fewest runs (each thread runs one attempt at a time by the capacity rule). */
  idle(): HandlerThread | undefined {
    let best: HandlerThread | undefined;
    for (const thread of this.threads) if (!thread.exited && thread.ready && (best === undefined || thread.runs.size < best.runs.size)) best = thread;
    return best !== undefined && best.runs.size === 0 ? best : undefined;
  }

  /** Ends a thread (a hung handler); a fresh one takes its place. */
  async kill(thread: HandlerThread): Promise<void> {
    await thread.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.threads].map((t) => t.terminate()));
    this.threads.clear();
  }

  private spawn(): void {
    this.threads.add(new HandlerThread(this.tasksPath, this.events, (thread) => this.replace(thread)));
  }

  private replace(thread: HandlerThread): void {
    this.threads.delete(thread);
    if (!this.closed) this.spawn();
  }
}
