/**
 * The handlers the tasks workload's workers run (`keel worker --tasks <this file>`). Outputs say
 * which attempt (fencing token) and which worker process produced them, so the checker can tell
 * a zombie's result from the live attempt's: the harness starts each worker with
 * KEEL_CHAOS_WORKER set to its id. Neither handler ever fails by itself.
 */
import { defineTasks } from '../worker/sdk.js';
import type { CountInput, CountOutput, SquareInput, SquareOutput } from './task-records.js';

const workerId = (): string | null => process.env.KEEL_CHAOS_WORKER ?? null;

export default defineTasks({
  square(input: SquareInput, ctx): SquareOutput {
    return { n: input.n, square: input.n * input.n, attempt: ctx.attempt.token, worker: workerId() };
  },

  /** Counts to `steps`, sleeping `stepMs` and checkpointing after each step; a re-run resumes where the last attempt left off. */
  async count(input: CountInput, ctx): Promise<CountOutput> {
    const saved = await ctx.checkpointed<{ at: number; resumedFrom: number[] }>();
    const state = saved ?? { at: 0, resumedFrom: [] };
    if (state.at > 0) state.resumedFrom.push(state.at);
    while (state.at < input.steps) {
      if (ctx.signal.aborted) throw new Error('aborted: the lease ended');
      await new Promise((resolve) => setTimeout(resolve, input.stepMs));
      state.at += 1;
      await ctx.checkpoint(state);
    }
    return { at: state.at, resumedFrom: state.resumedFrom, attempt: ctx.attempt.token, worker: workerId() };
  },
});
