import { deciderSpec, USD } from '@beacon/testing';
import { sagaDecider, type Commission, type SagaStep } from '../src/saga.js';

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
};

const reservedCapped: SagaStep = {
  type: 'BudgetReserved',
  requested: USD(500n),
  reserved: USD(300n),
  holdingPeriodDays: 14,
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
