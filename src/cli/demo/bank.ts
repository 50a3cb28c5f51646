/**
 * The demo's state machine: accounts and transfers between them. Money is conserved by every
 * transfer, so a lost, duplicated or corrupted record shows up as a wrong total.
 */
import { concatBytes, fromUtf8, utf8 } from '../../core/bytes.js';
import type { CheckpointInfo, RecoveryTarget, WalRecord } from '../../storage/index.js';

export const ACCOUNTS = ['ada', 'bob', 'cy', 'dee', 'eve', 'fay', 'gus', 'hal'] as const;
export const OPENING_BALANCE = 1_000_000;

export interface Transfer {
  readonly from: number;
  readonly to: number;
  readonly amount: number;
}

export function encodeTransfer(transfer: Transfer): Uint8Array {
  return utf8(`${transfer.from}>${transfer.to}:${transfer.amount}`);
}

export class Bank implements RecoveryTarget {
  balances: number[] = ACCOUNTS.map(() => OPENING_BALANCE);
  appliedIndex = 0;

  async restore(checkpoint: CheckpointInfo, data: AsyncIterable<Uint8Array>): Promise<void> {
    const parts: Uint8Array[] = [];
    for await (const chunk of data) parts.push(chunk);
    const parsed = JSON.parse(fromUtf8(concatBytes(parts))) as { balances: number[] };
    this.balances = parsed.balances;
    this.appliedIndex = checkpoint.index;
  }

  apply(record: WalRecord): void {
    const match = /^(\d+)>(\d+):(\d+)$/.exec(fromUtf8(record.payload));
    if (!match) throw new Error(`record ${record.index} is not a transfer`);
    const [from, to, amount] = [Number(match[1]), Number(match[2]), Number(match[3])];
    this.balances[from]! -= amount;
    this.balances[to]! += amount;
    this.appliedIndex = record.index;
  }

  snapshot(): Uint8Array[] {
    return [utf8(JSON.stringify({ balances: this.balances }))];
  }

  total(): number {
    return this.balances.reduce((a, b) => a + b, 0);
  }

  conserved(): boolean {
    return this.total() === ACCOUNTS.length * OPENING_BALANCE;
  }
}

/** Deterministic transfers from a counter, so runs are reproducible. */
export function transferFor(n: number): Transfer {
  const from = (n * 7) % ACCOUNTS.length;
  const to = (from + 1 + (n % (ACCOUNTS.length - 1))) % ACCOUNTS.length;
  return { from, to, amount: 1 + ((n * 7919) % 500) };
}
