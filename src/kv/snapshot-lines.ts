/**
 * One codec per snapshot line kind (lease, key, event, session). Each decoder checks the closed
 * shape, requires the canonical text (it re-encodes and compares), and checks what one line can
 * show; order, counts and contiguity across lines are checked in snapshot.ts.
 */
import { leaseIdField, resultFrom } from './decode.js';
import { resultJson } from './encode.js';
import type { KvEvent } from './history.js';
import { utf8Length } from './keys.js';
import type { Lease } from './leases.js';
import { clientIdBytesMax, keyBytesMax, leaseTtlMsMax, leaseTtlMsMin, valueBytesMax } from './limits.js';
import type { Session } from './sessions.js';
import { ShapeError, closedObject, integerField, literalField, optionalField, stringField, type JsonObject } from './shape.js';
import { keyValue, type KeyRecord } from './store.js';

/** A parsed line: its text (to check it is canonical) and its JSON value. */
export interface Line {
  readonly text: string;
  readonly value: unknown;
}

export function requireCanonical(text: string, canonical: string, what: string): void {
  if (text !== canonical) throw new ShapeError(`${what} is not in canonical form`);
}

// ---- leases ----

export function leaseLine(lease: Lease): string {
  return JSON.stringify({ id: lease.id, ttlMs: lease.ttlMs });
}

export function leaseFrom(line: Line, appliedIndex: number): Lease {
  const w = 'lease';
  const o = closedObject(line.value, w, ['id', 'ttlMs']);
  const lease: Lease = { id: leaseIdField(o, 'id', w), ttlMs: integerField(o, 'ttlMs', w, 0) };
  requireCanonical(line.text, leaseLine(lease), w);
  if (Number(lease.id) > appliedIndex) throw new ShapeError(`lease ${lease.id} above appliedIndex ${appliedIndex}`);
  if (lease.ttlMs < leaseTtlMsMin || lease.ttlMs > leaseTtlMsMax) throw new ShapeError(`lease ttlMs ${lease.ttlMs} outside ${leaseTtlMsMin}..${leaseTtlMsMax}`);
  return lease;
}

// ---- keys ----

export function keyLine(key: string, record: KeyRecord): string {
  return JSON.stringify(keyValue(key, record));
}

/** `leases` are the live lease ids: a key's lease must be one of them. */
export function keyFrom(line: Line, revision: number, leases: ReadonlySet<string>): readonly [string, KeyRecord] {
  const w = 'key entry';
  const o = closedObject(line.value, w, ['key', 'value', 'createRevision', 'modRevision', 'version'], ['lease']);
  const key = stringField(o, 'key', w);
  const lease = optionalField(o, 'lease', (object, field) => leaseIdField(object, field, w));
  const record: KeyRecord = {
    value: stringField(o, 'value', w),
    createRevision: integerField(o, 'createRevision', w, 1),
    modRevision: integerField(o, 'modRevision', w, 1),
    version: integerField(o, 'version', w, 1),
    ...(lease === undefined ? {} : { lease }),
  };
  requireCanonical(line.text, keyLine(key, record), w);
  checkKeyAndValue(key, record.value);
  checkRevisions(record.createRevision, record.modRevision, record.version);
  if (record.modRevision > revision) throw new ShapeError(`modRevision ${record.modRevision} above the store revision ${revision}`);
  if (lease !== undefined && !leases.has(lease)) throw new ShapeError(`key attached to lease ${lease}, which is not live`);
  return [key, record];
}

function checkKeyAndValue(key: string, value: string): void {
  if (key.length === 0 || utf8Length(key) > keyBytesMax) throw new ShapeError(`key of ${utf8Length(key)} bytes outside 1..keyBytesMax`);
  if (utf8Length(value) > valueBytesMax) throw new ShapeError('value exceeds valueBytesMax');
}

function checkRevisions(createRevision: number, modRevision: number, version: number): void {
  if (createRevision > modRevision) throw new ShapeError('createRevision above modRevision');
  if (version > modRevision - createRevision + 1) throw new ShapeError('version above the revisions since creation');
}

// ---- events (a put's modRevision is its revision, so it is not repeated) ----

export function eventLine(event: KvEvent): string {
  if (event.type === 'delete') return JSON.stringify({ revision: event.revision, type: 'delete', key: event.key });
  const kv = event.kv;
  return JSON.stringify({
    revision: event.revision, type: 'put', key: event.key, value: kv.value, createRevision: kv.createRevision, version: kv.version,
    ...(kv.lease === undefined ? {} : { lease: kv.lease }),
  });
}

/** Lease ids of events need not be live (the lease may be revoked since), only granted by then. */
export function eventFrom(line: Line, appliedIndex: number): KvEvent {
  const w = 'event';
  const type = literalField(closedObject(line.value, w, ['revision', 'type', 'key'], ['value', 'createRevision', 'version', 'lease']), 'type', w, ['put', 'delete'] as const);
  const event = type === 'put' ? putEventFrom(line.value, w) : deleteEventFrom(line.value, w);
  requireCanonical(line.text, eventLine(event), w);
  if (event.type === 'put') {
    checkKeyAndValue(event.key, event.kv.value);
    checkRevisions(event.kv.createRevision, event.revision, event.kv.version);
    if (event.kv.lease !== undefined && Number(event.kv.lease) > appliedIndex) throw new ShapeError(`event lease ${event.kv.lease} above appliedIndex ${appliedIndex}`);
  } else if (event.key.length === 0 || utf8Length(event.key) > keyBytesMax) {
    throw new ShapeError('event key outside 1..keyBytesMax bytes');
  }
  return event;
}

function putEventFrom(value: unknown, w: string): KvEvent {
  const o: JsonObject = closedObject(value, w, ['revision', 'type', 'key', 'value', 'createRevision', 'version'], ['lease']);
  const revision = integerField(o, 'revision', w, 1);
  const key = stringField(o, 'key', w);
  const lease = optionalField(o, 'lease', (object, field) => leaseIdField(object, field, w));
  const record: KeyRecord = {
    value: stringField(o, 'value', w), createRevision: integerField(o, 'createRevision', w, 1), modRevision: revision,
    version: integerField(o, 'version', w, 1), ...(lease === undefined ? {} : { lease }),
  };
  return { type: 'put', revision, key, kv: keyValue(key, record) };
}

function deleteEventFrom(value: unknown, w: string): KvEvent {
  const o = closedObject(value, w, ['revision', 'type', 'key']);
  return { type: 'delete', revision: integerField(o, 'revision', w, 1), key: stringField(o, 'key', w) };
}

// ---- sessions ----

/** `resultText` is the canonical JSON of the result, embedded as a nested object. */
export function sessionLine(session: Session, resultText: string): string {
  return `{"clientId":${JSON.stringify(session.clientId)},"lastSeq":${session.lastSeq},"lastIndex":${session.lastIndex},"lastResult":${resultText}}`;
}

export function sessionFrom(line: Line, appliedIndex: number): Session {
  const w = 'session';
  const o = closedObject(line.value, w, ['clientId', 'lastSeq', 'lastIndex', 'lastResult']);
  const clientId = stringField(o, 'clientId', w);
  const lastSeq = integerField(o, 'lastSeq', w, 1);
  const lastIndex = integerField(o, 'lastIndex', w, 1);
  const lastResult = resultFrom(o['lastResult'], 'session.lastResult');
  const resultText = resultJson(lastResult);
  const session: Session = { clientId, lastSeq, lastIndex, lastResult, sizeBytes: utf8Length(clientId) + utf8Length(resultText) };
  requireCanonical(line.text, sessionLine(session, resultText), w);
  if (clientId.length === 0 || utf8Length(clientId) > clientIdBytesMax) throw new ShapeError('clientId outside 1..clientIdBytesMax bytes');
  if (lastIndex > appliedIndex) throw new ShapeError(`lastIndex ${lastIndex} above appliedIndex ${appliedIndex}`);
  return session;
}
