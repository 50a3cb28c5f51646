/**
 * Deliberate bugs, switched on only by mutation tests to prove that the simulator and the
 * checkers catch them (STYLE.md: every safety check has once been seen to fail). Production
 * code never sets these; each is read at exactly one place.
 */
export interface BugSwitches {
  /** Raft: grant a vote without persisting it (the hard state written omits the vote). */
  voteWithoutPersist: boolean;
  /** Raft: a leader commits an entry of an earlier term by counting replicas (Raft paper figure 8). */
  commitOldTermByCounting: boolean;
  /** Driver: send messages (acknowledgements) before the entries they acknowledge are fsynced. */
  ackBeforeFsync: boolean;
  /** Raft: a leader answers reads at its commit index without a ReadIndex quorum round. */
  staleLeaderReads: boolean;
  /** WAL: keep the torn tail instead of cutting it at open. */
  skipTornTailTruncation: boolean;
}

export const bugs: BugSwitches = {
  voteWithoutPersist: false,
  commitOldTermByCounting: false,
  ackBeforeFsync: false,
  staleLeaderReads: false,
  skipTornTailTruncation: false,
};

export function resetBugs(): void {
  for (const key of Object.keys(bugs) as (keyof BugSwitches)[]) bugs[key] = false;
}
