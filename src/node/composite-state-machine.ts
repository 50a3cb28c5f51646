/**
 * Several state machines behind one Raft log (KV and tasks in one node). A command whose first
 * byte is a registered tag goes, without that byte, to that part; any other command goes whole
 * to the default part (KV commands are JSON and start with `{`, so their encoding is unchanged).
 * Each part sees only its own entries: its applied index has gaps, which parts accept.
 *
 * Snapshot: "KCMP", u8 version, u8 part count, then per part: u8 tag, u64 applied index,
 * u64 length, bytes. Every part is restored at its own applied index.
 */
import { assert } from '../core/assert.js';
import { KeelError } from '../core/errors.js';
import { concatBytes, readU64, viewOf, writeU64 } from '../core/bytes.js';
import type { AppliedEntry, StateMachine } from '../ports/state-machine.js';

export interface StateMachinePart {
  /** 1..255; the default part has no tag on the wire. */
  readonly tag: number;
  readonly name: string;
  readonly machine: StateMachine;
}

const magic = [0x4b, 0x43, 0x4d, 0x50]; // "KCMP"
const version = 1;
const headerBytes = 6;
const partHeaderBytes = 17;

export class CompositeStateMachine implements StateMachine {
  private applied = 0;
  private readonly byTag = new Map<number, StateMachinePart>();

  constructor(private readonly defaultPart: StateMachinePart, others: readonly StateMachinePart[]) {
    for (const part of [defaultPart, ...others]) {
      assert(Number.isInteger(part.tag) && part.tag >= 1 && part.tag <= 255, `part ${part.name}: tag must be 1..255`);
      assert(!this.byTag.has(part.tag), `tag ${part.tag} used twice`);
      assert(part.tag !== 0x7b, 'tag 0x7b ("{") would capture JSON commands');
      this.byTag.set(part.tag, part);
    }
  }

  /** A command for the part with `tag` (commands for the default part need no wrapping). */
  static wrap(tag: number, command: Uint8Array): Uint8Array {
    return concatBytes([Uint8Array.of(tag), command]);
  }

  get appliedIndex(): number {
    return this.applied;
  }

  apply(entry: AppliedEntry): Uint8Array {
    const { part, body } = this.route(entry.command);
    const result = part.machine.apply({ ...entry, command: body });
    this.applied = entry.index;
    return result;
  }

  query(request: Uint8Array): Uint8Array {
    const { part, body } = this.route(request);
    return part.machine.query(body);
  }

  snapshot(): Uint8Array {
    const parts = [...this.byTag.values()];
    const chunks: Uint8Array[] = [Uint8Array.of(...magic, version, parts.length)];
    for (const part of parts) {
      const bytes = part.machine.snapshot();
      const header = new Uint8Array(partHeaderBytes);
      header[0] = part.tag;
      writeU64(viewOf(header), 1, part.machine.appliedIndex);
      writeU64(viewOf(header), 9, bytes.length);
      chunks.push(header, bytes);
    }
    return concatBytes(chunks);
  }

  restore(snapshot: Uint8Array, index: number): void {
    const corrupt = (why: string): KeelError => new KeelError('CHECKPOINT_CORRUPT', `composite snapshot: ${why}`);
    if (snapshot.length < headerBytes || magic.some((b, i) => snapshot[i] !== b)) throw corrupt('bad magic');
    if (snapshot[4] !== version) throw new KeelError('FORMAT_VERSION_UNSUPPORTED', `composite snapshot version ${snapshot[4]} (this Keel reads ${version})`);
    const count = snapshot[5]!;
    if (count !== this.byTag.size) throw corrupt(`${count} parts, this node has ${this.byTag.size}`);
    const restores: (() => void)[] = [];
    let offset = headerBytes;
    for (let i = 0; i < count; i++) {
      if (offset + partHeaderBytes > snapshot.length) throw corrupt(`truncated at byte ${offset}`);
      const view = viewOf(snapshot.subarray(offset, offset + partHeaderBytes));
      const part = this.byTag.get(snapshot[offset]!);
      if (part === undefined) throw corrupt(`unknown part tag ${snapshot[offset]} at byte ${offset}`);
      const partIndex = readU64(view, 1);
      const length = readU64(view, 9);
      const start = offset + partHeaderBytes;
      if (start + length > snapshot.length || partIndex > index) throw corrupt(`part ${part.name} at byte ${offset} out of bounds`);
      const bytes = snapshot.subarray(start, start + length);
      restores.push(() => part.machine.restore(bytes, partIndex));
      offset = start + length;
    }
    if (offset !== snapshot.length) throw corrupt(`${snapshot.length - offset} trailing bytes`);
    // The layout is checked before any part is replaced; each part then validates its own bytes.
    // A part refusing its bytes after another was replaced leaves a mix: the driver fail-stops on
    // any restore error, and recovery starts over from an older checkpoint.
    for (const restore of restores) restore();
    this.applied = index;
  }

  digest(): string {
    return [...this.byTag.values()].map((p) => `${p.name}:${p.machine.digest()}`).join(',');
  }

  private route(command: Uint8Array): { part: StateMachinePart; body: Uint8Array } {
    const tagged = command.length > 0 ? this.byTag.get(command[0]!) : undefined;
    if (tagged !== undefined && tagged !== this.defaultPart) return { part: tagged, body: command.subarray(1) };
    return { part: this.defaultPart, body: command };
  }
}

