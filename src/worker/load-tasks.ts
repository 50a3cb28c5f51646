/** Loads a tasks module (TypeScript or JavaScript) and finds its `defineTasks` export. */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KeelError, describeError } from '../core/errors.js';
import { isTaskDefinitions, type TaskHandlers } from './sdk.js';

let tsxRegistered = false;

export async function loadTasks(path: string): Promise<TaskHandlers> {
  const file = isAbsolute(path) ? path : resolve(path);
  if (!existsSync(file)) throw new KeelError('BAD_REQUEST', `tasks module ${file} does not exist`);
  if (/\.[cm]?ts$/.test(file) && !tsxRegistered && !process.execArgv.some((a) => a.includes('tsx'))) {
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new KeelError('BAD_REQUEST', `tasks module ${file} failed to load: ${describeError(error)}`);
  }
  const definitions = [mod.default, mod.tasks, ...Object.values(mod)].find(isTaskDefinitions);
  if (definitions === undefined) throw new KeelError('BAD_REQUEST', `tasks module ${file} exports no defineTasks({...}) (export default defineTasks({ ... }))`);
  if (Object.keys(definitions.handlers).length === 0) throw new KeelError('BAD_REQUEST', `tasks module ${file} defines no handlers`);
  return definitions.handlers;
}
