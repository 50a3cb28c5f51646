/**
 * The KV snapshot format (version 1): UTF-8 text, one JSON value per line, each line ending in
 * "\n" (JSON.stringify never emits a raw newline, so 0x0A only separates lines):
 *
 *   {"format":"keel-kv","version":1,"appliedIndex":A,"revision":R,"keyCount":K,"sessionCount":S}
 *   K lines {"key":..,"value":..,"createRevision":..,"modRevision":..,"version":..}, keys in UTF-8 byte order
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
import { isDecodeFailure, resultFrom, resultJson } from './commands.js';
import { compareKeys, utf8Length } from './keys.js';
import { clientIdBytesMax, keyBytesMax, valueBytesMax } from './limits.js';
import type { Session } from './sessions.js';
import { ShapeError, anyObject, closedObject, integerField, stringField } from './shape.js';

export const KV_SNAPSHOT_FORMAT = 'keel-kv';
export const KV_SNAPSHOT_VERSION = 1;

export interface KeyRecord {
  readonly value: string;
  /** Revision of the put that created the key (since its last delete). */
  readonly createRevision: number;
  /** Revision of the last change to the key. */
  readonly modRevision: number;
  /** Changes since creation: 1 after the creating put. */
  readonly version: number;
}

export interface SnapshotContent {
  readonly appliedIndex: number;
  readonly revision: number;
  /** Sorted by `compareKeys`. */
  readonly keys: readonly (readonly [string, KeyRecord])[];
  /** Sorted by `compareKeys` of the client id. */
  readonly sessions: readonly Session[];
}

const newline = 0x0a;

/** The snapshot as one chunk per line (concatenate for the bytes, or checksum chunk by chunk). */
export function snapshotChunks(content: SnapshotContent): Uint8Array[] {
  const header = { appliedIndex: content.appliedIndex, revision: content.revision, keyCount: content.keys.length, sessionCount: content.sessions.length };
  const chunks = [utf8(headerLine(header) + '\n')];
  for (const [key, record] of content.keys) chunks.push(utf8(keyLine(key, record) + '\n'));
  for (const session of content.sessions) chunks.push(utf8(sessionLine(session, resultJson(session.lastResult)) + '\n'));
  return chunks;
}

/** Decodes and fully validates a snapshot; throws KeelError CHECKPOINT_CORRUPT or FORMAT_VERSION_UNSUPPORTED. */
export function decodeSnapshot(bytes: Uint8Array): SnapshotContent {
  const lines = splitLines(bytes);
  let lineNumber = 1;
  try {
    const header = headerFrom(lines[0]);
    if (lines.length !== 1 + header.keyCount + header.sessionCount) {
      throw new ShapeError(`header announces ${header.keyCount} keys and ${header.sessionCount} sessions, snapshot has ${lines.length - 1} lines after it`);
    }
    const keys: (readonly [string, KeyRecord])[] = [];
    for (let i = 0; i < header.keyCount; i++) {
      lineNumber = 2 + i;
      const entry = keyFrom(lines[lineNumber - 1], header.revision);
      const previous = keys.at(-1);
      if (previous !== undefined && compareKeys(previous[0], entry[0]) >= 0) throw new ShapeError('keys are not in strictly increasing order');
      keys.push(entry);
    }
    const sessions: Session[] = [];
    const lastIndexes = new Set<number>();
    for (let i = 0; i < header.sessionCount; i++) {
      lineNumber = 2 + header.keyCount + i;
      const session = sessionFrom(lines[lineNumber - 1], header.appliedIndex);
      const previous = sessions.at(-1);
      if (previous !== undefined && compareKeys(previous.clientId, session.clientId) >= 0) throw new ShapeError('sessions are not in strictly increasing client id order');
      if (lastIndexes.has(session.lastIndex)) throw new ShapeError(`two sessions have lastIndex ${session.lastIndex}`);
      lastIndexes.add(session.lastIndex);
      sessions.push(session);
    }
    return { appliedIndex: header.appliedIndex, revision: header.revision, keys, sessions };
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
  readonly keyCount: number;
  readonly sessionCount: number;
}

function headerLine(header: Header): string {
  return JSON.stringify({
    format: KV_SNAPSHOT_FORMAT, version: KV_SNAPSHOT_VERSION, appliedIndex: header.appliedIndex, revision: header.revision,
    keyCount: header.keyCount, sessionCount: header.sessionCount,
  });
}

function keyLine(key: string, record: KeyRecord): string {
  return JSON.stringify({ key, value: record.value, createRevision: record.createRevision, modRevision: record.modRevision, version: record.version });
}

/** `resultText` is the canonical JSON of the result, embedded as a nested object. */
function sessionLine(session: Session, resultText: string): string {
  return `{"clientId":${JSON.stringify(session.clientId)},"lastSeq":${session.lastSeq},"lastIndex":${session.lastIndex},"lastResult":${resultText}}`;
}

/** The text of each line; the snapshot must be non-empty and end with a newline. */
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

/** Parses one line and requires it to be in canonical form. */
function lineJson(line: Uint8Array | undefined): { readonly text: string; readonly value: unknown } {
  assert(line !== undefined, 'line count checked before reading lines');
  const text = fromUtf8(line);
  return { text, value: JSON.parse(text) as unknown };
}

function requireCanonical(text: string, canonical: string, what: string): void {
  if (text !== canonical) throw new ShapeError(`${what} is not in canonical form`);
}

function headerFrom(line: Uint8Array | undefined): Header {
  const { text, value } = lineJson(line);
  const loose = anyObject(value, 'header');
  if (loose['format'] !== KV_SNAPSHOT_FORMAT) throw new ShapeError(`header.format is not "${KV_SNAPSHOT_FORMAT}"`);
  const version = integerField(loose, 'version', 'header', 0);
  if (version !== KV_SNAPSHOT_VERSION) {
    throw new KeelError('FORMAT_VERSION_UNSUPPORTED', `KV snapshot format version ${version}; this build reads version ${KV_SNAPSHOT_VERSION}`, { data: { version } });
  }
  const o = closedObject(value, 'header', ['format', 'version', 'appliedIndex', 'revision', 'keyCount', 'sessionCount']);
  const header: Header = {
    appliedIndex: integerField(o, 'appliedIndex', 'header', 0),
    revision: integerField(o, 'revision', 'header', 0),
    keyCount: integerField(o, 'keyCount', 'header', 0),
    sessionCount: integerField(o, 'sessionCount', 'header', 0),
  };
  requireCanonical(text, headerLine(header), 'header');
  return header;
}

function keyFrom(line: Uint8Array | undefined, revision: number): readonly [string, KeyRecord] {
  const { text, value } = lineJson(line);
  const w = 'key entry';
  const o = closedObject(value, w, ['key', 'value', 'createRevision', 'modRevision', 'version']);
  const key = stringField(o, 'key', w);
  const record: KeyRecord = {
    value: stringField(o, 'value', w),
    createRevision: integerField(o, 'createRevision', w, 1),
    modRevision: integerField(o, 'modRevision', w, 1),
    version: integerField(o, 'version', w, 1),
  };
  requireCanonical(text, keyLine(key, record), w);
  if (key.length === 0 || utf8Length(key) > keyBytesMax) throw new ShapeError(`key of ${utf8Length(key)} bytes outside 1..keyBytesMax`);
  if (utf8Length(record.value) > valueBytesMax) throw new ShapeError('value exceeds valueBytesMax');
  if (record.createRevision > record.modRevision) throw new ShapeError('createRevision above modRevision');
  if (record.modRevision > revision) throw new ShapeError(`modRevision ${record.modRevision} above the store revision ${revision}`);
  if (record.version > record.modRevision - record.createRevision + 1) throw new ShapeError('version above the revisions since creation');
  return [key, record];
}

function sessionFrom(line: Uint8Array | undefined, appliedIndex: number): Session {
  const { text, value } = lineJson(line);
  const w = 'session';
  const o = closedObject(value, w, ['clientId', 'lastSeq', 'lastIndex', 'lastResult']);
  const clientId = stringField(o, 'clientId', w);
  const lastSeq = integerField(o, 'lastSeq', w, 1);
  const lastIndex = integerField(o, 'lastIndex', w, 1);
  const lastResult = resultFrom(o['lastResult'], 'session.lastResult');
  const resultText = resultJson(lastResult);
  const session: Session = { clientId, lastSeq, lastIndex, lastResult, sizeBytes: utf8Length(clientId) + utf8Length(resultText) };
  requireCanonical(text, sessionLine(session, resultText), w);
  if (clientId.length === 0 || utf8Length(clientId) > clientIdBytesMax) throw new ShapeError('clientId outside 1..clientIdBytesMax bytes');
  if (lastIndex > appliedIndex) throw new ShapeError(`lastIndex ${lastIndex} above appliedIndex ${appliedIndex}`);
  return session;
}
