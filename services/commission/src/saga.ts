/**
 * A commission after it is calculated, as a pure decider: the budget's answer approves or rejects
 * it — or holds it for review when its campaign's review rule said so — a refund reverses it (or,
 * while the budget has not answered, marks it to be reversed the moment it is approved), and a
 * review decision approves or rejects a held one. Anything else leaves it as it is.
 */
import type { Money } from '@beacon/money';
import type { MessageTypes, RejectionReason } from '@beacon/contracts';
import { unchanged, type Decider, type Decision } from '@beacon/messaging';
import { defined, unreachable } from '@beacon/domain';

export type CommissionStatus = 'pending' | 'held' | 'approved' | 'rejected' | 'reversed' | 'paid';

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
  /** why its campaign's review holds it once reserved (THRESHOLD, signals); empty: it is not held */
  reviewReasons: string[];
  /** held: when it is approved undecided (REVIEW_EXPIRED) */
  reviewBy: string | null;
  /** held: the message that held it, so that its expiry joins the same flow */
  holdCause: Cause | null;
}

export interface Cause {
  messageId: string;
  correlationId: string;
}

/** A decision on a held commission: the brand's, an admin's, or the review window's end. */
export interface ReviewStep {
  type: 'Reviewed';
  decision: 'approve' | 'reject';
  /** APPROVED, REVIEW_EXPIRED, REFUNDED, FRAUD or the brand's text */
  reason: string;
  decidedBy: string | null;
  holdingPeriodDays: number;
}

export type SagaStep =
  | {
      type: 'BudgetReserved';
      requested: Money;
      reserved: Money;
      holdingPeriodDays: number;
      /** if its review holds it: when it expires, and the message that held it */
      reviewBy: string;
      cause: Cause;
    }
  | ReviewStep
  | { type: 'BudgetReservationRejected'; reason: string }
  | { type: 'Refunded'; refundEventId: string };

type Msg<T extends keyof MessageTypes> = { type: T; data: MessageTypes[T] };
export type SagaEvent =
  | Msg<'commission.CommissionApproved'>
  | Msg<'commission.CommissionRejected'>
  | Msg<'commission.CommissionReversed'>
  | Msg<'commission.CommissionHeld'>
  | Msg<'commission.CommissionReviewed'>
  | Msg<'commission.ReviewRefused'>;

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

const approvalOf = (c: Commission, requested: Money, amount: Money, holdingPeriodDays: number): SagaEvent => ({
  type: 'commission.CommissionApproved',
  data: {
    commissionId: c.id,
    campaignId: c.campaignId,
    influencerId: defined(c.influencerId, 'the approved commission influencer'),
    sourceEventId: c.sourceEventId,
    requested,
    amount,
    holdingPeriodDays,
  },
});

/** A held commission decided: approved (the ledger credited by the approval) or rejected (its budget released). */
function reviewed(c: Commission, step: ReviewStep): Decision<Commission, SagaEvent> {
  const amount = { amountMinor: c.amountMinor ?? 0n, currency: c.currency };
  const approve = step.decision === 'approve';
  const review: SagaEvent = {
    type: 'commission.CommissionReviewed',
    data: {
      commissionId: c.id,
      campaignId: c.campaignId,
      influencerId: defined(c.influencerId, 'the held commission influencer'),
      decision: approve ? 'approved' : 'rejected',
      reason: step.reason,
      amount,
      decidedBy: step.decidedBy,
    },
  };
  if (!approve) return { state: { ...c, status: 'rejected', reason: step.reason }, events: [review] };
  const requested = { amountMinor: c.requestedMinor ?? amount.amountMinor, currency: c.currency };
  return {
    state: { ...c, status: 'approved', reason: step.reason },
    events: [review, approvalOf(c, requested, amount, step.holdingPeriodDays)],
  };
}

/** Held until the brand decides: the budget stays reserved, the ledger is not credited. */
function held(c: Commission, step: Extract<SagaStep, { type: 'BudgetReserved' }>): Decision<Commission, SagaEvent> {
  const state: Commission = {
    ...c,
    status: 'held',
    amountMinor: step.reserved.amountMinor,
    reviewBy: step.reviewBy,
    holdCause: step.cause,
  };
  const hold: SagaEvent = {
    type: 'commission.CommissionHeld',
    data: {
      commissionId: c.id,
      campaignId: c.campaignId,
      influencerId: defined(c.influencerId, 'the held commission influencer'),
      sourceEventId: c.sourceEventId,
      requested: step.requested,
      amount: step.reserved,
      reasons: c.reviewReasons,
      reviewBy: step.reviewBy,
    },
  };
  if (!c.reversePending) return { state, events: [hold] };
  // Refunded while the reservation was in flight: held, then rejected at once, its budget released.
  const refused = reviewed({ ...state, reversePending: false }, refundedInReview(step.holdingPeriodDays));
  return { state: refused.state, events: [hold, ...refused.events] };
}

const refundedInReview = (holdingPeriodDays: number): ReviewStep => ({
  type: 'Reviewed',
  decision: 'reject',
  reason: 'REFUNDED',
  decidedBy: null,
  holdingPeriodDays,
});

/** Why a review command decides nothing, or undefined: not the caller's (NOT_FOUND, as if absent), or not held. */
export function reviewRefusal(
  c: Commission | undefined,
  campaign: { id: string; brandId: string } | undefined,
  command: { campaignId: string; brandId: string | null },
): string | undefined {
  const theirs = c && campaign && c.campaignId === command.campaignId && campaign.id === c.campaignId;
  if (!theirs || (command.brandId !== null && campaign.brandId !== command.brandId))
    return 'NOT_FOUND: no such commission in this campaign';
  if (c.status !== 'held') return `NOT_HELD: the commission is ${c.status}`;
  return undefined;
}

function reserved(c: Commission, step: Extract<SagaStep, { type: 'BudgetReserved' }>): Decision<Commission, SagaEvent> {
  if (c.reviewReasons.length > 0) return held(c, step);
  const approved: Commission = { ...c, status: 'approved', amountMinor: step.reserved.amountMinor };
  const approval = approvalOf(c, step.requested, step.reserved, step.holdingPeriodDays);
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
  // Held: never credited, so nothing to claw back; the refund rejects it and releases its budget.
  if (c.status === 'held') return reviewed(c, refundedInReview(0));
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
    case 'Reviewed':
      return c.status === 'held' ? reviewed(c, step) : unchanged(c);
    default:
      return unreachable(step, 'a commission');
  }
}

/** The saga in the one decider shape: a step decided on the commission it names (none yet: undefined). */
export const sagaDecider: Decider<Commission | undefined, SagaStep, SagaEvent> = {
  initialState: () => undefined,
  decide: (step, commission) => advance(commission, step),
};
