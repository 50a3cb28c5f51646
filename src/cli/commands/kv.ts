/** `keel kv put|get|del|list|watch`: the key-value store from the command line. */
import type { Command } from 'commander';
import { KeelClientError } from '../../client/index.js';
import { clientFrom, positiveInt, runAction, withClientFlags, withUsageExit, writeOut, type ClientFlags } from './common.js';
import { displayString, formatDelete, formatRange, formatWatchEvent } from './format.js';

export function registerKvCommands(program: Command): Command {
  const kv = withUsageExit(program.command('kv')).description('read and write the replicated key-value store');

  withClientFlags(kv.command('put').description('set a key').argument('<key>').argument('<value>').option('--lease <id>', 'attach the key to a lease')).action(
    (key: string, value: string, flags: ClientFlags & { lease?: string }) =>
      runAction(async () => {
        const result = await clientFrom(flags).put(key, value, flags.lease === undefined ? {} : { lease: flags.lease });
        writeOut(`revision ${result.revision}`);
      }),
  );

  withClientFlags(
    kv
      .command('get')
      .description("print a key's value (exit 1 if absent)")
      .argument('<key>')
      .option('--serializable', 'read from any node, maybe stale, instead of a linearizable read')
      .option('--json', 'print the value with its revisions as JSON'),
  ).action((key: string, flags: ClientFlags & { serializable?: boolean; json?: boolean }) =>
    runAction(async () => {
      const result = await clientFrom(flags).get(key, flags.serializable === true ? { consistency: 'serializable' } : {});
      if (result === null) throw new KeelClientError('NotFound', `key ${displayString(key)} not found`);
      writeOut(flags.json === true ? JSON.stringify(result) : result.value);
    }),
  );

  withClientFlags(kv.command('del').description('delete a key').argument('<key>')).action((key: string, flags: ClientFlags) =>
    runAction(async () => {
      writeOut(formatDelete(await clientFrom(flags).delete(key)));
    }),
  );

  withClientFlags(
    kv
      .command('list')
      .description('list keys under a prefix, in byte order, as "key value" lines')
      .argument('[prefix]', 'key prefix (default: every key)', '')
      .option('--limit <n>', 'at most this many keys', positiveInt('--limit'))
      .option('--json', 'print the answer as JSON'),
  ).action((prefix: string, flags: ClientFlags & { limit?: number; json?: boolean }) =>
    runAction(async () => {
      const range = await clientFrom(flags).list(prefix, flags.limit === undefined ? {} : { limit: flags.limit });
      if (flags.json === true) return writeOut(JSON.stringify(range));
      if (range.kvs.length > 0) writeOut(formatRange(range));
      if (range.more) process.stderr.write(`(more keys after these: raise --limit)\n`);
    }),
  );

  withClientFlags(
    kv
      .command('watch')
      .description('print changes under a prefix, one line per event, until Ctrl-C')
      .argument('[prefix]', 'key prefix (default: every key)', '')
      .option('--from-revision <r>', 'replay changes from this revision on', positiveInt('--from-revision'))
      .option('--json', 'print each event as a JSON line'),
  ).action((prefix: string, flags: ClientFlags & { fromRevision?: number; json?: boolean }) =>
    runAction(async () => {
      const client = clientFrom(flags);
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGINT', stop);
      try {
        const events = client.watch({ prefix, signal: controller.signal, ...(flags.fromRevision === undefined ? {} : { fromRevision: flags.fromRevision }) });
        for await (const event of events) writeOut(flags.json === true ? JSON.stringify(event) : formatWatchEvent(event));
      } finally {
        process.off('SIGINT', stop);
      }
    }),
  );
  return kv;
}
