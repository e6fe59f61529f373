/**
 * A payout after it is accepted, as a pure decider: its intent is recorded (processing) before any
 * money moves, then the provider's answer completes it — settling, oldest first, the commission
 * credits it covers — or fails it. A step the payout is past changes nothing (redeliveries).
 */
import type { MessageTypes } from '@beacon/contracts';
import { unchanged, type Decider, type Decision } from '@beacon/messaging';
import { unreachable } from '@beacon/domain';
import { settle, type PayoutResult } from './ledger.js';

export type PayoutStatus = 'requested' | 'processing' | 'completed' | 'failed' | 'rejected';

export interface Payout {
  id: string;
  influencerId: string;
  amountMinor: bigint;
  currency: string;
  status: PayoutStatus;
  reason: string | null;
  completedAt: string | null;
}

/** The influencer's ledger in the payout's currency, as the provider's answer finds it. */
export interface LedgerFacts {
  /** commission credits not yet settled and not clawed back, oldest first */
  unsettledCredits: Array<{ commissionId: string; amountMinor: bigint }>;
  /** completed payouts before this one, and the credits they settled */
  paidBefore: bigint;
  alreadySettled: bigint;
}

export type PayoutStep =
  { type: 'Start' } | { type: 'ProviderAnswered'; result: PayoutResult; at: string; ledger: LedgerFacts };

type Msg<T extends keyof MessageTypes> = { type: T; data: MessageTypes[T] };
export type PayoutEvent =
  Msg<'payment.PayoutProcessing'> | Msg<'payment.PayoutCompleted'> | Msg<'payment.PayoutFailed'>;

function answered(p: Payout, step: Extract<PayoutStep, { type: 'ProviderAnswered' }>): Decision<Payout, PayoutEvent> {
  const paid = {
    payoutId: p.id,
    influencerId: p.influencerId,
    amount: { amountMinor: p.amountMinor, currency: p.currency },
  };
  if (!step.result.ok) {
    const reason = step.result.reason;
    return {
      state: { ...p, status: 'failed', reason },
      events: [{ type: 'payment.PayoutFailed', data: { ...paid, reason } }],
    };
  }
  const { unsettledCredits, paidBefore, alreadySettled } = step.ledger;
  const commissionIds = settle(unsettledCredits, paidBefore + p.amountMinor, alreadySettled);
  return {
    state: { ...p, status: 'completed', completedAt: step.at },
    events: [{ type: 'payment.PayoutCompleted', data: { ...paid, commissionIds } }],
  };
}

export function advancePayout(p: Payout | undefined, step: PayoutStep): Decision<Payout | undefined, PayoutEvent> {
  if (!p) return unchanged(p);
  switch (step.type) {
    case 'Start':
      if (p.status !== 'requested') return unchanged(p);
      return {
        state: { ...p, status: 'processing' },
        events: [{ type: 'payment.PayoutProcessing', data: { payoutId: p.id, influencerId: p.influencerId } }],
      };
    case 'ProviderAnswered':
      return p.status === 'processing' ? answered(p, step) : unchanged(p);
    default:
      return unreachable(step, 'a payout');
  }
}

/** A payout's lifecycle in the one decider shape: a step decided on the payout (none yet: undefined). */
export const payoutDecider: Decider<Payout | undefined, PayoutStep, PayoutEvent> = {
  initialState: () => undefined,
  decide: (step, payout) => advancePayout(payout, step),
};
