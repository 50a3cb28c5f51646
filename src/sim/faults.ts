/** Fault kinds the simulator can inject; each on or off per run, intensities drawn from the seed. */
export const faultKinds = ['drop', 'duplicate', 'delay', 'partition', 'crash', 'churn', 'fsync', 'bitflip', 'skew', 'membership', 'transfer'] as const;
export type FaultKind = (typeof faultKinds)[number];

export function parseFaults(spec: string): Set<FaultKind> {
  // `churn` (a crash and quick restart every few hundred ms) is opt-in: it is the mutation tests' hammer.
  if (spec === 'all') return new Set(faultKinds.filter((k) => k !== 'churn'));
  if (spec === 'none' || spec === '') return new Set();
  const kinds = spec.split(',').map((s) => s.trim());
  for (const kind of kinds) {
    if (!(faultKinds as readonly string[]).includes(kind)) throw new Error(`unknown fault "${kind}"; known: ${faultKinds.join(', ')}, all, none`);
  }
  return new Set(kinds as FaultKind[]);
}
