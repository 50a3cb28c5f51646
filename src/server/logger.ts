/** Structured JSON logs (pino); human-readable when writing to a terminal. */
import { pino } from 'pino';
import pretty from 'pino-pretty';

export interface Logger {
  trace(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export function createLogger(options: { level: string; name: string; pretty?: boolean }): Logger {
  const base = { level: options.level, base: { node: options.name } };
  if (!(options.pretty ?? process.stdout.isTTY)) return pino(base);
  // Synchronous, in-process formatting: nothing is lost when the process exits right after a line.
  return pino(base, pretty({ sync: true, colorize: process.stdout.isTTY, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }));
}

export const silentLogger: Logger = pino({ level: 'silent' });
