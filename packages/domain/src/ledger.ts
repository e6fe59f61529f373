/**
 * The influencer ledger's rules, in one place for the payment service (which books and checks) and
 * the BFF (which shows balances): when a credit becomes available, and a balance at a moment.
 */
export type EntryKind = 'commission_credit' | 'reversal_debit' | 'payout_reserve' | 'payout_return';

export interface Entry {
  kind: EntryKind;
  amountMinor: bigint;
  availableAt: string;
}

export interface Balance {
  pending: bigint;
  available: bigint;
  paidOut: bigint;
}

const DAY_MS = 86_400_000;

/** The holding period runs from the commission's approval (the event's time), not from when it is read. */
export function creditAvailableAt(approvedAt: string, holdingPeriodDays: number): string {
  return new Date(Date.parse(approvedAt) + holdingPeriodDays * DAY_MS).toISOString();
}

/** pending = credits still in their holding period; available = every other entry (debits are never held back). */
export function balanceAt(entries: Entry[], completedPayoutsMinor: bigint[], now: Date): Balance {
  let pending = 0n;
  let available = 0n;
  for (const e of entries) {
    if (e.kind === 'commission_credit' && Date.parse(e.availableAt) > now.getTime()) pending += e.amountMinor;
    else available += e.amountMinor;
  }
  return { pending, available, paidOut: completedPayoutsMinor.reduce((a, b) => a + b, 0n) };
}
