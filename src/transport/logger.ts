/**
 * The logging the transport needs, shaped so a pino logger fits as is (`obj` first, then the
 * message); the default logs nothing.
 */
export interface TransportLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

const ignore = (): void => undefined;

export const silentLogger: TransportLogger = Object.freeze({ info: ignore, warn: ignore, error: ignore });
