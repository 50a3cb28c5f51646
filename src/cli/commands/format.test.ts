import { describe, expect, it } from 'vitest';
import type { ClusterResponse, MemberStatus } from '../../client/index.js';
import { displayString, formatDelete, formatRange, formatWatchEvent, renderStatusTable, renderTable } from './format.js';

const member = (over: Partial<MemberStatus>): MemberStatus => ({
  id: 'n1', role: 'follower', voter: true, term: 7, commitIndex: 120, appliedIndex: 118, lastHeartbeatMs: 12, healthy: true,
  peerAddress: '127.0.0.1:7001', httpAddress: '127.0.0.1:8001', ...over,
});

describe('renderStatusTable', () => {
  it('aligns one row per member under a summary line', () => {
    const cluster: ClusterResponse = {
      leaderId: 'n1', term: 7, members: [
        member({ id: 'n1', role: 'leader', lastHeartbeatMs: 0, commitIndex: 1204, appliedIndex: 1204 }),
        member({ id: 'n2' }),
        member({ id: 'n3', healthy: false, lastHeartbeatMs: null, term: 6 }),
        member({ id: 'n4', role: 'learner', voter: false, lastHeartbeatMs: 1500 }),
      ],
    };
    expect(renderStatusTable(cluster)).toBe([
      'leader n1, term 7, 4 members, 1 unhealthy',
      'ID  ROLE                 TERM  COMMIT  APPLIED  HEALTH     LAST-HEARTBEAT-MS',
      'n1  leader                  7    1204     1204  ok                         0',
      'n2  follower                7     120      118  ok                        12',
      'n3  follower                6     120      118  unhealthy                  -',
      'n4  learner (non-voter)     7     120      118  ok                      1500',
    ].join('\n'));
  });

  it('says when there is no leader', () => {
    expect(renderStatusTable({ leaderId: null, term: 3, members: [] }).split('\n')[0]).toBe('leader none, term 3, 0 members');
  });
});

describe('renderTable', () => {
  it('pads to the widest cell and leaves no trailing spaces', () => {
    expect(renderTable(['A', 'LONG'], [['xyz', '1'], ['x', '22']], ['left', 'right'])).toBe('A    LONG\nxyz     1\nx      22');
  });
});

describe('displayString and line formats', () => {
  it('leaves plain ASCII as is and quotes anything that would not parse back', () => {
    expect(displayString('app/config-1')).toBe('app/config-1');
    expect(displayString('two words')).toBe('"two words"');
    expect(displayString('')).toBe('""');
    expect(displayString('"quoted"')).toBe('"\\"quoted\\""');
    expect(displayString('line\nbreak')).toBe('"line\\nbreak"');
    expect(displayString('café')).toBe('"café"');
  });

  it('formats list, delete and watch lines', () => {
    const kv = (key: string, value: string) => ({ key, value, createRevision: 1, modRevision: 2, version: 1 });
    expect(formatRange({ revision: 9, more: false, kvs: [kv('a', '1'), kv('b', 'x y')] })).toBe('a 1\nb "x y"');
    expect(formatDelete({ revision: 9, deleted: true })).toBe('deleted (revision 9)');
    expect(formatDelete({ revision: 9, deleted: false })).toBe('not found (revision 9)');
    expect(formatWatchEvent({ type: 'put', key: 'k', revision: 12, kv: kv('k', 'v') })).toBe('12 put k v');
    expect(formatWatchEvent({ type: 'delete', key: 'k', revision: 13 })).toBe('13 delete k');
  });
});
