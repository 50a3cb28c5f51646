import { KeelError } from '../core/errors.js';

/**
 * Limits of the placement ring (STYLE.md: a limit on everything that grows). A ring is an
 * in-memory index rebuilt on every scheduler; these keep one bad weight from costing gigabytes.
 */
/** Virtual nodes per member of weight 1 (the option's upper bound). */
export const virtualNodesPerMemberMax = 4096;
/** Virtual nodes of one member after its weight is applied. */
export const memberVirtualNodesMax = 65_536;
/** Virtual nodes of the whole ring. */
export const ringVirtualNodesMax = 1 << 21;

/**
 * Options of a hash ring. They decide where every key lands, so every node that must agree on
 * placement (all schedulers of a cluster) must build its ring with the same values.
 */
export interface HashRingOptionsInput {
  /**
   * Virtual nodes of a member of weight 1; a member of weight w gets round(w * this), at least 1.
   * More virtual nodes give better balance at the cost of memory and add/remove time
   * (docs/placement.md has measured figures).
   */
  readonly virtualNodesPerMember?: number;
}

export type HashRingOptions = Readonly<Required<HashRingOptionsInput>>;

export const hashRingDefaults = Object.freeze({
  virtualNodesPerMember: 128,
} as const satisfies Required<HashRingOptionsInput>);

const knownKeys = new Set(Object.keys(hashRingDefaults));

/** Fills defaults, rejects unknown keys, lists every problem at once, returns a frozen object. */
export function resolveHashRingOptions(input: HashRingOptionsInput = {}): HashRingOptions {
  const problems: string[] = [];
  for (const key of Object.keys(input)) if (!knownKeys.has(key)) problems.push(`unknown option "${key}"`);
  const options: HashRingOptions = Object.freeze({ ...hashRingDefaults, ...input });
  const perMember = options.virtualNodesPerMember;
  if (!(Number.isSafeInteger(perMember) && perMember > 0 && perMember <= virtualNodesPerMemberMax)) {
    problems.push(`virtualNodesPerMember must be an integer in [1, ${virtualNodesPerMemberMax}], got ${String(perMember)}`);
  }
  if (problems.length > 0) {
    throw new KeelError('CONFIG_INVALID', `invalid hash ring options: ${problems.join('; ')}`, { data: { problems } });
  }
  return options;
}
