export { TcpTransport } from './tcp-transport.js';
export { transportDefaults, type TcpTransportOptions } from './options.js';
export type { TransportStats } from './stats.js';
export { silentLogger, type TransportLogger } from './logger.js';
export { frameVersion } from './frame.js';
