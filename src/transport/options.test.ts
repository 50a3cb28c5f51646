import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { TransportLogger } from './logger.js';
import { describeOptions, resolveTransportOptions, transportDefaults, type TcpTransportOptions } from './options.js';
import { parseHostPort } from './address.js';
import { backoffDelayMs } from './backoff.js';

const base: TcpTransportOptions = { id: 'n1', listen: '127.0.0.1:0', peers: new Map([['n1', '127.0.0.1:7001'], ['n2', '127.0.0.1:7002']]), secret: 'sixteen-bytes-at-least' };

describe('transport options', () => {
  it('fills defaults, drops its own id from the peers, freezes the result', () => {
    const options = resolveTransportOptions(base);
    expect(options.frameSizeBytesMax).toBe(16 * 1024 * 1024);
    expect([...options.peers.keys()]).toEqual(['n2']);
    expect(Object.isFrozen(options)).toBe(true);
    expect(describeOptions(options)).not.toHaveProperty('secret');
    expect(describeOptions(options)).toMatchObject({ listen: '127.0.0.1:0', peers: ['n2'], ...transportDefaults });
  });

  it('lists every problem at once: unknown keys, bad values, broken relations', () => {
    const input = { ...base, id: '', listen: 'nowhere', secret: 'short', colour: 'red', frameSizeBytesMax: 1.5, reconnectBaseMs: 100, reconnectCapMs: 10, queueSizeBytesMax: 1024 * 1024 };
    let problems: string[] = [];
    try {
      resolveTransportOptions(input);
    } catch (error) {
      expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
      problems = (error as { data: { problems: string[] } }).data.problems;
    }
    expect(problems).toHaveLength(7);
    expect(problems.join('\n')).toMatch(/unknown option "colour"/);
    expect(problems.join('\n')).toMatch(/queueSizeBytesMax \(1048576\) must hold one frame/);
  });

  it('accepts a pino logger as is', () => {
    const logger: TransportLogger = pino({ level: 'silent' });
    expect(resolveTransportOptions({ ...base, logger }).logger).toBe(logger);
  });
});

describe('addresses and backoff', () => {
  it('parses host:port, IPv6 in brackets, and refuses the rest', () => {
    expect(parseHostPort('127.0.0.1:7001')).toEqual({ host: '127.0.0.1', port: 7001 });
    expect(parseHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    for (const bad of ['', ':80', 'host', 'host:', 'host:99999', '::1:80', 'a b:1', 'host:-1']) expect(parseHostPort(bad)).toBeUndefined();
  });

  it('draws full jitter below min(cap, base * 2^attempt)', () => {
    const max = { next: () => 0.999_999, int: () => 0 };
    expect([0, 1, 2, 3, 10, 100].map((a) => backoffDelayMs(a, 50, 2000, max))).toEqual([49, 99, 199, 399, 1999, 1999]);
    expect(backoffDelayMs(5, 50, 2000, { next: () => 0, int: () => 0 })).toBe(0);
  });
});
