/** Handlers of `bench:tasks`: a trivial task (the engine's own cost) and a long one (worker failover). */
import { defineTasks } from '../src/worker/sdk.js';

export default defineTasks({
  trivial(input: { i: number }) {
    return { i: input.i };
  },
  async long(input: { ms: number }, ctx) {
    const until = Date.now() + input.ms;
    while (Date.now() < until && !ctx.signal.aborted) await new Promise((r) => setTimeout(r, 50));
    return { attempt: ctx.attempt.token };
  },
});
