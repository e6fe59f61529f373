import { USD } from '@beacon/testing';
import { advance, type Commission, type SagaStep } from '../src/saga.js';

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
  it('is approved for what the budget reserved, capped, with the campaign’s holding period', () => {
    const { state, events } = advance(calculated, reservedCapped);
    expect(state).toEqual({ ...calculated, status: 'approved', amountMinor: 300n });
    expect(events).toEqual([
      {
        type: 'commission.CommissionApproved',
        data: {
          commissionId: 'com-1',
          campaignId: 'cmp-1',
          influencerId: 'inf-1',
          sourceEventId: 'order-1',
          requested: USD(500n),
          amount: USD(300n),
          holdingPeriodDays: 14,
        },
      },
    ]);
  });

  it('is rejected as budget exhausted, for what it asked, when the budget says no', () => {
    const { state, events } = advance(calculated, { type: 'BudgetReservationRejected', reason: 'BUDGET_EXHAUSTED' });
    expect(state).toMatchObject({ status: 'rejected', reason: 'BUDGET_EXHAUSTED' });
    expect(events.map((e) => e.data)).toEqual([
      expect.objectContaining({ reason: 'BUDGET_EXHAUSTED', amount: USD(500n) }),
    ]);
  });

  it('names the budget’s reasons in the commission’s words: a currency mismatch stays one, an unknown campaign is not active', () => {
    const reasonFor = (reason: string) =>
      advance(calculated, { type: 'BudgetReservationRejected', reason }).state?.reason;
    expect(reasonFor('CURRENCY_MISMATCH')).toBe('CURRENCY_MISMATCH');
    expect(reasonFor('UNKNOWN_CAMPAIGN')).toBe('CAMPAIGN_NOT_ACTIVE');
  });

  it('a refund before approval reverses nothing yet, and the approval that follows reverses at once', () => {
    const marked = advance(calculated, refunded);
    expect(marked.events).toEqual([]);
    expect(marked.state).toEqual({ ...calculated, reversePending: true });
    const { state, events } = advance(marked.state, reservedCapped);
    expect(state).toMatchObject({ status: 'reversed', reversePending: false, amountMinor: 300n });
    expect(events.map((e) => e.type)).toEqual(['commission.CommissionApproved', 'commission.CommissionReversed']);
    expect(events[1]?.data).toMatchObject({ refundEventId: 'refund-before-approval', amount: USD(300n) });
  });

  it('a refund after approval, or after payout, reverses the approved amount', () => {
    for (const status of ['approved', 'paid'] as const) {
      const { state, events } = advance({ ...calculated, status, amountMinor: 300n }, refunded);
      expect(state?.status).toBe('reversed');
      expect(events).toEqual([
        {
          type: 'commission.CommissionReversed',
          data: {
            commissionId: 'com-1',
            campaignId: 'cmp-1',
            influencerId: 'inf-1',
            refundEventId: 'refund-1',
            amount: USD(300n),
          },
        },
      ]);
    }
  });

  it('a second answer from the budget, a refund of a rejected or reversed commission, or an unknown commission change nothing', () => {
    const approved = advance(calculated, reservedCapped).state;
    for (const [c, step] of [
      [approved, reservedCapped],
      [approved, { type: 'BudgetReservationRejected', reason: 'BUDGET_EXHAUSTED' }],
      [{ ...calculated, status: 'rejected' }, refunded],
      [{ ...calculated, status: 'reversed' }, refunded],
      [undefined, reservedCapped],
    ] as Array<[Commission | undefined, SagaStep]>) {
      const decision = advance(c, step);
      expect(decision.state).toBe(c);
      expect(decision.events).toEqual([]);
    }
  });
});
