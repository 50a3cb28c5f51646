/** Membership (voters + learners) and quorum arithmetic. Config changes are one server at a time. */
import { fromUtf8, utf8 } from '../core/bytes.js';
import { assert } from '../core/assert.js';
import type { Membership, NodeId } from './types.js';

export function quorumSize(voters: readonly NodeId[]): number {
  return Math.floor(voters.length / 2) + 1;
}

/** The highest index replicated on a majority of voters, given each voter's match. */
export function committedIndex(voters: readonly NodeId[], match: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  const sorted = voters.map(match).sort((a, b) => b - a);
  return sorted[quorumSize(voters) - 1]!;
}

export function isMember(membership: Membership, id: NodeId): boolean {
  return membership.voters.includes(id) || membership.learners.includes(id);
}

export function allMembers(membership: Membership): NodeId[] {
  return [...membership.voters, ...membership.learners];
}

export type MembershipChange =
  | { readonly kind: 'addLearner'; readonly id: NodeId }
  | { readonly kind: 'promote'; readonly id: NodeId }
  | { readonly kind: 'addVoter'; readonly id: NodeId }
  | { readonly kind: 'remove'; readonly id: NodeId };

/** The membership after one change, or an error message when the change is not allowed. */
export function applyChange(current: Membership, change: MembershipChange): Membership | string {
  const { id } = change;
  const voters = current.voters.filter((v) => v !== id);
  const learners = current.learners.filter((l) => l !== id);
  switch (change.kind) {
    case 'addLearner':
      if (isMember(current, id)) return `${id} is already a member`;
      return normalize({ voters: current.voters, learners: [...learners, id] });
    case 'promote':
      if (!current.learners.includes(id)) return `${id} is not a learner`;
      return normalize({ voters: [...voters, id], learners });
    case 'addVoter':
      if (current.voters.includes(id)) return `${id} is already a voter`;
      return normalize({ voters: [...voters, id], learners });
    case 'remove':
      if (!isMember(current, id)) return `${id} is not a member`;
      if (current.voters.includes(id) && voters.length === 0) return 'cannot remove the last voter';
      return normalize({ voters, learners });
  }
}

function normalize(m: Membership): Membership {
  return { voters: [...m.voters].sort(), learners: [...m.learners].sort() };
}

export function encodeMembership(m: Membership): Uint8Array {
  return utf8(JSON.stringify({ voters: m.voters, learners: m.learners }));
}

export function decodeMembership(bytes: Uint8Array): Membership {
  const parsed = JSON.parse(fromUtf8(bytes)) as { voters?: unknown; learners?: unknown };
  assert(Array.isArray(parsed.voters) && Array.isArray(parsed.learners), 'membership entry malformed');
  return normalize({ voters: parsed.voters.map(String), learners: parsed.learners.map(String) });
}
