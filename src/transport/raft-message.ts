import { assertNever } from '../core/assert.js';
import type { Entry, EntryKind, Membership, Message, MessageKind, NodeId, SnapshotMeta } from '../raft/types.js';
import { bool, bytes, Invalid, preview, list, record, text, uint, type Fields } from './fields.js';
import { nodeIdSizeMax } from './limits.js';

const kinds: ReadonlySet<string> = new Set<MessageKind>([
  'vote', 'voteResp', 'append', 'appendResp', 'heartbeat', 'heartbeatResp', 'snapshot', 'snapshotResp', 'timeoutNow', 'readIndex', 'readIndexResp',
]);
const entryKinds: ReadonlySet<string> = new Set<EntryKind>(['normal', 'noop', 'config']);

/** Raft never sees a message that is not exactly one of the `Message` shapes; throws Invalid. */
export function parseRaftMessage(value: unknown): Message {
  const f = record(value, 'raft message');
  const kind = f['kind'];
  if (typeof kind !== 'string' || !kinds.has(kind)) throw new Invalid(`unknown raft message kind ${preview(kind)}`);
  const envelope = { from: nodeId(f, 'from'), to: nodeId(f, 'to'), term: uint(f, 'term') };
  const k = kind as MessageKind;
  switch (k) {
    case 'vote':
      return { kind: k, ...envelope, preVote: bool(f, 'preVote'), lastIndex: uint(f, 'lastIndex'), lastTerm: uint(f, 'lastTerm'), transfer: bool(f, 'transfer') };
    case 'voteResp':
      return { kind: k, ...envelope, preVote: bool(f, 'preVote'), granted: bool(f, 'granted') };
    case 'append':
      return { kind: k, ...envelope, prevIndex: uint(f, 'prevIndex'), prevTerm: uint(f, 'prevTerm'), entries: list(f, 'entries').map(entry), commit: uint(f, 'commit') };
    case 'appendResp':
      return {
        kind: k, ...envelope, success: bool(f, 'success'), index: uint(f, 'index'), hintIndex: uint(f, 'hintIndex'), hintTerm: uint(f, 'hintTerm'), recovering: bool(f, 'recovering'),
      };
    case 'heartbeat':
      return { kind: k, ...envelope, commit: uint(f, 'commit'), context: uint(f, 'context') };
    case 'heartbeatResp':
      return { kind: k, ...envelope, context: uint(f, 'context'), recovering: bool(f, 'recovering') };
    case 'snapshot':
      return { kind: k, ...envelope, meta: snapshotMeta(f['meta']), offset: uint(f, 'offset'), chunk: bytes(f, 'chunk'), totalBytes: uint(f, 'totalBytes') };
    case 'snapshotResp':
      return { kind: k, ...envelope, index: uint(f, 'index'), nextOffset: uint(f, 'nextOffset'), done: bool(f, 'done') };
    case 'timeoutNow':
      return { kind: k, ...envelope };
    case 'readIndex':
      return { kind: k, ...envelope, requestId: uint(f, 'requestId') };
    case 'readIndexResp':
      return { kind: k, ...envelope, requestId: uint(f, 'requestId'), index: uint(f, 'index'), ok: bool(f, 'ok') };
    default:
      return assertNever(k);
  }
}

function nodeId(f: Fields, name: string): NodeId {
  return text(f, name, nodeIdSizeMax, 1);
}

function entry(value: unknown): Entry {
  const f = record(value, 'entry');
  const kind = f['kind'];
  if (typeof kind !== 'string' || !entryKinds.has(kind)) throw new Invalid(`unknown entry kind ${preview(kind)}`);
  return { index: uint(f, 'index'), term: uint(f, 'term'), kind: kind as EntryKind, data: bytes(f, 'data') };
}

function snapshotMeta(value: unknown): SnapshotMeta {
  const f = record(value, 'snapshot meta');
  return { index: uint(f, 'index'), term: uint(f, 'term'), membership: membership(f['membership']) };
}

function membership(value: unknown): Membership {
  const f = record(value, 'membership');
  const ids = (name: string): NodeId[] =>
    list(f, name).map((id) => {
      if (typeof id !== 'string' || id.length === 0 || id.length > nodeIdSizeMax) throw new Invalid(`${name} holds an invalid node id`);
      return id;
    });
  return { voters: ids('voters'), learners: ids('learners') };
}
