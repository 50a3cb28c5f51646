/**
 * The KV snapshot format (version 2): UTF-8 text, one JSON value per line, each line ending in
 * "\n" (JSON.stringify never emits a raw newline, so 0x0A only separates lines):
 *
 *   {"format":"keel-kv","version":2,"appliedIndex":A,"revision":R,"compactRevision":C,
 *    "leaseCount":L,"keyCount":K,"eventCount":E,"sessionCount":S}                        (one line)
 *   L lines {"id":..,"ttlMs":..}, ids in increasing numeric order
 *   K lines {"key":..,"value":..,"createRevision":..,"modRevision":..,"version":..[,"lease":..]}, keys in UTF-8 byte order
 *   E lines {"revision":..,"type":"put","key":..,"value":..,"createRevision":..,"version":..[,"lease":..]}
 *        or {"revision":..,"type":"delete","key":..}, in log order, covering every revision in (C, R]
 *   S lines {"clientId":..,"lastSeq":..,"lastIndex":..,"lastResult":{..}}, client ids in UTF-8 byte order
 *
 * The encoding is canonical: one state has exactly one encoding, and decoding re-encodes every
 * line and requires the same text, so restore-then-snapshot is byte-identical. Lines are encoded
 * and decoded one at a time, so no single JavaScript string holds the whole state.
 *
 * The snapshot carries no checksum of its own: the checkpoint store frames it with a CRC.
 */
import { assert } from '../core/assert.js';
import { fromUtf8, utf8 } from '../core/bytes.js';
import { KeelError } from '../core/errors.js';
import { isDecodeFailure } from './decode.js';
import { resultJson } from './encode.js';
import type { KvEvent } from './history.js';
import { compareKeys } from './keys.js';
import type { Lease } from './leases.js';
import type { Session } from './sessions.js';
import { ShapeError, anyObject, closedObject, integerField } from './shape.js';
import {
  eventFrom, eventLine, keyFrom, keyLine, leaseFrom, leaseLine, requireCanonical, sessionFrom, sessionLine, type Line,
} from './snapshot-lines.js';
import type { KeyRecord } from './store.js';

export const KV_SNAPSHOT_FORMAT = 'keel-kv';
export const KV_SNAPSHOT_VERSION = 2;

export interface SnapshotContent {
  readonly appliedIndex: number;
  readonly revision: number;
  /** Events at or below it are gone from the history. */
  readonly compactRevision: number;
  /** In increasing id order. */
  readonly leases: readonly Lease[];
  /** Sorted by `compareKeys`. */
  readonly keys: Iterable<readonly [string, KeyRecord]>;
  readonly keyCount: number;
  /** In log order. */
  readonly events: readonly KvEvent[];
  /** Sorted by `compareKeys` of the client id. */
  readonly sessions: readonly Session[];
}

/** A decoded snapshot holds its keys in an array. */
export type DecodedSnapshot = SnapshotContent & { readonly keys: readonly (readonly [string, KeyRecord])[] };

const newline = 0x0a;

/** The snapshot as one chunk per line (concatenate for the bytes, or checksum chunk by chunk). */
export function* snapshotChunks(content: SnapshotContent): Generator<Uint8Array> {
  yield line(headerLine({
    appliedIndex: content.appliedIndex, revision: content.revision, compactRevision: content.compactRevision,
    leaseCount: content.leases.length, keyCount: content.keyCount, eventCount: content.events.length, sessionCount: content.sessions.length,
  }));
  for (const lease of content.leases) yield line(leaseLine(lease));
  let keys = 0;
  for (const [key, record] of content.keys) {
    keys += 1;
    yield line(keyLine(key, record));
  }
  assert(keys === content.keyCount, `snapshot wrote ${keys} keys, header says ${content.keyCount}`);
  for (const event of content.events) yield line(eventLine(event));
  for (const session of content.sessions) yield line(sessionLine(session, resultJson(session.lastResult)));
}

function line(text: string): Uint8Array {
  return utf8(text + '\n');
}

/** Decodes and fully validates a snapshot; throws KeelError CHECKPOINT_CORRUPT or FORMAT_VERSION_UNSUPPORTED. */
export function decodeSnapshot(bytes: Uint8Array): DecodedSnapshot {
  const lines = splitLines(bytes);
  let lineNumber = 1;
  const next = (): Line => {
    lineNumber += 1;
    return lineJson(lines[lineNumber - 1]);
  };
  try {
    const header = headerFrom(lineJson(lines[0]));
    const { leaseCount, keyCount, eventCount, sessionCount } = header;
    if (lines.length !== 1 + leaseCount + keyCount + eventCount + sessionCount) {
      throw new ShapeError(`header announces ${leaseCount} leases, ${keyCount} keys, ${eventCount} events and ${sessionCount} sessions, snapshot has ${lines.length - 1} lines after it`);
    }
    const leases: Lease[] = [];
    for (let i = 0; i < leaseCount; i++) {
      const lease = leaseFrom(next(), header.appliedIndex);
      const previous = leases.at(-1);
      if (previous !== undefined && Number(previous.id) >= Number(lease.id)) throw new ShapeError('leases are not in strictly increasing id order');
      leases.push(lease);
    }
    const leaseIds = new Set(leases.map((l) => l.id));
    const keys: (readonly [string, KeyRecord])[] = [];
    for (let i = 0; i < keyCount; i++) {
      const entry = keyFrom(next(), header.revision, leaseIds);
      const previous = keys.at(-1);
      if (previous !== undefined && compareKeys(previous[0], entry[0]) >= 0) throw new ShapeError('keys are not in strictly increasing order');
      keys.push(entry);
    }
    const events: KvEvent[] = [];
    for (let i = 0; i < eventCount; i++) {
      const event = eventFrom(next(), header.appliedIndex);
      const last = events.at(-1)?.revision ?? header.compactRevision;
      if (event.revision !== last && event.revision !== last + 1) throw new ShapeError(`event at revision ${event.revision} after revision ${last}: revisions must be contiguous`);
      if (event.revision > header.revision) throw new ShapeError(`event at revision ${event.revision} above the store revision ${header.revision}`);
      events.push(event);
    }
    const lastEventRevision = events.at(-1)?.revision ?? header.compactRevision;
    if (lastEventRevision !== header.revision) throw new ShapeError(`the history ends at revision ${lastEventRevision}, the store is at ${header.revision}`);
    const sessions: Session[] = [];
    const lastIndexes = new Set<number>();
    for (let i = 0; i < sessionCount; i++) {
      const session = sessionFrom(next(), header.appliedIndex);
      const previous = sessions.at(-1);
      if (previous !== undefined && compareKeys(previous.clientId, session.clientId) >= 0) throw new ShapeError('sessions are not in strictly increasing client id order');
      if (lastIndexes.has(session.lastIndex)) throw new ShapeError(`two sessions have lastIndex ${session.lastIndex}`);
      lastIndexes.add(session.lastIndex);
      sessions.push(session);
    }
    return { appliedIndex: header.appliedIndex, revision: header.revision, compactRevision: header.compactRevision, leases, keys, keyCount, events, sessions };
  } catch (error) {
    if (error instanceof KeelError) throw error;
    if (isDecodeFailure(error)) {
      throw new KeelError('CHECKPOINT_CORRUPT', `KV snapshot, line ${lineNumber}: ${error.message}`, { data: { line: lineNumber } });
    }
    throw error;
  }
}

interface Header {
  readonly appliedIndex: number;
  readonly revision: number;
  readonly compactRevision: number;
  readonly leaseCount: number;
  readonly keyCount: number;
  readonly eventCount: number;
  readonly sessionCount: number;
}

const headerCounts = ['appliedIndex', 'revision', 'compactRevision', 'leaseCount', 'keyCount', 'eventCount', 'sessionCount'] as const;

function headerLine(header: Header): string {
  const fields: Record<string, unknown> = { format: KV_SNAPSHOT_FORMAT, version: KV_SNAPSHOT_VERSION };
  for (const name of headerCounts) fields[name] = header[name];
  return JSON.stringify(fields);
}

/** `format` and `version` are read first, so a later version may change every other field. */
function headerFrom(line: Line): Header {
  const loose = anyObject(line.value, 'header');
  if (loose['format'] !== KV_SNAPSHOT_FORMAT) throw new ShapeError(`header.format is not "${KV_SNAPSHOT_FORMAT}"`);
  const version = integerField(loose, 'version', 'header', 0);
  if (version !== KV_SNAPSHOT_VERSION) {
    throw new KeelError('FORMAT_VERSION_UNSUPPORTED', `KV snapshot format version ${version}; this build reads version ${KV_SNAPSHOT_VERSION}`, { data: { version } });
  }
  const o = closedObject(line.value, 'header', ['format', 'version', ...headerCounts]);
  const count = (name: (typeof headerCounts)[number]) => integerField(o, name, 'header', 0);
  const header: Header = {
    appliedIndex: count('appliedIndex'), revision: count('revision'), compactRevision: count('compactRevision'),
    leaseCount: count('leaseCount'), keyCount: count('keyCount'), eventCount: count('eventCount'), sessionCount: count('sessionCount'),
  };
  requireCanonical(line.text, headerLine(header), 'header');
  if (header.compactRevision > header.revision) throw new ShapeError(`compactRevision ${header.compactRevision} above revision ${header.revision}`);
  return header;
}

/** The bytes of each line; the snapshot must be non-empty and end with a newline. */
function splitLines(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length === 0 || bytes[bytes.length - 1] !== newline) {
    throw new KeelError('CHECKPOINT_CORRUPT', `KV snapshot of ${bytes.length} bytes does not end with a newline (truncated?)`);
  }
  const lines: Uint8Array[] = [];
  for (let start = 0; start < bytes.length;) {
    const end = bytes.indexOf(newline, start);
    assert(end !== -1, 'snapshot ends with a newline, so every line has one');
    lines.push(bytes.subarray(start, end));
    start = end + 1;
  }
  return lines;
}

/** Parses one line (throws TypeError or SyntaxError on bad bytes, which become CHECKPOINT_CORRUPT). */
function lineJson(bytes: Uint8Array | undefined): Line {
  assert(bytes !== undefined, 'line count checked before reading lines');
  const text = fromUtf8(bytes);
  return { text, value: JSON.parse(text) as unknown };
}
