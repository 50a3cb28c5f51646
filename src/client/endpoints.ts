/** Which endpoint to ask next: the last one that answered, else the leader's if known, else the next in line. */
import type { MemberStatus } from '../api/wire.js';
import { assert } from '../core/assert.js';
import { normalizeEndpoint } from './options.js';

export class EndpointPool {
  private current: string;
  /** Member id -> HTTP endpoint, learned from cluster(); used to follow a NotLeader hint. */
  private readonly byMember = new Map<string, string>();

  constructor(readonly endpoints: readonly string[]) {
    const first = endpoints[0];
    assert(first !== undefined, 'EndpointPool needs at least one endpoint');
    this.current = first;
  }

  /** Where the next request starts. */
  get preferred(): string {
    return this.current;
  }

  /** The endpoint answered: later requests start there. */
  succeeded(endpoint: string): void {
    this.current = endpoint;
  }

  /** The endpoint failed: the leader's endpoint if the hint names a known one, else the configured one after it. */
  next(failed: string, leaderHint?: string): string {
    const leader = leaderHint === undefined ? undefined : this.byMember.get(leaderHint);
    if (leader !== undefined && leader !== failed) return leader;
    const index = this.endpoints.indexOf(failed);
    // A learned leader endpoint is not in the list: go on from the last one that answered.
    const from = index >= 0 ? index : Math.max(0, this.endpoints.indexOf(this.current));
    return this.endpoints[(from + 1) % this.endpoints.length] ?? this.current;
  }

  /** Remembers each member's HTTP endpoint (members without one, or with a malformed one, are skipped). */
  learn(members: readonly Pick<MemberStatus, 'id' | 'httpAddress'>[]): void {
    for (const member of members) {
      if (member.httpAddress === null) continue;
      const normalized = normalizeEndpoint(member.httpAddress);
      if ('endpoint' in normalized) this.byMember.set(member.id, normalized.endpoint);
    }
  }

  /** Whether `member`'s endpoint was learned. */
  knows(member: string): boolean {
    return this.byMember.has(member);
  }
}
