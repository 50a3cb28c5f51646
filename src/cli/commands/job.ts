/** `keel job submit|status|results|cancel|list` and `keel workers`. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import type { JobEvent, SubmitJobRequest } from '../../api/wire-tasks.js';
import { ProgressBar } from '../progress.js';
import { clientFrom, runAction, UsageError, withClientFlags, withUsageExit, writeOut, type ClientFlags } from './common.js';

interface SubmitFlags extends ClientFlags {
  readonly file?: string;
  readonly module?: string;
  readonly handler?: string;
  readonly input?: string;
  readonly inputs?: string;
  readonly maxAttempts?: string;
  readonly policy?: string;
  readonly wait: boolean;
}

export function registerJobCommands(program: Command): Command {
  const job = withUsageExit(program.command('job')).description('submit and follow jobs');
  withClientFlags(
    job.command('submit')
      .description('submit a job: from a JSON file, a module function, or one handler over inputs')
      .option('--file <job.json>', 'the job as JSON (POST /v1/jobs body)')
      .option('--module <path>', 'a .ts/.js module whose default export is a function returning the job (or the job itself)')
      .option('--handler <name>', 'the handler of every task (with --input or --inputs)')
      .option('--input <json>', 'one task with this JSON input')
      .option('--inputs <json-array>', 'one task per element of this JSON array')
      .option('--max-attempts <n>', 'attempts per task before dead-lettering (default 5)')
      .option('--policy <name>', 'least-loaded, round-robin, random, weighted or affinity')
      .option('--wait', 'follow the job with a progress bar until it finishes, then print a summary', false),
  ).action((flags: SubmitFlags) => runAction(async () => {
    const request = await jobRequest(flags);
    const client = clientFrom(flags);
    const handle = await client.jobs.submit(request);
    writeOut(`job ${handle.jobId} submitted: ${handle.taskIds.length} tasks`);
    if (!flags.wait) return;
    const bar = new ProgressBar(handle.jobId);
    const total = handle.taskIds.length;
    let retries = 0;
    let last: Extract<JobEvent, { type: 'progress' }> | undefined;
    for await (const event of handle.events()) {
      if (event.type === 'task' && event.event === 'retry') retries += 1;
      if (event.type === 'progress') last = event;
      if (last !== undefined) {
        const c = last.counts;
        const notes = [`running ${c.running}`, retries > 0 ? `retries ${retries}` : '', c.deadLettered > 0 ? `dead-lettered ${c.deadLettered}` : ''];
        bar.update({ done: c.succeeded + c.failed + c.deadLettered + c.cancelled, total, note: notes.filter((n) => n !== '').join(', ') });
      }
    }
    const final = await handle.status();
    const c = final.counts;
    bar.finish({ done: c.succeeded + c.failed + c.deadLettered + c.cancelled, total });
    writeOut(`job ${final.jobId} ${final.state}: ${c.succeeded} succeeded, ${c.deadLettered} dead-lettered, ${c.failed} failed, ${c.cancelled} cancelled`);
    if (final.state !== 'succeeded') {
      const dead = final.tasks.find((t) => t.status === 'deadLettered');
      if (dead !== undefined) writeOut(`first dead letter: keel job status ${final.jobId} --json, or GET /v1/tasks/${final.jobId}/${dead.id} for its last error`);
      process.exitCode = 1;
    }
  }));

  withClientFlags(job.command('status').description('a job\'s state, counts and tasks').argument('<jobId>').option('--json', 'print JSON', false))
    .action((jobId: string, flags: ClientFlags & { json: boolean }) => runAction(async () => {
      const status = await clientFrom(flags).jobs.get(jobId);
      if (flags.json) return writeOut(JSON.stringify(status, null, 2));
      const c = status.counts;
      writeOut(`job ${status.jobId}: ${status.state} (policy ${status.policy}, max attempts ${status.maxAttempts})`);
      writeOut(`  pending ${c.pending}  running ${c.running}  succeeded ${c.succeeded}  failed ${c.failed}  dead-lettered ${c.deadLettered}  cancelled ${c.cancelled}`);
      for (const t of status.tasks.slice(0, 50)) writeOut(`  ${t.id.padEnd(16)} ${t.status.padEnd(12)} attempt ${t.attempt}${t.worker === undefined ? '' : ` on ${t.worker}`}`);
      if (status.tasks.length > 50) writeOut(`  ... ${status.tasks.length - 50} more (--json for all)`);
    }));

  withClientFlags(job.command('results').description('the committed results of a job (JSON lines)').argument('<jobId>'))
    .action((jobId: string, flags: ClientFlags) => runAction(async () => {
      for (const r of await clientFrom(flags).jobs.results(jobId)) writeOut(JSON.stringify(r));
    }));

  withClientFlags(job.command('cancel').description('cancel a running job').argument('<jobId>'))
    .action((jobId: string, flags: ClientFlags) => runAction(async () => {
      const r = await clientFrom(flags).jobs.cancel(jobId);
      writeOut(`job ${r.jobId} cancelled (${r.cancelled} tasks)`);
    }));

  withClientFlags(job.command('list').description('jobs the cluster keeps'))
    .action((flags: ClientFlags) => runAction(async () => {
      for (const j of (await clientFrom(flags).jobs.list()).jobs) writeOut(`${j.jobId.padEnd(24)} ${j.state.padEnd(10)} ${j.counts.succeeded}/${j.total} succeeded`);
    }));

  withClientFlags(program.command('workers').description('registered workers with their load'))
    .action((flags: ClientFlags) => runAction(async () => {
      const { workers } = await clientFrom(flags).workersList();
      if (workers.length === 0) writeOut('no workers registered');
      for (const w of workers) writeOut(`${w.workerId.padEnd(32)} ${w.status.padEnd(5)} running ${w.running}/${w.capacity}  handlers ${w.handlers.join(',')}`);
    }));
  return job;
}

async function jobRequest(flags: SubmitFlags): Promise<SubmitJobRequest> {
  const sources = [flags.file, flags.module, flags.handler].filter((s) => s !== undefined).length;
  if (sources !== 1) throw new UsageError('give exactly one of --file, --module or --handler');
  let request: SubmitJobRequest;
  if (flags.file !== undefined) {
    request = parseJson(readFileSync(flags.file, 'utf8'), `--file ${flags.file}`) as SubmitJobRequest;
  } else if (flags.module !== undefined) {
    if (/\.[cm]?ts$/.test(flags.module) && !process.execArgv.some((a) => a.includes('tsx'))) (await import('tsx/esm/api')).register();
    const mod = (await import(pathToFileURL(resolve(flags.module)).href)) as { default?: unknown };
    const exported = mod.default;
    request = (typeof exported === 'function' ? await (exported as () => unknown)() : exported) as SubmitJobRequest;
    if (typeof request !== 'object' || request === null || !Array.isArray(request.tasks)) throw new UsageError(`--module ${flags.module}: the default export must be (or return) a job { tasks: [...] }`);
  } else {
    const inputs = flags.inputs !== undefined ? parseJson(flags.inputs, '--inputs') : [flags.input === undefined ? null : parseJson(flags.input, '--input')];
    if (!Array.isArray(inputs) || inputs.length === 0) throw new UsageError('--inputs must be a non-empty JSON array');
    request = { tasks: inputs.map((input) => ({ handler: flags.handler!, input: input as never })) };
  }
  return {
    ...request,
    ...(flags.maxAttempts === undefined ? {} : { maxAttempts: Number(flags.maxAttempts) }),
    ...(flags.policy === undefined ? {} : { policy: flags.policy as SubmitJobRequest['policy'] & string }),
  };
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${where} is not JSON: ${(error as Error).message}`);
  }
}
