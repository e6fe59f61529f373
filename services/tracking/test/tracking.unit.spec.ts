import type { RecordTrackingEventV2 as RecordTrackingEvent } from '@beacon/contracts';
import { TupleMap, TupleSet } from '@beacon/domain';
import { deciderSpec } from '@beacon/testing';
import {
  attribute,
  cleanItem,
  decideRecording,
  noFacts,
  parseProperties,
  storable,
  tenantOf,
  trackingDecider,
  validate,
  type BatchFacts,
  type BatchItem,
  type RecordingFacts,
  type TrackingEvent,
  type TrackingState,
} from '../src/tracking.js';

const campaign = {
  id: 'c-1',
  brandId: 'b-1',
  currency: 'USD',
  attributionWindowDays: 30,
  attributionModel: 'last_click' as const,
};
const event = (over: Partial<RecordTrackingEvent> = {}): RecordTrackingEvent => ({
  eventId: 'e-1',
  clientEventId: false,
  type: 'conversion',
  campaignId: 'c-1',
  influencerId: null,
  clickId: null,
  visitorId: 'v-1',
  userId: null,
  occurredAt: '2026-01-31T12:00:00Z',
  value: { amountMinor: 10000n, currency: 'USD' },
  orderId: 'o-1',
  customerId: null,
  couponCode: null,
  name: null,
  properties: '{}',
  userAgent: null,
  ip: null,
  referrer: null,
  receivedAt: '2026-01-31T12:00:01Z',
  writerBrandId: null,
  ...over,
});

/** A click carries no value and no order. */
const aClick = { type: 'click', value: null, orderId: null } as const;

const known = (over: Partial<RecordingFacts> = {}): RecordingFacts => ({
  campaign,
  seen: false,
  orderRefunded: false,
  ...over,
});
const order = { eventId: 'conv-1', influencerId: 'inf-1', valueMinor: 10000n, currency: 'USD' };

describe('validity (stored either way)', () => {
  it('given a known campaign and a complete conversion from its owner, when validated, then it is valid', () => {
    expect(validate(event({ writerBrandId: 'b-1' }), known())).toEqual([]);
  });
  it('given an unknown campaign and properties that are not an object, then both reasons are kept', () => {
    expect(validate(event({ properties: '[1,2]' }), known({ campaign: undefined }))).toEqual([
      'UNKNOWN_CAMPAIGN',
      'MALFORMED_PROPERTIES',
    ]);
  });
  it("given another brand's campaign, then NOT_OWNER, and the event belongs to its sender", () => {
    expect(validate(event({ writerBrandId: 'b-2' }), known())).toEqual(['NOT_OWNER']);
    expect(tenantOf({ writerBrandId: 'b-2' }, campaign)).toBe('b-2');
    expect(tenantOf({ writerBrandId: null }, campaign)).toBe('b-1');
  });
  it('given a refund of an order never converted, then UNKNOWN_ORDER; of one refunded already, then ALREADY_REFUNDED', () => {
    expect(validate(event({ type: 'refund', value: null }), known())).toEqual(['UNKNOWN_ORDER']);
    expect(
      validate(event({ type: 'refund', value: null }), known({ conversionOfOrder: order, orderRefunded: true })),
    ).toEqual(['ALREADY_REFUNDED']);
  });
  it('given a custom event without a name, then MISSING_NAME', () => {
    expect(validate(event({ type: 'custom', value: null, orderId: null }), known())).toEqual(['MISSING_NAME']);
  });
  it('given an occurredAt a year and a half before receipt, or an hour after it, then OCCURRED_AT_OUT_OF_WINDOW', () => {
    expect(validate(event({ occurredAt: '2024-07-01T00:00:00.000Z' }), known())).toEqual(['OCCURRED_AT_OUT_OF_WINDOW']);
    expect(validate(event({ occurredAt: '2026-01-31T13:00:02.000Z' }), known())).toEqual(['OCCURRED_AT_OUT_OF_WINDOW']);
    expect(validate(event({ occurredAt: '+275760-09-13T00:00:00.000Z' }), known())).toEqual([
      'OCCURRED_AT_OUT_OF_WINDOW',
    ]);
    expect(validate(event({ occurredAt: 'Jan 1' }), known())).toEqual(['OCCURRED_AT_OUT_OF_WINDOW']);
  });
  it('given properties the database cannot store, then MALFORMED_PROPERTIES and nothing thrown', () => {
    for (const properties of ['{"a":"\\u0000"}', '{"a":"\\ud800"}', 'not json', `${'['.repeat(40)}${']'.repeat(40)}`]) {
      expect(parseProperties(properties)).toEqual({ properties: null, malformed: true });
    }
  });
});

describe('text the database cannot store', () => {
  it('is made storable and flagged INVALID_TEXT', () => {
    const { event: clean, reasons } = storable(event({ visitorId: 'v\u0000x', name: 'a\ud800b' }));
    expect(clean).toMatchObject({ visitorId: 'vx', name: 'a\ufffdb' });
    expect(reasons).toEqual(['INVALID_TEXT']);
    expect(storable(event()).reasons).toEqual([]);
  });
});

describe('what tracking records for each event of a batch', () => {
  it("a write into another brand's campaign is stored for its sender and counted nowhere in that campaign", () => {
    const r = decideRecording(event({ writerBrandId: 'b-2' }), known(), 'new-click');
    expect(r).toMatchObject({ tenant: 'b-2', valid: false, reasons: ['NOT_OWNER'] });
    expect(r.recorded.brandId).toBe('b-2');
  });
  it('a second click by the same visitor on the same link within 30 minutes is stored, flagged duplicate, and remembers no click', () => {
    const click = event({
      ...aClick,
      influencerId: 'inf-1',
      occurredAt: '2026-01-31T12:00:00.000Z',
    });
    const repeat = decideRecording(
      click,
      known({ previousClickOnLink: { occurredAt: '2026-01-31T11:45:00.000Z' } }),
      'c-2',
    );
    expect(repeat).toMatchObject({ valid: true, duplicate: true, click: undefined });
    const later = decideRecording(
      click,
      known({ previousClickOnLink: { occurredAt: '2026-01-31T11:00:00.000Z' } }),
      'c-3',
    );
    expect(later).toMatchObject({ valid: true, duplicate: false, click: { clickId: 'c-3', influencerId: 'inf-1' } });
  });
  it('a refund carries the refunded conversion, its value and influencer', () => {
    const r = decideRecording(event({ type: 'refund', value: null }), known({ conversionOfOrder: order }), 'x');
    expect(r.recorded).toMatchObject({
      valid: true,
      refundedEventId: 'conv-1',
      influencerId: 'inf-1',
      value: { amountMinor: 10000n, currency: 'USD' },
    });
  });
  it("every event names its campaign's currency, so readers need no other record of the campaign to count revenue", () => {
    const eur = decideRecording(event({ value: { amountMinor: 500n, currency: 'EUR' } }), known(), 'x');
    expect(eur.recorded).toMatchObject({ campaignCurrency: 'USD', value: { currency: 'EUR' } });
    expect(decideRecording(event(), known({ campaign: undefined }), 'x').recorded.campaignCurrency).toBeNull();
  });
});

describe('attribution: explicit → click id → last click within the window → none', () => {
  const conv = { type: 'conversion' as const, influencerId: null, occurredAt: '2026-01-31T12:00:00Z' };
  it('given an explicit influencer, then it wins over a click', () => {
    expect(attribute({ ...conv, influencerId: 'inf-1' }, { clickInfluencer: 'inf-2' }, 30)).toEqual({
      influencerId: 'inf-1',
      attribution: 'explicit',
    });
  });
  it('given a click id, then its influencer', () => {
    expect(
      attribute(
        conv,
        { clickInfluencer: 'inf-2', lastClick: { influencerId: 'inf-3', occurredAt: '2026-01-30T00:00:00Z' } },
        30,
      ),
    ).toEqual({ influencerId: 'inf-2', attribution: 'click_id' });
  });
  it('given a last click 30 days before, then it attributes; 31 days before, then it does not', () => {
    expect(attribute(conv, { lastClick: { influencerId: 'inf-3', occurredAt: '2026-01-01T12:00:00Z' } }, 30)).toEqual({
      influencerId: 'inf-3',
      attribution: 'last_click',
    });
    expect(attribute(conv, { lastClick: { influencerId: 'inf-3', occurredAt: '2025-12-31T11:59:59Z' } }, 30)).toEqual({
      influencerId: null,
      attribution: 'none',
    });
  });
});

describe('a batch, decided in order', () => {
  const facts = (over: Partial<BatchFacts> = {}): TrackingState => ({
    facts: { ...noFacts(), campaigns: new Map([['c-1', campaign]]), ...over },
    rows: [],
    customersChanged: new TupleSet(),
  });
  let n = 0;
  const ids = () => `new-${++n}`;
  const spec = deciderSpec(trackingDecider(ids));
  const item = (over: Partial<RecordTrackingEvent>, correlationId = 'flow-1'): BatchItem => ({
    correlationId,
    event: event({ eventId: `e-${++n}`, ...over }),
    reasons: [],
  });
  /** The one event's recorded items. */
  const recordedOf = (events: TrackingEvent[]) => events[0]?.data.recorded ?? [];

  it('given an event id stored before and one repeated within the batch, then both repeats are ignored in their flows', () => {
    const stored = item({ type: 'impression', value: null, orderId: null }, 'flow-a');
    const twice = item({ type: 'impression', value: null, orderId: null }, 'flow-b');
    spec
      .given(facts({ seen: new TupleSet([['b-1', 'c-1', stored.event.eventId]]) }))
      .when([stored, twice, { ...twice, correlationId: 'flow-c' }])
      .thenDecision((events, state) => {
        expect(state.rows.map((r) => r.event.eventId)).toEqual([twice.event.eventId]);
        expect(events[0]?.data.ignored).toEqual([
          {
            correlationId: 'flow-a',
            event: { eventId: stored.event.eventId, campaignId: 'c-1', reason: 'DUPLICATE_EVENT_ID' },
          },
          {
            correlationId: 'flow-c',
            event: { eventId: twice.event.eventId, campaignId: 'c-1', reason: 'DUPLICATE_EVENT_ID' },
          },
        ]);
      });
  });

  it('given a click, then a conversion of the same visitor in one batch, then it is attributed by last click and click id', () => {
    const click = item({ ...aClick, influencerId: 'inf-9', clickId: 'k-1', occurredAt: '2026-01-31T11:00:00Z' });
    const byVisitor = item({ type: 'conversion', orderId: 'o-a' });
    const byClickId = item({ type: 'conversion', orderId: 'o-b', visitorId: 'someone-else', clickId: 'k-1' });
    spec
      .given(facts())
      .when([click, byVisitor, byClickId])
      .thenDecision((events, state) => {
        expect(recordedOf(events).map((r) => [r.event.influencerId, r.event.attribution])).toEqual([
          ['inf-9', 'explicit'],
          ['inf-9', 'last_click'],
          ['inf-9', 'click_id'],
        ]);
        expect(state.facts.clickInfluencers.get(['c-1', 'k-1'])).toBe('inf-9');
      });
  });

  it('given a click the store holds for the visitor, then a conversion is attributed to it by last click', () => {
    const conversion = item({ type: 'conversion', orderId: 'o-s' });
    spec
      .given(facts({ earlierClicks: new Map([[0, { influencerId: 'inf-4', occurredAt: '2026-01-30T10:00:00Z' }]]) }))
      .when([conversion])
      .thenDecision((events) =>
        expect(recordedOf(events)[0]?.event).toMatchObject({ influencerId: 'inf-4', attribution: 'last_click' }),
      );
  });

  it('given an order converted and refunded twice in one batch, then one earning, one duplicate, one refund, ALREADY_REFUNDED', () => {
    spec
      .given(facts())
      .when([
        item({ orderId: 'o-1', influencerId: 'inf-1' }),
        item({ orderId: 'o-1' }),
        item({ type: 'refund', value: null }),
        item({ type: 'refund', value: null }),
      ])
      .thenDecision((events, state) => {
        const recorded = recordedOf(events);
        expect(recorded.map((r) => [r.event.type, r.event.valid, r.event.duplicate, r.event.reasons])).toEqual([
          ['conversion', true, false, []],
          ['conversion', true, true, []],
          ['refund', true, false, []],
          ['refund', false, false, ['ALREADY_REFUNDED']],
        ]);
        expect(recorded[2]?.event).toMatchObject({
          refundedEventId: recorded[0]?.event.eventId,
          influencerId: 'inf-1',
          value: { amountMinor: 10000n, currency: 'USD' },
        });
        expect(state.facts.refunded.has(['c-1', 'o-1'])).toBe(true);
      });
  });

  it("given a conversion the store already holds for the order, then the batch's conversion of it is the duplicate", () => {
    spec
      .given(facts({ conversions: new TupleMap([[['c-1', 'o-1'], order]]) }))
      .when([item({ orderId: 'o-1' })])
      .thenDecision((events) => expect(recordedOf(events)[0]?.event).toMatchObject({ valid: true, duplicate: true }));
  });

  it("given another brand's write in the batch, then it is NOT_OWNER and teaches the owner's events nothing", () => {
    const intruderClick = item({ ...aClick, influencerId: 'inf-x', clickId: 'k-x', writerBrandId: 'b-2' });
    const conversion = item({ type: 'conversion', orderId: 'o-z', clickId: 'k-x', writerBrandId: 'b-1' });
    spec
      .given(facts())
      .when([intruderClick, conversion])
      .thenDecision((events) => {
        const recorded = recordedOf(events);
        expect(recorded[0]?.event).toMatchObject({ valid: false, reasons: ['NOT_OWNER'], brandId: 'b-2' });
        expect(recorded[1]?.event).toMatchObject({ valid: true, influencerId: null, attribution: 'none' });
      });
  });

  it('given text the database cannot store, then the reason found by storable is kept for that item only', () => {
    spec
      .given(facts())
      .when([
        item({ type: 'impression', value: null, orderId: null }),
        cleanItem(item({ type: 'impression', value: null, orderId: null, visitorId: 'v\u0000x' })),
      ])
      .thenDecision((events) => expect(recordedOf(events).map((r) => r.event.reasons)).toEqual([[], ['INVALID_TEXT']]));
  });
});

describe('leads, customers and coupon codes (domain.md: "Leads, customers …", "Coupon codes", "Attribution models")', () => {
  let n = 0;
  const spec = deciderSpec(trackingDecider(() => `k-${++n}`));
  const state = (
    over: Partial<BatchFacts> = {},
    model: 'last_click' | 'first_click' = 'last_click',
  ): TrackingState => ({
    facts: { ...noFacts(), campaigns: new Map([['c-1', { ...campaign, attributionModel: model }]]), ...over },
    rows: [],
    customersChanged: new TupleSet(),
  });
  const item = (over: Partial<RecordTrackingEvent>): BatchItem => ({
    correlationId: 'flow',
    event: event({ eventId: `e-${++n}`, writerBrandId: 'b-1', ...over }),
    reasons: [],
  });
  const lead = (over: Partial<RecordTrackingEvent> = {}) =>
    item({ type: 'lead', value: null, orderId: null, customerId: 'cus-1', ...over });
  const sale = (over: Partial<RecordTrackingEvent> = {}) => item({ type: 'conversion', orderId: `o-${++n}`, ...over });
  const recorded = (events: TrackingEvent[]) => (events[0]?.data.recorded ?? []).map((r) => r.event);
  const boundToA = {
    influencerId: 'inf-a',
    campaignId: 'c-1',
    boundAt: '2026-01-01T00:00:00Z',
    boundBy: 'lead' as const,
    attribution: 'last_click' as const,
    sales: 0,
    hasLead: true,
  };

  it('given a click, when a lead of a new customer follows, then it is attributed by the click and binds the customer', () =>
    spec
      .given(state({ earlierClicks: new Map([[0, { influencerId: 'inf-a', occurredAt: '2026-01-30T00:00:00Z' }]]) }))
      .when([lead()])
      .thenDecision((events, after) => {
        expect(recorded(events)[0]).toMatchObject({
          influencerId: 'inf-a',
          attribution: 'last_click',
          customer: { influencerId: 'inf-a', boundBy: 'lead', binds: true, saleNumber: 0 },
        });
        expect(after.facts.customers.get(['b-1', 'cus-1'])).toMatchObject({ influencerId: 'inf-a', hasLead: true });
        expect(after.customersChanged.keys()).toEqual([['b-1', 'cus-1']]);
      }));

  it('given a lead without a customer id, then it is stored invalid with MISSING_CUSTOMER_ID', () =>
    spec
      .given(state())
      .when([lead({ customerId: null })])
      .thenDecision((events) =>
        expect(recorded(events)[0]).toMatchObject({ valid: false, reasons: ['MISSING_CUSTOMER_ID'] }),
      ));

  it("given a customer bound to A, when it buys after clicking B's link, then the sale is still A's, by its customer", () =>
    spec
      .given(
        state({
          customers: new TupleMap([[['b-1', 'cus-1'], boundToA]]),
          clickInfluencers: new TupleMap([[['c-1', 'k-b'], 'inf-b']]),
        }),
      )
      .when([sale({ customerId: 'cus-1', clickId: 'k-b' }), sale({ customerId: 'cus-1' })])
      .thenDecision((events) =>
        expect(recorded(events).map((e) => [e.influencerId, e.attribution, e.customer?.saleNumber])).toEqual([
          ['inf-a', 'customer', 1],
          ['inf-a', 'customer', 2],
        ]),
      ));

  it('given a customer bound by a lead, then its second lead is a duplicate (a lead earns once per customer)', () =>
    spec
      .given(state({ customers: new TupleMap([[['b-1', 'cus-1'], boundToA]]) }))
      .when([lead()])
      .thenDecision((events) =>
        expect(recorded(events)[0]).toMatchObject({ duplicate: true, attribution: 'customer' }),
      ));

  it("given an active code of the campaign, then a conversion with it and no click is the code's influencer's", () =>
    spec
      .given(
        state({
          coupons: new TupleMap([[['b-1', 'maya10'], { campaignId: 'c-1', influencerId: 'inf-m', active: true }]]),
        }),
      )
      .when([sale({ couponCode: 'MAYA10' })])
      .thenDecision((events) =>
        expect(recorded(events)[0]).toMatchObject({ influencerId: 'inf-m', attribution: 'coupon', notes: [] }),
      ));

  it("given a deactivated code, an unknown one or another campaign's, then UNKNOWN_COUPON and attribution goes on to the click", () => {
    const codes = new TupleMap<[string, string], { campaignId: string; influencerId: string; active: boolean }>([
      [['b-1', 'old10'], { campaignId: 'c-1', influencerId: 'inf-m', active: false }],
      [['b-1', 'else10'], { campaignId: 'c-2', influencerId: 'inf-m', active: true }],
    ]);
    const click = { influencerId: 'inf-c', occurredAt: '2026-01-30T00:00:00Z' };
    spec
      .given(
        state({
          coupons: codes,
          earlierClicks: new Map([
            [0, click],
            [1, click],
            [2, click],
          ]),
        }),
      )
      .when([sale({ couponCode: 'OLD10' }), sale({ couponCode: 'NOPE10' }), sale({ couponCode: 'ELSE10' })])
      .thenDecision((events) =>
        expect(recorded(events).map((e) => [e.influencerId, e.attribution, e.notes, e.valid])).toEqual([
          ['inf-c', 'last_click', ['UNKNOWN_COUPON'], true],
          ['inf-c', 'last_click', ['UNKNOWN_COUPON'], true],
          ['inf-c', 'last_click', ['UNKNOWN_COUPON'], true],
        ]),
      );
  });

  it('given the same visitor history, then first_click credits the first click in the window and last_click the last', () => {
    const history = {
      earlierClicks: new Map([[0, { influencerId: 'inf-late', occurredAt: '2026-01-30T00:00:00Z' }]]),
      firstClicks: new Map([[0, { influencerId: 'inf-early', occurredAt: '2026-01-10T00:00:00Z' }]]),
    };
    spec
      .given(state(history, 'first_click'))
      .when([sale()])
      .thenDecision((events) =>
        expect(recorded(events)[0]).toMatchObject({ influencerId: 'inf-early', attribution: 'first_click' }),
      );
    spec
      .given(state(history, 'last_click'))
      .when([sale()])
      .thenDecision((events) =>
        expect(recorded(events)[0]).toMatchObject({ influencerId: 'inf-late', attribution: 'last_click' }),
      );
  });

  it('given two brands with the same customer id, then they stay two customers', () => {
    const other = { ...campaign, id: 'c-2', brandId: 'b-2' };
    const facts = state({
      earlierClicks: new Map([
        [0, { influencerId: 'inf-a', occurredAt: '2026-01-30T00:00:00Z' }],
        [1, { influencerId: 'inf-b', occurredAt: '2026-01-30T00:00:00Z' }],
      ]),
    });
    facts.facts.campaigns.set('c-2', other);
    spec
      .given(facts)
      .when([lead(), lead({ campaignId: 'c-2', writerBrandId: 'b-2' })])
      .thenDecision((events, after) => {
        expect(recorded(events).map((e) => [e.brandId, e.customer?.influencerId, e.customer?.binds])).toEqual([
          ['b-1', 'inf-a', true],
          ['b-2', 'inf-b', true],
        ]);
        expect(after.facts.customers.keys()).toEqual([
          ['b-1', 'cus-1'],
          ['b-2', 'cus-1'],
        ]);
      });
  });
});
