/**
 * The influencer ledger as pure functions: balances at a moment, payout checks, which commission
 * credits a payout settles (FIFO), and the payment provider port with its simulated adapter.
 */
export interface Entry {
  kind: 'commission_credit' | 'reversal_debit' | 'payout_reserve' | 'payout_return';
  amountMinor: bigint;
  availableAt: string;
}

export interface Balance {
  pending: bigint;
  available: bigint;
  paidOut: bigint;
}

/** pending = credits still in their holding period; available = every entry already available. */
export function balanceAt(entries: Entry[], completedPayoutsMinor: bigint[], now: Date): Balance {
  let pending = 0n;
  let available = 0n;
  for (const e of entries) {
    if (Date.parse(e.availableAt) > now.getTime()) {
      if (e.kind === 'commission_credit') pending += e.amountMinor;
      else available += e.amountMinor; // debits are never held back
    } else available += e.amountMinor;
  }
  return { pending, available, paidOut: completedPayoutsMinor.reduce((a, b) => a + b, 0n) };
}

export function payoutProblem(amountMinor: bigint, available: bigint, minimumMinor: bigint): 'BELOW_MINIMUM' | 'INSUFFICIENT_FUNDS' | undefined {
  if (amountMinor < minimumMinor) return 'BELOW_MINIMUM';
  if (amountMinor > available) return 'INSUFFICIENT_FUNDS';
  return undefined;
}

/** Unsettled credits (oldest first) that fit, whole, within what has been paid out and not yet settled. */
export function settle(credits: Array<{ commissionId: string; amountMinor: bigint }>, paidOutTotal: bigint, alreadySettled: bigint): string[] {
  let room = paidOutTotal - alreadySettled;
  const settled: string[] = [];
  for (const credit of credits) {
    if (credit.amountMinor > room) break;
    room -= credit.amountMinor;
    settled.push(credit.commissionId);
  }
  return settled;
}

export interface PayoutRequest {
  payoutId: string;
  amountMinor: bigint;
  currency: string;
  method: 'paypal' | 'bank_transfer';
  destination: string;
}

export type PayoutResult = { ok: true; reference: string } | { ok: false; reason: string };

/**
 * The payment provider port. `pay` must be idempotent on `payoutId`: asked again for a payout it
 * has seen, it answers the first result and moves no money (real providers take an idempotency key).
 */
export interface PaymentProvider {
  pay(request: PayoutRequest): Promise<PayoutResult>;
}

/** The simulated provider's decision: success, except that a destination containing "fail" fails. */
export function simulatedResult(request: PayoutRequest): PayoutResult {
  if (/fail/i.test(request.destination)) return { ok: false, reason: 'PROVIDER_DECLINED' };
  return { ok: true, reference: `sim-${request.payoutId}` };
}
