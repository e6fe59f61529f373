/**
 * Payouts as pure functions: payout checks, which commission credits a payout settles (FIFO), and
 * the payment provider port with its simulated adapter. Balances are @beacon/domain's (ledger.ts).
 */
export function payoutProblem(
  amountMinor: bigint,
  available: bigint,
  minimumMinor: bigint,
): 'BELOW_MINIMUM' | 'INSUFFICIENT_FUNDS' | undefined {
  if (amountMinor < minimumMinor) return 'BELOW_MINIMUM';
  if (amountMinor > available) return 'INSUFFICIENT_FUNDS';
  return undefined;
}

/** Unsettled credits (oldest first) that fit, whole, within what has been paid out and not yet settled. */
export function settle(
  credits: Array<{ commissionId: string; amountMinor: bigint }>,
  paidOutTotal: bigint,
  alreadySettled: bigint,
): string[] {
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
