import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, loopbackDevSecret, parsePeers } from './config.js';

const base = { id: 'n1', listen: '127.0.0.1:7001', http: '127.0.0.1:8001', peers: 'n1=127.0.0.1:7001,n2=127.0.0.1:7002', data: '/tmp/n1' };

describe('node config', () => {
  it('merges defaults < file < KEEL_* env < flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-config-'));
    const file = join(dir, 'keel.json');
    writeFileSync(file, JSON.stringify({ ...base, tickMs: 20, logLevel: 'debug', snapshotEveryEntries: 500 }));
    const config = loadConfig({ snapshotEveryEntries: '700' }, { KEEL_TICK_MS: '30' }, file);
    expect(config).toMatchObject({ tickMs: 30, logLevel: 'debug', snapshotEveryEntries: 700, fsync: 'always', join: false });
    expect(config.peers).toEqual({ n1: '127.0.0.1:7001', n2: '127.0.0.1:7002' });
  });

  it('uses the loopback dev secret only when every address is loopback', () => {
    expect(loadConfig(base, {}).secret).toBe(loopbackDevSecret);
    const remote = { ...base, peers: 'n1=127.0.0.1:7001,n2=10.0.0.2:7002' };
    expect(() => loadConfig(remote, {})).toThrow(/^invalid config: secret: required/);
    expect(loadConfig(remote, { KEEL_SECRET: 'a-long-enough-secret' }).secret).toBe('a-long-enough-secret');
  });

  it('reports the first problem on one line naming the field', () => {
    const cases: [Record<string, unknown>, Record<string, string>, RegExp][] = [
      [{ ...base, listen: 'nowhere' }, {}, /^invalid config: listen: expected host:port$/],
      [{ ...base, id: 'n 1' }, {}, /^invalid config: id: /],
      [{ ...base, peers: 'n2=127.0.0.1:7002' }, {}, /^invalid config: peers: must include this node/],
      [{ ...base, peers: 'n1=127.0.0.1:9999' }, {}, /^invalid config: peers: lists n1 at 127.0.0.1:9999 but listen is 127.0.0.1:7001$/],
      [{ ...base, peers: 'n1' }, {}, /^invalid config: peers: "n1" is not id=host:port$/],
      [base, { KEEL_TICK_MS: 'fast' }, /^invalid config: tickMs: /],
      [base, { KEEL_FSYNC: 'sometimes' }, /^invalid config: fsync: /],
      [{ ...base, secret: 'short' }, {}, /^invalid config: secret: at least 16 characters$/],
      [{ ...base, electionTicks: 3, heartbeatTicks: 5 }, {}, /^invalid config: electionTicks: must exceed heartbeatTicks$/],
    ];
    for (const [flags, env, message] of cases) {
      let error: unknown;
      try {
        loadConfig(flags, env);
      } catch (e) {
        error = e;
      }
      expect(String((error as Error | undefined)?.message)).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('refuses unknown fields in a config file and unreadable files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-config-'));
    const file = join(dir, 'keel.json');
    writeFileSync(file, JSON.stringify({ ...base, heartbeat: 5 }));
    expect(() => loadConfig({}, {}, file)).toThrow(/^invalid config: config: Unrecognized key.*heartbeat|^invalid config: .*heartbeat/);
    writeFileSync(file, '{ nope');
    expect(() => loadConfig({}, {}, file)).toThrow(/is not JSON/);
    expect(() => loadConfig({}, {}, join(dir, 'missing.json'))).toThrow(/cannot read/);
  });

  it('parses --peers lists', () => {
    expect(parsePeers('a=h:1, b=h:2,')).toEqual({ a: 'h:1', b: 'h:2' });
  });
});
