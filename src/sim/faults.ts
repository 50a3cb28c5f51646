/**
 * Fault kinds the simulator can inject; each on or off per run, intensities drawn from the seed.
 * `worker-crash` and `worker-pause` act on the simulated task workers (the `tasks` workload only).
 */
export const faultKinds = [
  'drop', 'duplicate', 'delay', 'partition', 'crash', 'churn', 'figure8', 'fsync', 'bitflip', 'skew', 'membership', 'transfer', 'worker-crash', 'worker-pause',
] as const;
export type FaultKind = (typeof faultKinds)[number];

export function parseFaults(spec: string): Set<FaultKind> {
  // Opt-in kinds: `churn` (a crash and quick restart every few hundred ms) is the mutation tests'
  // hammer; `figure8` is a scripted scenario that takes over the network for a while. Both can be
  // added to the rest: `all,figure8`.
  const kinds = new Set<FaultKind>();
  for (const word of spec.split(',').map((s) => s.trim())) {
    if (word === 'none' || word === '') continue;
    if (word === 'all') {
      for (const k of faultKinds) if (k !== 'churn' && k !== 'figure8') kinds.add(k);
    } else if ((faultKinds as readonly string[]).includes(word)) kinds.add(word as FaultKind);
    else throw new Error(`unknown fault "${word}"; known: ${faultKinds.join(', ')}, all, none`);
  }
  return kinds;
}
