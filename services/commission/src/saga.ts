/**
 * A commission after it is calculated, as a pure decider: the budget's answer approves or rejects
 * it, a refund reverses it — or, while the budget has not answered, marks it to be reversed the
 * moment it is approved. Anything else leaves it as it is.
 */
import type { Money } from '@beacon/money';
import type { MessageTypes, RejectionReason } from '@beacon/contracts';
import { unchanged, type Decider, type Decision } from '@beacon/messaging';
import { defined, unreachable } from '@beacon/domain';

export type CommissionStatus = 'pending' | 'approved' | 'rejected' | 'reversed' | 'paid';

export interface Commission {
  id: string;
  campaignId: string;
  influencerId: string | null;
  sourceEventId: string;
  currency: string;
  /** what was reserved once approved (capped to the budget); what was asked before */
  amountMinor: bigint | null;
  requestedMinor: bigint | null;
  status: CommissionStatus;
  reason: string | null;
  /** a refund arrived before the budget answered */
  reversePending: boolean;
}

export type SagaStep =
  | { type: 'BudgetReserved'; requested: Money; reserved: Money; holdingPeriodDays: number }
  | { type: 'BudgetReservationRejected'; reason: string }
  | { type: 'Refunded'; refundEventId: string };

type Msg<T extends keyof MessageTypes> = { type: T; data: MessageTypes[T] };
export type SagaEvent =
  Msg<'commission.CommissionApproved'> | Msg<'commission.CommissionRejected'> | Msg<'commission.CommissionReversed'>;

/** The refund id a reversal names when the refund came before the approval. */
export const REFUND_BEFORE_APPROVAL = 'refund-before-approval';

/** Why the budget said no, as the commission's rejection reason. */
export function rejectionReason(budgetReason: string): RejectionReason {
  if (budgetReason === 'CURRENCY_MISMATCH') return 'CURRENCY_MISMATCH';
  if (budgetReason === 'UNKNOWN_CAMPAIGN') return 'CAMPAIGN_NOT_ACTIVE';
  return 'BUDGET_EXHAUSTED';
}

function reversal(c: Commission, refundEventId: string): Decision<Commission, SagaEvent> {
  return {
    state: { ...c, status: 'reversed', reversePending: false },
    events: [
      {
        type: 'commission.CommissionReversed',
        data: {
          commissionId: c.id,
          campaignId: c.campaignId,
          influencerId: c.influencerId ?? '',
          refundEventId,
          amount: { amountMinor: c.amountMinor ?? 0n, currency: c.currency },
        },
      },
    ],
  };
}

function reserved(c: Commission, step: Extract<SagaStep, { type: 'BudgetReserved' }>): Decision<Commission, SagaEvent> {
  const approved: Commission = { ...c, status: 'approved', amountMinor: step.reserved.amountMinor };
  const approval: SagaEvent = {
    type: 'commission.CommissionApproved',
    data: {
      commissionId: c.id,
      campaignId: c.campaignId,
      influencerId: defined(c.influencerId, 'the approved commission influencer'),
      sourceEventId: c.sourceEventId,
      requested: step.requested,
      amount: step.reserved,
      holdingPeriodDays: step.holdingPeriodDays,
    },
  };
  if (!c.reversePending) return { state: approved, events: [approval] };
  // A refund that arrived while the reservation was in flight reverses right after approval.
  const reversed = reversal(approved, REFUND_BEFORE_APPROVAL);
  return { state: reversed.state, events: [approval, ...reversed.events] };
}

function rejected(c: Commission, budgetReason: string): Decision<Commission, SagaEvent> {
  const reason = rejectionReason(budgetReason);
  return {
    state: { ...c, status: 'rejected', reason },
    events: [
      {
        type: 'commission.CommissionRejected',
        data: {
          commissionId: c.id,
          campaignId: c.campaignId,
          influencerId: c.influencerId,
          sourceEventId: c.sourceEventId,
          reason,
          amount: { amountMinor: c.requestedMinor ?? 0n, currency: c.currency },
          // The read model keeps the attribution the first decision told.
          attribution: null,
          reasonDetail: null,
        },
      },
    ],
  };
}

function refunded(c: Commission, refundEventId: string): Decision<Commission, SagaEvent> {
  if (c.status === 'approved' || c.status === 'paid') return reversal(c, refundEventId);
  if (c.status === 'pending') return { state: { ...c, reversePending: true }, events: [] };
  return unchanged(c);
}

/** The next state of a commission, and what to tell the others; the budget's answers count only while pending. */
export function advance(c: Commission | undefined, step: SagaStep): Decision<Commission | undefined, SagaEvent> {
  if (!c) return unchanged(c);
  switch (step.type) {
    case 'BudgetReserved':
      return c.status === 'pending' ? reserved(c, step) : unchanged(c);
    case 'BudgetReservationRejected':
      return c.status === 'pending' ? rejected(c, step.reason) : unchanged(c);
    case 'Refunded':
      return refunded(c, step.refundEventId);
    default:
      return unreachable(step, 'a commission');
  }
}

/** The saga in the one decider shape: a step decided on the commission it names (none yet: undefined). */
export const sagaDecider: Decider<Commission | undefined, SagaStep, SagaEvent> = {
  initialState: () => undefined,
  decide: (step, commission) => advance(commission, step),
};
