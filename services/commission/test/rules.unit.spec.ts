import { deciderSpec, recordedEvent, USD } from '@beacon/testing';
import type { TrackingEventRecordedV2 as TrackingEventRecorded } from '@beacon/contracts';
import { TupleMap, TupleSet } from '@beacon/domain';
import {
  candidatesOf,
  commissionDecider,
  decideCommission,
  holdReasonsOf,
  refundsOf,
  type CampaignTerms,
  type CommissionBatch,
  type CommissionFacts,
} from '../src/rules.js';

const terms = (over: Partial<CampaignTerms> = {}): CampaignTerms => ({
  id: 'c-1',
  brandId: 'b-1',
  currency: 'USD',
  status: 'active',
  holdingPeriodDays: 0,
  accepted: ['inf-1'],
  review: null,
  rules: [
    { event: 'conversion', type: 'percent', rate: '10', amount: null, customerDurationMonths: null },
    { event: 'click', type: 'fixed', rate: null, amount: USD(25), customerDurationMonths: null },
    { event: 'impression', type: 'per_mille', rate: null, amount: USD(200), customerDurationMonths: null },
  ],
  ...over,
});
const event = (over: Partial<TrackingEventRecorded> = {}): TrackingEventRecorded =>
  recordedEvent({ type: 'conversion', occurredAt: '2026-01-01T00:00:00Z', value: USD(10000), orderId: 'o-1', ...over });

describe('given a campaign with conversion 10%, click 0.25 and 2.00 per mille', () => {
  it('when a 100.00 conversion arrives, then a 10.00 commission', () => {
    expect(decideCommission(event(), terms(), 0n)).toEqual({ kind: 'calculate', amount: USD(1000), holdReasons: [] });
  });
  it('when a click arrives, then 0.25', () => {
    expect(decideCommission(event({ type: 'click', value: null }), terms(), 0n)).toEqual({
      kind: 'calculate',
      amount: USD(25),
      holdReasons: [],
    });
  });
  it('when impressions reach 999, 1000 and 2000, then commissions only at 1000 and 2000', () => {
    const imp = event({ type: 'impression', value: null });
    expect(decideCommission(imp, terms(), 999n)).toEqual({ kind: 'none' });
    expect(decideCommission(imp, terms(), 1000n)).toEqual({ kind: 'calculate', amount: USD(200), holdReasons: [] });
    expect(decideCommission(imp, terms(), 2000n)).toEqual({ kind: 'calculate', amount: USD(200), holdReasons: [] });
  });
  it('rounds percentages half to even: 12.5% of 0.25 → 0.03, 10% of 0.25 → 0.02', () => {
    const rules12 = terms({
      rules: [{ event: 'conversion', type: 'percent', rate: '12.5', amount: null, customerDurationMonths: null }],
    });
    expect(decideCommission(event({ value: USD(25) }), rules12, 0n)).toEqual({
      kind: 'calculate',
      amount: USD(3),
      holdReasons: [],
    });
    expect(decideCommission(event({ value: USD(25) }), terms(), 0n)).toEqual({
      kind: 'calculate',
      amount: USD(2),
      holdReasons: [],
    });
  });
  it('uses a fixed conversion amount when the rule is fixed', () => {
    const fixed = terms({
      rules: [{ event: 'conversion', type: 'fixed', rate: null, amount: USD(1200), customerDurationMonths: null }],
    });
    expect(decideCommission(event(), fixed, 0n)).toEqual({ kind: 'calculate', amount: USD(1200), holdReasons: [] });
  });
});

describe('rejections, each with its reason', () => {
  const reject = (reason: string) => ({ kind: 'reject', reason });
  it('DUPLICATE for a second conversion of the same order', () =>
    expect(decideCommission(event({ duplicate: true }), terms(), 0n)).toEqual(reject('DUPLICATE')));
  it('UNATTRIBUTED without an influencer', () =>
    expect(decideCommission(event({ influencerId: null, attribution: 'none' }), terms(), 0n)).toEqual(
      reject('UNATTRIBUTED'),
    ));
  it('CAMPAIGN_NOT_ACTIVE when paused', () =>
    expect(decideCommission(event(), terms({ status: 'paused' }), 0n)).toEqual(reject('CAMPAIGN_NOT_ACTIVE')));
  it('NOT_PARTICIPATING for an influencer who did not accept', () =>
    expect(decideCommission(event({ influencerId: 'inf-9' }), terms(), 0n)).toEqual(reject('NOT_PARTICIPATING')));
  it('CURRENCY_MISMATCH for a conversion in another currency', () =>
    expect(decideCommission(event({ value: { amountMinor: 10000n, currency: 'EUR' } }), terms(), 0n)).toEqual(
      reject('CURRENCY_MISMATCH'),
    ));
  it('NO_RULE when the campaign pays nothing for clicks', () =>
    expect(
      decideCommission(
        event({ type: 'click', value: null }),
        terms({
          rules: [{ event: 'conversion', type: 'percent', rate: '10', amount: null, customerDurationMonths: null }],
        }),
        0n,
      ),
    ).toEqual(reject('NO_RULE')));
  it('still calculates on a budget-exhausted campaign: the budget saga answers', () =>
    expect(decideCommission(event(), terms({ status: 'budget_exhausted' }), 0n)).toEqual({
      kind: 'calculate',
      amount: USD(1000),
      holdReasons: [],
    }));
  it('ignores invalid and custom events', () => {
    expect(decideCommission(event({ valid: false, reasons: ['UNKNOWN_CAMPAIGN'] }), terms(), 0n)).toEqual({
      kind: 'none',
    });
    expect(decideCommission(event({ type: 'custom', value: null }), terms(), 0n)).toEqual({ kind: 'none' });
  });
});

describe('a batch of recorded events, decided in order', () => {
  let n = 0;
  const spec = deciderSpec(commissionDecider(() => `com-${++n}`));
  const facts = (over: Partial<CommissionFacts> = {}): CommissionBatch => ({
    facts: { terms: new Map([['c-1', terms()]]), decided: new TupleSet(), impressions: new TupleMap(), ...over },
    impressionsAdded: new TupleMap(),
    commissions: [],
  });
  const impression = (i: number) => ({
    correlationId: `flow-${i}`,
    event: event({
      eventId: `imp-${i}`,
      type: 'impression',
      value: null,
      orderId: null,
      campaignId: 'c-1',
      influencerId: 'inf-1',
    }),
  });

  it('given 998 impressions counted before, when 3 more arrive, then the second of them (the 1,000th) earns, in its own flow', () => {
    n = 0;
    spec
      .given(facts({ impressions: new TupleMap([[['c-1', 'inf-1'], 998n]]) }))
      .when([impression(1), impression(2), impression(3)])
      .thenDecision((events, state) => {
        expect(events).toEqual([
          {
            type: 'commission.CommissionCalculated',
            key: 'c-1',
            correlationId: 'flow-2',
            data: {
              commissionId: 'com-1',
              campaignId: 'c-1',
              influencerId: 'inf-1',
              sourceEventId: 'imp-2',
              attribution: 'explicit',
              eventType: 'impression',
              amount: USD(200),
            },
          },
        ]);
        expect(state.impressionsAdded).toEqual(new TupleMap([[['c-1', 'inf-1'], 3n]]));
        expect(state.facts.impressions.get(['c-1', 'inf-1'])).toBe(1001n);
        expect(state.commissions).toMatchObject([{ id: 'com-1', status: 'pending', amountMinor: 200n }]);
      });
  });

  it('given a source event decided before, or twice in the batch, then it is decided once', () => {
    const conversion = {
      correlationId: 'f',
      event: event({ eventId: 'conv-1', campaignId: 'c-1', influencerId: 'inf-1' }),
    };
    const again = { correlationId: 'f', event: event({ eventId: 'conv-2', campaignId: 'c-1', influencerId: 'inf-1' }) };
    spec
      .given(facts({ decided: new TupleSet([['c-1', 'conv-1']]) }))
      .when([conversion, again, again])
      .thenDecision((events) => expect(events.map((e) => e.data.sourceEventId)).toEqual(['conv-2']));
  });

  it('given an event its influencer does not take part in, then a rejection with its reason, stored and told', () => {
    spec
      .given(facts())
      .when([
        { correlationId: 'g', event: event({ eventId: 'conv-9', campaignId: 'c-1', influencerId: 'inf-stranger' }) },
      ])
      .thenDecision((events, state) => {
        expect(events).toMatchObject([
          {
            type: 'commission.CommissionRejected',
            correlationId: 'g',
            data: { reason: 'NOT_PARTICIPATING', amount: null },
          },
        ]);
        expect(state.commissions).toMatchObject([
          { status: 'rejected', reason: 'NOT_PARTICIPATING', amountMinor: null },
        ]);
      });
  });

  it('given a refund, then it is handed to the saga, not decided here', () => {
    const refund = {
      correlationId: 'r',
      event: event({ type: 'refund', campaignId: 'c-1', refundedEventId: 'conv-1' }),
    };
    spec
      .given(facts())
      .when([refund])
      .thenDecision((events, state) => {
        expect(events).toEqual([]);
        expect(state.commissions).toEqual([]);
      });
    expect(refundsOf([refund, { ...refund, event: { ...refund.event, valid: false } }])).toEqual([refund]);
  });

  it('given 998 impressions before, only the 1,000th of the next three, and valid clicks and conversions, need a lookup', () => {
    const click = {
      correlationId: 'c',
      event: event({ eventId: 'click-1', type: 'click', value: null, campaignId: 'c-1' }),
    };
    const invalid = { correlationId: 'c', event: event({ eventId: 'bad-1', valid: false, campaignId: 'c-1' }) };
    const lookups = candidatesOf(
      [impression(1), click, impression(2), invalid, impression(3)],
      new TupleMap([[['c-1', 'inf-1'], 998n]]),
    );
    expect(lookups).toEqual([
      ['c-1', 'click-1'],
      ['c-1', 'imp-2'],
    ]);
  });
});

describe('leads and recurring commissions (domain.md: "Leads, customers and recurring commissions")', () => {
  const withRules = (rules: CampaignTerms['rules']) => terms({ rules });
  const lead = (over: Partial<TrackingEventRecorded> = {}) =>
    event({ type: 'lead', value: null, orderId: null, customerId: 'cus-1', ...over });
  const customer = (saleNumber: number, boundAt = '2026-01-01T00:00:00Z') => ({
    influencerId: 'inf-1',
    campaignId: 'c-1',
    boundAt,
    boundBy: 'lead' as const,
    binds: false,
    saleNumber,
  });
  const leadRule = {
    event: 'lead' as const,
    type: 'fixed' as const,
    rate: null,
    amount: USD(500),
    customerDurationMonths: null,
  };
  const percent = (customerDurationMonths: number | null) => ({
    event: 'conversion' as const,
    type: 'percent' as const,
    rate: '10',
    amount: null,
    customerDurationMonths,
  });

  it("given a lead/fixed rule, then a lead earns it; the customer's second lead (a duplicate) is rejected DUPLICATE", () => {
    expect(decideCommission(lead(), withRules([leadRule]), 0n)).toEqual({
      kind: 'calculate',
      amount: USD(500),
      holdReasons: [],
    });
    expect(decideCommission(lead({ duplicate: true }), withRules([leadRule]), 0n)).toEqual({
      kind: 'reject',
      reason: 'DUPLICATE',
    });
    expect(decideCommission(lead(), withRules([percent(null)]), 0n)).toEqual({ kind: 'reject', reason: 'NO_RULE' });
  });

  it('given 2 months from a binding on 1 January, then sales to 28 February earn; 1 March is CUSTOMER_DURATION_ENDED', () => {
    const rules = withRules([percent(2)]);
    const sale = (at: string, n: number) => event({ occurredAt: at, customerId: 'cus-1', customer: customer(n) });
    expect(decideCommission(sale('2026-01-15T00:00:00Z', 1), rules, 0n).kind).toBe('calculate');
    expect(decideCommission(sale('2026-02-28T23:59:59Z', 2), rules, 0n).kind).toBe('calculate');
    expect(decideCommission(sale('2026-03-01T00:00:00Z', 3), rules, 0n)).toEqual({
      kind: 'reject',
      reason: 'CUSTOMER_DURATION_ENDED',
    });
  });

  it('given customerDurationMonths 0, then only the first sale earns; absent, every sale; a sale with no customer always does', () => {
    const at = '2030-01-01T00:00:00Z';
    expect(decideCommission(event({ customer: customer(1) }), withRules([percent(0)]), 0n).kind).toBe('calculate');
    expect(decideCommission(event({ customer: customer(2) }), withRules([percent(0)]), 0n)).toMatchObject({
      reason: 'CUSTOMER_DURATION_ENDED',
    });
    expect(
      decideCommission(event({ occurredAt: at, customer: customer(9) }), withRules([percent(null)]), 0n).kind,
    ).toBe('calculate');
    expect(decideCommission(event({ occurredAt: at }), withRules([percent(1)]), 0n).kind).toBe('calculate');
  });

  it('tells a reason older readers lack as NO_RULE, with the reason itself beside it', () => {
    const spec = deciderSpec(commissionDecider(() => 'com-x'));
    spec
      .given({
        facts: {
          terms: new Map([['c-1', withRules([percent(0)])]]),
          decided: new TupleSet(),
          impressions: new TupleMap(),
        },
        impressionsAdded: new TupleMap(),
        commissions: [],
      })
      .when([
        { correlationId: 'f', event: event({ eventId: 'renewal', customer: customer(2), attribution: 'customer' }) },
      ])
      .thenDecision((events, state) => {
        expect(events).toMatchObject([
          {
            type: 'commission.CommissionRejected',
            data: { reason: 'NO_RULE', reasonDetail: 'CUSTOMER_DURATION_ENDED', attribution: 'customer' },
          },
        ]);
        expect(state.commissions).toMatchObject([{ status: 'rejected', reason: 'CUSTOMER_DURATION_ENDED' }]);
      });
  });
});

describe('a campaign’s review rule says which commissions are held', () => {
  const review = { thresholdAmount: USD(10_000), reviewDays: 7, signals: ['SELF_REFERRAL', 'BOT_USER_AGENT'] };
  it('holds at or above the threshold, and for the signals the campaign named (only those)', () => {
    expect(holdReasonsOf(review, USD(10_000), [])).toEqual(['THRESHOLD']);
    expect(holdReasonsOf(review, USD(9_999), [])).toEqual([]);
    expect(holdReasonsOf(review, USD(100), ['SHARED_IP', 'BOT_USER_AGENT'])).toEqual(['BOT_USER_AGENT']);
    expect(holdReasonsOf(review, USD(20_000), ['SELF_REFERRAL'])).toEqual(['THRESHOLD', 'SELF_REFERRAL']);
    expect(holdReasonsOf(null, USD(20_000), ['SELF_REFERRAL'])).toEqual([]);
  });
  it('the decision carries the reasons, so the saga holds it once reserved', () => {
    const e = recordedEvent({ type: 'conversion', value: USD(200_000), orderId: 'o-1', signals: ['BOT_USER_AGENT'] });
    expect(decideCommission(e, terms({ review }), 0n)).toEqual({
      kind: 'calculate',
      amount: USD(20_000),
      holdReasons: ['THRESHOLD', 'BOT_USER_AGENT'],
    });
  });
});
