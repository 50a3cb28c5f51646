/**
 * `keel demo` (what `npm start` runs): a local cluster of real processes runs a map/reduce word
 * count over the corpus while a scripted sequence of faults hits it (kill -9 of a worker, a
 * paused worker that returns as a zombie, kill -9 of the Raft leader, restarts); then a recovery
 * report and the result, checked against the same count done in this one process.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobEvent, ResultView } from '../../api/wire-tasks.js';
import { KeelClient } from '../../client/index.js';
import { KeelError } from '../../core/errors.js';
import { ProgressBar } from '../progress.js';
import { corpusBytesMax, countLocally, listCorpus, planSplits, splitBytesFor, type CorpusFile, type Split } from './corpus.js';
import { DemoProcesses } from './demo-processes.js';
import { FaultRunner } from './fault-runner.js';
import { describeAction, faultSchedule } from './fault-schedule.js';
import { metricSum, scrapeMetrics } from './metrics-text.js';
import { formatCount, formatReport, formatResult } from './report.js';
import { TaskTimeline } from './timeline.js';
import { paceBatchLines, type MapItem, type MapOutput, type ReduceOutput } from './word-count-tasks.js';
import { sameSummary, summarize } from './word-count.js';

export interface JobDemoOptions {
  readonly nodes: number;
  readonly workers: number;
  /** Handler threads per worker. */
  readonly capacity: number;
  /** A file or directory of text; default: the corpus shipped with Keel. */
  readonly corpus?: string;
  readonly faults: boolean;
  readonly keep: boolean;
  /** Wiped at the start. */
  readonly dir: string;
  /** Target length of the map phase in seconds (a simulated per-line cost); 0 runs at full speed. */
  readonly durationS: number;
}

const topCount = 10;
const startupMsMax = 60_000;

const here = dirname(fileURLToPath(import.meta.url));
const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The compiled module next to this one when running from dist, the TypeScript source otherwise. */
export function wordCountTasksPath(): string {
  const js = join(here, 'word-count-tasks.js');
  return existsSync(js) ? js : join(here, 'word-count-tasks.ts');
}

/** `corpus/` at the package root (this file is in src/cli/demo or dist/cli/demo). */
export function shippedCorpusDir(): string {
  return resolve(here, '..', '..', '..', 'corpus');
}

/** About five checkpoints per split, on a batch boundary (for the shipped corpus: every 64 lines). */
export function checkpointEveryLinesFor(linesPerSplit: number): number {
  return Math.max(paceBatchLines, Math.round(linesPerSplit / 5 / paceBatchLines) * paceBatchLines);
}

/** Per-line cost that makes the map phase last about `durationS` with every handler thread busy. */
export function msPerLineFor(durationS: number, slots: number, lines: number): number {
  if (durationS <= 0 || lines === 0) return 0;
  return Math.round((durationS * 1000 * slots * 1000) / lines) / 1000;
}

/** Marks a directory as the demo's, so that a later run may wipe it. */
const demoMarker = '.keel-demo';

/** Empties `dir` for a new run, refusing a non-empty directory the demo did not create (a mistyped --dir). */
function wipeDemoDir(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, demoMarker))) {
    throw new KeelError('BAD_REQUEST', `${dir} is not empty and was not made by keel demo: choose another --dir (the demo wipes it)`);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, demoMarker), 'written by keel demo, which wipes this directory at each run\n');
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = startupMsMax): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // Not up yet: the deadline below bounds the waiting.
    }
    if (Date.now() > deadline) throw new KeelError('TIMEOUT', `${what} did not happen within ${timeoutMs / 1000} s (logs in the demo directory)`);
    await sleep(100);
  }
}

interface LoadedCorpus {
  readonly files: readonly CorpusFile[];
  readonly splits: readonly Split[];
  readonly bytes: number;
  readonly lines: number;
}

function loadCorpus(path: string): LoadedCorpus {
  if (!existsSync(path)) throw new KeelError('BAD_REQUEST', `corpus ${path} does not exist`);
  const files = listCorpus(path);
  const bytes = files.reduce((n, f) => n + f.sizeBytes, 0);
  if (files.length === 0) throw new KeelError('BAD_REQUEST', `no .txt file with text in ${path}`);
  if (bytes > corpusBytesMax) throw new KeelError('BAD_REQUEST', `the corpus is ${formatCount(bytes)} bytes; the demo takes at most ${formatCount(corpusBytesMax)}`);
  const splits = planSplits(files, splitBytesFor(bytes));
  return { files, splits, bytes, lines: splits.reduce((n, s) => n + s.lines, 0) };
}

export async function runJobDemo(options: JobDemoOptions): Promise<number> {
  const corpusPath = resolve(options.corpus ?? shippedCorpusDir());
  const corpus = loadCorpus(corpusPath);
  const dir = resolve(options.dir);
  wipeDemoDir(dir);
  const procs = await DemoProcesses.plan(dir, options.nodes, wordCountTasksPath());
  // Ctrl-C: stop every child by PID, then exit (0 once a verified result was printed under --keep).
  let stopping: Promise<void> | undefined;
  let resultCode: number | undefined;
  const onSignal = (): void => {
    if (stopping !== undefined) return;
    process.stderr.write('\nstopping every demo process...\n');
    stopping = procs.stopAll().then(() => process.exit(resultCode ?? 130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    resultCode = await runWithCluster(options, procs, corpus, dir);
    if (options.keep && stopping === undefined) {
      out(`\nThe cluster is still running (--keep): dashboard http://${procs.layout.nodes[0]!.http}/  endpoints ${procs.endpoints.join(',')}`);
      out('Press Ctrl-C to stop it.');
      await new Promise(() => undefined);
    }
    return resultCode;
  } catch (error) {
    // Interrupted: the errors of a cluster being stopped under the job are expected.
    if (stopping !== undefined) {
      await stopping;
      return 130;
    }
    throw error;
  } finally {
    if (stopping === undefined) await procs.stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function runWithCluster(options: JobDemoOptions, procs: DemoProcesses, corpus: LoadedCorpus, dir: string): Promise<number> {
  const slots = options.workers * options.capacity;
  const msPerLine = msPerLineFor(options.durationS, slots, corpus.lines);
  const checkpointEveryLines = checkpointEveryLinesFor(corpus.lines / corpus.splits.length);
  out('Keel demo: a map/reduce word count on a local cluster of real processes, under faults');
  out(`corpus: ${corpus.files.length} files, ${formatCount(corpus.bytes)} bytes, ${formatCount(corpus.lines)} lines (${options.corpus ?? 'the corpus shipped with Keel'})`);
  out(`job: ${corpus.splits.length} map tasks (one split each, checkpoint every ${checkpointEveryLines} lines${msPerLine > 0 ? `, ${msPerLine} ms simulated work per line` : ''}) + 1 reduce`);

  const started = Date.now();
  for (const node of procs.layout.nodes) procs.startNode(node.id);
  const client = new KeelClient({ endpoints: procs.endpoints, timeoutMs: 2_000, retries: 20 });
  const leader = await until('electing a leader', async () => (await client.cluster()).leaderId ?? undefined);
  const workerIds = Array.from({ length: options.workers }, (_, i) => `w${i + 1}`);
  for (const id of workerIds) procs.startWorker(id, options.capacity);
  await until(`${options.workers} workers joining`, async () => ((await client.workersList()).workers.filter((w) => w.status === 'up').length >= options.workers ? true : undefined));
  out(`cluster: ${options.nodes} nodes (${procs.layout.nodes.map((n) => `${n.id} ${n.http}`).join(', ')}), leader ${leader}; ` +
    `${options.workers} workers x ${options.capacity} threads; up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  out(`dashboard: http://${procs.layout.nodes[0]!.http}/    data and logs: ${dir}`);
  const steps = options.faults ? faultSchedule({ workers: workerIds, nodes: options.nodes }) : [];
  out(steps.length === 0 ? 'faults: none (--no-faults)' : `faults: ${steps.map((s) => describeAction(s.action).replace(/ \(.*\)$/, '')).join('; ')}`);
  out();

  const outputDir = join(dir, 'map-output');
  mkdirSync(outputDir, { recursive: true });
  const items: MapItem[] = corpus.splits.map((s) => ({ ...s, msPerLine, checkpointEveryLines, outputDir }));
  const job = await client.jobs.mapReduce({ items, map: 'wordcount.map', chunk: 1, reduce: { handler: 'wordcount.reduce', input: { top: topCount } }, maxAttempts: 20 });
  const jobStarted = Date.now();
  const timeline = new TaskTimeline();
  const bar = new ProgressBar('word count');
  const total = corpus.splits.length + 1;
  let currentLeader: string | undefined = leader;
  /** Every leader the poller saw, in order, with its term. */
  const leaders: { id: string; term: number }[] = [];
  let succeeded = 0;

  // Events from a follower first: the stream then survives the leader's death without a gap.
  const followersFirst = [...procs.layout.nodes.filter((n) => n.id !== leader), ...procs.layout.nodes.filter((n) => n.id === leader)];
  const eventsClient = new KeelClient({ endpoints: followersFirst.map((n) => `http://${n.http}`), timeoutMs: 2_000, retries: 50 });
  const clientFor = (exclude: readonly string[]): KeelClient => new KeelClient({
    endpoints: procs.layout.nodes.filter((n) => !exclude.includes(n.id)).map((n) => `http://${n.http}`), timeoutMs: 500, retries: 2, backoffMaxMs: 100,
  });
  const runner = new FaultRunner(steps, {
    procs, client, clientFor, timeline, bar, jobId: job.jobId, capacity: options.capacity, startedMs: jobStarted, leader: () => currentLeader,
    outputDir, checkpointEveryLines,
  });

  const pollClient = clientFor([]);
  let polling = false;
  const leaderPoll = setInterval(() => {
    if (polling) return;
    polling = true;
    void pollClient.cluster()
      .then((c) => {
        currentLeader = c.leaderId ?? undefined;
        if (c.leaderId !== null && leaders.at(-1)?.id !== c.leaderId) leaders.push({ id: c.leaderId, term: c.term });
      }, () => {
        currentLeader = undefined;
      })
      .finally(() => {
        polling = false;
      });
  }, 250);

  let finished = false;
  const stopEvents = new AbortController();
  const resultsPromise = eventsClient.jobs.handle(job.jobId).result({
    signal: stopEvents.signal,
    onProgress: (event: JobEvent) => {
      timeline.record(event, Date.now());
      if (event.type === 'progress') succeeded = event.counts.succeeded;
    },
  }).finally(() => {
    finished = true;
  });
  try {
    while (!finished) {
      const note = `${timeline.throughput(Date.now()).toFixed(1)} tasks/s  leader ${currentLeader ?? '(electing)'}`;
      bar.update({ done: succeeded, total, note });
      runner.tick(Math.min(succeeded, corpus.splits.length) / corpus.splits.length);
      await Promise.race([resultsPromise.then(() => undefined, () => undefined), sleep(100)]);
    }
  } finally {
    clearInterval(leaderPoll);
    stopEvents.abort();
  }
  const results = await resultsPromise;
  const jobMs = Date.now() - jobStarted;
  // The raw material of the report, for a closer look.
  writeFileSync(join(dir, 'timeline.json'), JSON.stringify({ startedMs: jobStarted, events: timeline.events, progress: timeline.progress }));
  bar.finish({ done: total, total, note: `done in ${(jobMs / 1000).toFixed(1)} s` });
  return report(client, procs, runner, job.jobId, results, corpus, jobMs, leaders);
}

async function report(
  client: KeelClient, procs: DemoProcesses, runner: FaultRunner, jobId: string, results: readonly ResultView[], corpus: LoadedCorpus, jobMs: number,
  leaders: readonly { id: string; term: number }[],
): Promise<number> {
  const byTask = new Map(results.map((r) => [r.taskId, r]));
  const outcomes = await runner.finish(byTask);
  const status = await client.jobs.get(jobId);
  let metrics: string | undefined;
  for (const endpoint of procs.endpoints) metrics ??= await scrapeMetrics(endpoint);
  const maps = results.filter((r) => r.taskId.startsWith('map-')).map((r) => r.output as unknown as MapOutput);
  const resumed = maps.filter((m) => m.resumedFrom.length > 0);
  for (const line of formatReport(outcomes, {
    mapTasks: corpus.splits.length, attempts: status.tasks.reduce((n, t) => n + t.attempt, 0), deadLettered: status.counts.deadLettered,
    resumedTasks: resumed.length, linesSaved: resumed.reduce((n, m) => n + m.resumedFrom.reduce((a, b) => a + b, 0), 0), corpusLines: corpus.lines,
    zombieResults: metricSum(metrics ?? '', 'keel_task_zombie_results_rejected') ?? 0, zombieCheckpoints: metricSum(metrics ?? '', 'keel_task_zombie_checkpoints_rejected') ?? 0, jobMs,
    leaders,
  })) out(line);
  for (const action of runner.notRun()) out(`  not run (the job finished first): ${describeAction(action)}`);

  const reduce = byTask.get('reduce')?.output as unknown as ReduceOutput | undefined;
  const problems: string[] = [];
  if (reduce === undefined) problems.push('the job has no reduce result');
  if (maps.length !== corpus.splits.length) problems.push(`${maps.length} map results for ${corpus.splits.length} splits`);
  const lineMismatch = maps.filter((m) => corpus.splits.find((s) => s.file === m.file && s.start === m.start)?.lines !== m.lines);
  if (lineMismatch.length > 0) problems.push(`${lineMismatch.length} map results counted a different number of lines than their split has`);
  const localStarted = performance.now();
  const local = summarize(countLocally(corpus.files), topCount);
  const localMs = performance.now() - localStarted;
  if (reduce !== undefined) {
    for (const line of formatResult(reduce, corpus.lines, localMs)) out(line);
    if (!sameSummary(reduce, local)) {
      problems.push(`the cluster counted ${formatCount(reduce.words)} words (${formatCount(reduce.distinct)} distinct, digest ${reduce.digest.slice(0, 12)}), ` +
        `this process ${formatCount(local.words)} (${formatCount(local.distinct)} distinct, digest ${local.digest.slice(0, 12)})`);
    }
  }
  if (problems.length > 0) {
    for (const problem of problems) out(`MISMATCH: ${problem}`);
    out('result verified: DIFFERENT');
    return 1;
  }
  out('result verified: identical');
  return 0;
}
