/**
 * Durable Raft hard state (term, vote, commit), written atomically with one fdatasync.
 *
 * Two fixed slots in one preallocated file (offsets 0 and 4096, so a torn sector write can
 * damage only the slot being written). Write n goes to slot n % 2 with sequence n; reading
 * takes the valid slot with the highest sequence. A torn write therefore leaves the previous
 * state intact, and no rename or directory sync is needed per update.
 */
import { assert } from '../core/assert.js';
import { fromUtf8, readU64, utf8, viewOf, writeU64 } from '../core/bytes.js';
import { KeelError } from '../core/errors.js';
import type { FileHandle, FileSystem } from '../ports/file-system.js';
import { dirName } from '../core/path.js';
import { maskedCrc32c } from './crc.js';

export interface HardState {
  readonly term: number;
  /** Node voted for in `term`, or undefined. */
  readonly vote: string | undefined;
  readonly commit: number;
}

export const emptyHardState: HardState = Object.freeze({ term: 0, vote: undefined, commit: 0 });

export const HARD_STATE_FORMAT_VERSION = 1;
const MAGIC = utf8('KEELHST\0');
const SLOT_OFFSETS = [0, 4096] as const;
const SLOT_SIZE = 512;
const FIXED_SIZE = 64;
const VOTE_BYTES_MAX = SLOT_SIZE - FIXED_SIZE;
const FILE_SIZE = 8192;

export interface HardStateReadReport {
  /** A slot held bytes that did not verify: a torn update or damage; the other slot was used. */
  readonly damagedSlots: readonly number[];
}

export class HardStateStore {
  private constructor(
    private readonly handle: FileHandle,
    private seq: number,
    private current: HardState,
  ) {}

  /** Opens or creates the hard-state file at `path`. */
  static async open(fs: FileSystem, path: string): Promise<{ store: HardStateStore; state: HardState; report: HardStateReadReport }> {
    if ((await fs.fileSize(path)) === undefined) {
      const handle = await fs.open(path, 'createNew');
      await handle.truncate(FILE_SIZE);
      await handle.sync();
      await fs.syncDir(dirName(path));
      return { store: new HardStateStore(handle, 0, emptyHardState), state: emptyHardState, report: { damagedSlots: [] } };
    }
    const handle = await fs.open(path, 'readWrite');
    try {
      const bytes = await handle.read(0, FILE_SIZE);
      const slots = SLOT_OFFSETS.map((offset) => decodeSlot(bytes.subarray(offset, offset + SLOT_SIZE), path));
      const valid = slots.filter((s): s is DecodedSlot => s.kind === 'valid');
      const damagedSlots = slots.flatMap((s, i) => (s.kind === 'damaged' ? [i] : []));
      if (valid.length === 0) {
        if (damagedSlots.length > 0) {
          throw new KeelError('HARD_STATE_CORRUPT', `${path}: no valid hard-state slot (slots ${damagedSlots.join(', ')} fail their checksum at bytes ${damagedSlots.map((i) => SLOT_OFFSETS[i]).join(', ')}); the node cannot know its term or vote and must not rejoin until rebuilt`, { data: { file: path, damagedSlots } });
        }
        return { store: new HardStateStore(handle, 0, emptyHardState), state: emptyHardState, report: { damagedSlots } };
      }
      const newest = valid.reduce((a, b) => (b.seq > a.seq ? b : a));
      return { store: new HardStateStore(handle, newest.seq, newest.state), state: newest.state, report: { damagedSlots } };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  get state(): HardState {
    return this.current;
  }

  /** Durably replaces the hard state; resolves after fdatasync. */
  async save(state: HardState): Promise<void> {
    assert(Number.isSafeInteger(state.term) && state.term >= 0, `hard state term out of range: ${state.term}`);
    assert(Number.isSafeInteger(state.commit) && state.commit >= 0, `hard state commit out of range: ${state.commit}`);
    assert(state.term >= this.current.term, `hard state term went backwards: ${this.current.term} -> ${state.term}`);
    const seq = this.seq + 1;
    const slot = encodeSlot(seq, state);
    await this.handle.write(SLOT_OFFSETS[seq % 2]!, slot);
    await this.handle.datasync();
    this.seq = seq;
    this.current = state;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

interface DecodedSlot {
  readonly kind: 'valid';
  readonly seq: number;
  readonly state: HardState;
}

function encodeSlot(seq: number, state: HardState): Uint8Array {
  const vote = state.vote === undefined ? new Uint8Array(0) : utf8(state.vote);
  assert(vote.length <= VOTE_BYTES_MAX, `vote id longer than ${VOTE_BYTES_MAX} bytes`);
  const bytes = new Uint8Array(SLOT_SIZE);
  const view = viewOf(bytes);
  bytes.set(MAGIC, 0);
  view.setUint16(8, HARD_STATE_FORMAT_VERSION, true);
  view.setUint16(10, state.vote === undefined ? 0xffff : vote.length, true);
  writeU64(view, 16, seq);
  writeU64(view, 24, state.term);
  writeU64(view, 32, state.commit);
  bytes.set(vote, FIXED_SIZE);
  view.setUint32(12, maskedCrc32c(bytes), true);
  return bytes;
}

function decodeSlot(bytes: Uint8Array, path: string): DecodedSlot | { readonly kind: 'empty' } | { readonly kind: 'damaged' } {
  if (bytes.every((b) => b === 0)) return { kind: 'empty' };
  if (bytes.length < SLOT_SIZE) return { kind: 'damaged' };
  const copy = bytes.slice(0, SLOT_SIZE);
  const view = viewOf(copy);
  const stored = view.getUint32(12, true);
  view.setUint32(12, 0, true);
  if (maskedCrc32c(copy) !== stored) return { kind: 'damaged' };
  if (!MAGIC.every((b, i) => copy[i] === b)) return { kind: 'damaged' };
  const version = view.getUint16(8, true);
  if (version > HARD_STATE_FORMAT_VERSION) {
    throw new KeelError('FORMAT_VERSION_UNSUPPORTED', `${path}: hard-state format version ${version} is newer than this build supports (${HARD_STATE_FORMAT_VERSION}); upgrade Keel`, { data: { file: path, version } });
  }
  const voteLength = view.getUint16(10, true);
  const seq = readU64(view, 16);
  const term = readU64(view, 24);
  const commit = readU64(view, 32);
  if (seq < 1 || term < 0 || commit < 0 || (voteLength !== 0xffff && voteLength > VOTE_BYTES_MAX)) return { kind: 'damaged' };
  const vote = voteLength === 0xffff ? undefined : fromUtf8(copy.subarray(FIXED_SIZE, FIXED_SIZE + voteLength));
  return { kind: 'valid', seq, state: Object.freeze({ term, vote, commit }) };
}
