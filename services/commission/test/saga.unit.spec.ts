import { deciderSpec, USD } from '@beacon/testing';
import { reviewRefusal, sagaDecider, type Commission, type SagaStep } from '../src/saga.js';

const spec = deciderSpec(sagaDecider);

const calculated: Commission = {
  id: 'com-1',
  campaignId: 'cmp-1',
  influencerId: 'inf-1',
  sourceEventId: 'order-1',
  currency: 'USD',
  amountMinor: 500n,
  requestedMinor: 500n,
  status: 'pending',
  reason: null,
  reversePending: false,
  reviewReasons: [],
  reviewBy: null,
  holdCause: null,
};

const reservedCapped: SagaStep = {
  type: 'BudgetReserved',
  requested: USD(500n),
  reserved: USD(300n),
  holdingPeriodDays: 14,
  reviewBy: '2026-03-08T00:00:00.000Z',
  cause: { messageId: 'm-1', correlationId: 'flow-1' },
};
const refunded: SagaStep = { type: 'Refunded', refundEventId: 'refund-1' };

describe('a calculated commission waits for the budget, and a refund undoes it', () => {
  const approvedEvent = {
    type: 'commission.CommissionApproved' as const,
    data: {
      commissionId: 'com-1',
      campaignId: 'cmp-1',
      influencerId: 'inf-1',
      sourceEventId: 'order-1',
      requested: USD(500n),
      amount: USD(300n),
      holdingPeriodDays: 14,
    },
  };
  const reversedEvent = (refundEventId: string, amountMinor: bigint) => ({
    type: 'commission.CommissionReversed' as const,
    data: {
      commissionId: 'com-1',
      campaignId: 'cmp-1',
      influencerId: 'inf-1',
      refundEventId,
      amount: USD(amountMinor),
    },
  });

  it('is approved for what the budget reserved, capped, with the campaign’s holding period', () => {
    spec
      .given(calculated)
      .when(reservedCapped)
      .then([approvedEvent], { ...calculated, status: 'approved', amountMinor: 300n });
  });

  it('is rejected as budget exhausted, for what it asked, when the budget says no', () => {
    spec
      .given(calculated)
      .when({ type: 'BudgetReservationRejected', reason: 'BUDGET_EXHAUSTED' })
      .then(
        [
          {
            type: 'commission.CommissionRejected',
            data: {
              commissionId: 'com-1',
              campaignId: 'cmp-1',
              influencerId: 'inf-1',
              sourceEventId: 'order-1',
              attribution: null,
              reasonDetail: null,
              reason: 'BUDGET_EXHAUSTED',
              amount: USD(500n),
            },
          },
        ],
        { ...calculated, status: 'rejected', reason: 'BUDGET_EXHAUSTED' },
      );
  });

  it('names the budget’s reasons in its own words: a currency mismatch stays one, an unknown campaign is not active', () => {
    for (const [budget, commission] of [
      ['CURRENCY_MISMATCH', 'CURRENCY_MISMATCH'],
      ['UNKNOWN_CAMPAIGN', 'CAMPAIGN_NOT_ACTIVE'],
    ] as const)
      expect(sagaDecider.decide({ type: 'BudgetReservationRejected', reason: budget }, calculated).state?.reason).toBe(
        commission,
      );
  });

  it('a refund before approval reverses nothing yet, and the approval that follows reverses at once', () => {
    const marked = { ...calculated, reversePending: true };
    spec.given(calculated).when(refunded).then([], marked);
    spec
      .given(marked)
      .when(reservedCapped)
      .then([approvedEvent, reversedEvent('refund-before-approval', 300n)], {
        ...calculated,
        status: 'reversed',
        reversePending: false,
        amountMinor: 300n,
      });
  });

  it('a refund after approval, or after payout, reverses the approved amount', () => {
    for (const status of ['approved', 'paid'] as const)
      spec
        .given({ ...calculated, status, amountMinor: 300n })
        .when(refunded)
        .then([reversedEvent('refund-1', 300n)], { ...calculated, status: 'reversed', amountMinor: 300n });
  });

  it('a second answer from the budget, a refund of a rejected or reversed commission, or an unknown one: nothing', () => {
    const approved = { ...calculated, status: 'approved' as const, amountMinor: 300n };
    for (const [c, step] of [
      [approved, reservedCapped],
      [approved, { type: 'BudgetReservationRejected', reason: 'BUDGET_EXHAUSTED' }],
      [{ ...calculated, status: 'rejected' }, refunded],
      [{ ...calculated, status: 'reversed' }, refunded],
      [undefined, reservedCapped],
    ] as Array<[Commission | undefined, SagaStep]>)
      spec.given(c).when(step).thenNothingHappened();
  });
});

describe('a commission its campaign’s review holds: reserved, not credited, until decided', () => {
  const flagged: Commission = { ...calculated, reviewReasons: ['THRESHOLD', 'SHARED_IP'] };
  const heldState: Commission = {
    ...flagged,
    status: 'held',
    amountMinor: 300n,
    reviewBy: '2026-03-08T00:00:00.000Z',
    holdCause: { messageId: 'm-1', correlationId: 'flow-1' },
  };
  const heldEvent = {
    type: 'commission.CommissionHeld' as const,
    data: {
      commissionId: 'com-1',
      campaignId: 'cmp-1',
      influencerId: 'inf-1',
      sourceEventId: 'order-1',
      requested: USD(500n),
      amount: USD(300n),
      reasons: ['THRESHOLD', 'SHARED_IP'],
      reviewBy: '2026-03-08T00:00:00.000Z',
    },
  };
  const review = (decision: 'approve' | 'reject', reason: string, decidedBy: string | null = 'brand-1'): SagaStep => ({
    type: 'Reviewed',
    decision,
    reason,
    decidedBy,
    holdingPeriodDays: 14,
  });
  const reviewedEvent = (decision: 'approved' | 'rejected', reason: string, decidedBy: string | null = 'brand-1') => ({
    type: 'commission.CommissionReviewed' as const,
    data: {
      commissionId: 'com-1',
      campaignId: 'cmp-1',
      influencerId: 'inf-1',
      decision,
      reason,
      amount: USD(300n),
      decidedBy,
    },
  });

  it('is held with its reasons once the budget is reserved: no approval, so no ledger credit', () => {
    spec.given(flagged).when(reservedCapped).then([heldEvent], heldState);
  });

  it('approved by the brand: reviewed, then approved for what was reserved (the ledger credits the approval)', () => {
    const approval = {
      type: 'commission.CommissionApproved' as const,
      data: {
        commissionId: 'com-1',
        campaignId: 'cmp-1',
        influencerId: 'inf-1',
        sourceEventId: 'order-1',
        requested: USD(500n),
        amount: USD(300n),
        holdingPeriodDays: 14,
      },
    };
    spec
      .given(heldState)
      .when(review('approve', 'APPROVED'))
      .then([reviewedEvent('approved', 'APPROVED'), approval], {
        ...heldState,
        status: 'approved',
        reason: 'APPROVED',
      });
  });

  it('rejected by the brand as FRAUD or in its own words: reviewed rejected, nothing approved (the campaign releases)', () => {
    for (const reason of ['FRAUD', 'the same card paid 40 orders'])
      spec
        .given(heldState)
        .when(review('reject', reason))
        .then([reviewedEvent('rejected', reason)], { ...heldState, status: 'rejected', reason });
  });

  it('undecided past its review days: approved by itself, reason REVIEW_EXPIRED, by nobody', () => {
    spec
      .given(heldState)
      .when(review('approve', 'REVIEW_EXPIRED', null))
      .then(
        [
          reviewedEvent('approved', 'REVIEW_EXPIRED', null),
          expect.objectContaining({ type: 'commission.CommissionApproved' }),
        ],
        {
          ...heldState,
          status: 'approved',
          reason: 'REVIEW_EXPIRED',
        },
      );
  });

  it('refunded while held: rejected REFUNDED (nothing to claw back, its budget released), not reversed', () => {
    spec
      .given(heldState)
      .when(refunded)
      .then([reviewedEvent('rejected', 'REFUNDED', null)], { ...heldState, status: 'rejected', reason: 'REFUNDED' });
  });

  it('refunded before the budget answered: held, then rejected REFUNDED at once', () => {
    spec
      .given({ ...flagged, reversePending: true })
      .when(reservedCapped)
      .then([heldEvent, reviewedEvent('rejected', 'REFUNDED', null)], {
        ...heldState,
        status: 'rejected',
        reason: 'REFUNDED',
      });
  });

  it('a decision on a commission that is not held changes nothing (the handler refuses it, NOT_HELD)', () => {
    const approved: Commission = { ...heldState, status: 'approved' };
    spec.given(approved).when(review('reject', 'FRAUD')).then([], approved);
    expect(
      reviewRefusal(approved, { id: 'cmp-1', brandId: 'brand-1' }, { campaignId: 'cmp-1', brandId: 'brand-1' }),
    ).toBe('NOT_HELD: the commission is approved');
  });

  it('another brand, another campaign, or no such commission: NOT_FOUND, as if it were not there; admin may decide', () => {
    const campaign = { id: 'cmp-1', brandId: 'brand-1' };
    const notFound = 'NOT_FOUND: no such commission in this campaign';
    expect(reviewRefusal(heldState, campaign, { campaignId: 'cmp-1', brandId: 'brand-2' })).toBe(notFound);
    expect(reviewRefusal(heldState, campaign, { campaignId: 'cmp-2', brandId: 'brand-1' })).toBe(notFound);
    expect(reviewRefusal(undefined, campaign, { campaignId: 'cmp-1', brandId: 'brand-1' })).toBe(notFound);
    expect(reviewRefusal(heldState, campaign, { campaignId: 'cmp-1', brandId: null })).toBeUndefined();
    expect(reviewRefusal(heldState, campaign, { campaignId: 'cmp-1', brandId: 'brand-1' })).toBeUndefined();
  });
});
