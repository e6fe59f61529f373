import type { RecordTrackingEvent } from '@beacon/contracts';
import {
  activityRow, attribute, decideRecording, parseProperties, rollupIncrement, storable, tenantOf, validate, windowOf, type RecordingFacts,
} from '../src/tracking.js';

const campaign = { id: 'c-1', brandId: 'b-1', currency: 'USD', attributionWindowDays: 30 };
const event = (over: Partial<RecordTrackingEvent> = {}): RecordTrackingEvent => ({
  eventId: 'e-1', clientEventId: false, type: 'conversion', campaignId: 'c-1', influencerId: null, clickId: null, visitorId: 'v-1',
  userId: null, occurredAt: '2026-01-31T12:00:00Z', value: { amountMinor: 10000n, currency: 'USD' }, orderId: 'o-1', name: null,
  properties: '{}', userAgent: null, ip: null, referrer: null, receivedAt: '2026-01-31T12:00:01Z', writerBrandId: null, ...over,
});

const known = (over: Partial<RecordingFacts> = {}): RecordingFacts => ({ campaign, seen: false, orderRefunded: false, ...over });
const order = { eventId: 'conv-1', influencerId: 'inf-1', valueMinor: 10000n, currency: 'USD' };

describe('validity (stored either way)', () => {
  it('given a known campaign and a complete conversion from its owner, when validated, then it is valid', () => {
    expect(validate(event({ writerBrandId: 'b-1' }), known())).toEqual([]);
  });
  it('given an unknown campaign and properties that are not an object, then both reasons are kept', () => {
    expect(validate(event({ properties: '[1,2]' }), known({ campaign: undefined }))).toEqual(['UNKNOWN_CAMPAIGN', 'MALFORMED_PROPERTIES']);
  });
  it("given another brand's campaign, then NOT_OWNER, and the event belongs to its sender", () => {
    expect(validate(event({ writerBrandId: 'b-2' }), known())).toEqual(['NOT_OWNER']);
    expect(tenantOf({ writerBrandId: 'b-2' }, campaign)).toBe('b-2');
    expect(tenantOf({ writerBrandId: null }, campaign)).toBe('b-1');
  });
  it('given a refund of an order never converted, then UNKNOWN_ORDER; of one refunded already, then ALREADY_REFUNDED', () => {
    expect(validate(event({ type: 'refund', value: null }), known())).toEqual(['UNKNOWN_ORDER']);
    expect(validate(event({ type: 'refund', value: null }), known({ conversionOfOrder: order, orderRefunded: true }))).toEqual(['ALREADY_REFUNDED']);
  });
  it('given a custom event without a name, then MISSING_NAME', () => {
    expect(validate(event({ type: 'custom', value: null, orderId: null }), known())).toEqual(['MISSING_NAME']);
  });
  it('given an occurredAt a year and a half before receipt, or an hour after it, then OCCURRED_AT_OUT_OF_WINDOW', () => {
    expect(validate(event({ occurredAt: '2024-07-01T00:00:00.000Z' }), known())).toEqual(['OCCURRED_AT_OUT_OF_WINDOW']);
    expect(validate(event({ occurredAt: '2026-01-31T13:00:02.000Z' }), known())).toEqual(['OCCURRED_AT_OUT_OF_WINDOW']);
    expect(validate(event({ occurredAt: '+275760-09-13T00:00:00.000Z' }), known())).toEqual(['OCCURRED_AT_OUT_OF_WINDOW']);
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

describe('recording decisions', () => {
  it("a write into another brand's campaign is stored for its sender and counted nowhere in that campaign", () => {
    const r = decideRecording(event({ writerBrandId: 'b-2' }), known(), 'new-click');
    expect(r).toMatchObject({ tenant: 'b-2', valid: false, reasons: ['NOT_OWNER'], rollup: undefined });
    expect(r.recorded.brandId).toBe('b-2');
  });
  it('a second click by the same visitor on the same link within 30 minutes is stored, flagged duplicate, and remembers no click', () => {
    const click = event({ type: 'click', value: null, orderId: null, influencerId: 'inf-1', occurredAt: '2026-01-31T12:00:00.000Z' });
    const repeat = decideRecording(click, known({ previousClickOnLink: { occurredAt: '2026-01-31T11:45:00.000Z' } }), 'c-2');
    expect(repeat).toMatchObject({ valid: true, duplicate: true, click: undefined });
    const later = decideRecording(click, known({ previousClickOnLink: { occurredAt: '2026-01-31T11:00:00.000Z' } }), 'c-3');
    expect(later).toMatchObject({ valid: true, duplicate: false, click: { clickId: 'c-3', influencerId: 'inf-1' } });
  });
  it('a refund carries the refunded conversion, its value and influencer', () => {
    const r = decideRecording(event({ type: 'refund', value: null }), known({ conversionOfOrder: order }), 'x');
    expect(r.recorded).toMatchObject({ valid: true, refundedEventId: 'conv-1', influencerId: 'inf-1', value: { amountMinor: 10000n, currency: 'USD' } });
  });
  it('an event whose time is not believed counts on the day it was received and in no activity window', () => {
    const r = decideRecording(event({ occurredAt: '2020-01-01T00:00:00.000Z' }), known(), 'x');
    expect(r.window).toBeUndefined();
    expect(r.rollup).toMatchObject({ day: '2026-01-31', invalid: 1 });
  });
});

describe('attribution: explicit → click id → last click within the window → none', () => {
  const conv = { type: 'conversion' as const, influencerId: null, occurredAt: '2026-01-31T12:00:00Z' };
  it('given an explicit influencer, then it wins over a click', () => {
    expect(attribute({ ...conv, influencerId: 'inf-1' }, { clickInfluencer: 'inf-2' }, 30)).toEqual({ influencerId: 'inf-1', attribution: 'explicit' });
  });
  it('given a click id, then its influencer', () => {
    expect(attribute(conv, { clickInfluencer: 'inf-2', lastClick: { influencerId: 'inf-3', occurredAt: '2026-01-30T00:00:00Z' } }, 30)).toEqual({ influencerId: 'inf-2', attribution: 'click_id' });
  });
  it('given a last click 30 days before, then it attributes; 31 days before, then it does not', () => {
    expect(attribute(conv, { lastClick: { influencerId: 'inf-3', occurredAt: '2026-01-01T12:00:00Z' } }, 30)).toEqual({ influencerId: 'inf-3', attribution: 'last_click' });
    expect(attribute(conv, { lastClick: { influencerId: 'inf-3', occurredAt: '2025-12-31T11:59:59Z' } }, 30)).toEqual({ influencerId: null, attribution: 'none' });
  });
});

describe('4-hour activity windows', () => {
  it('puts 03:59 in 00:00–04:00 and 04:00 in 04:00–08:00 (UTC)', () => {
    expect(windowOf('2026-01-01T03:59:59Z')).toEqual({ start: '2026-01-01T00:00:00.000Z', end: '2026-01-01T04:00:00.000Z' });
    expect(windowOf('2026-01-01T04:00:00Z').start).toBe('2026-01-01T04:00:00.000Z');
  });
  it('recomputing a window from the same events gives the same row', () => {
    const w = windowOf('2026-01-01T05:00:00Z');
    const events = [{ type: 'click' }, { type: 'impression' }, { type: 'click' }];
    expect(activityRow('v-1', w, events)).toEqual(activityRow('v-1', w, [...events].reverse()));
    expect(activityRow('v-1', w, events)).toMatchObject({ events: 3, byType: { click: 2, impression: 1 } });
  });
});

describe('rollups', () => {
  it('counts a duplicate conversion but adds no revenue; an invalid one counts as invalid', () => {
    const base = { type: 'conversion', name: null, influencerId: 'inf-1', countedAt: '2026-01-31T12:00:00Z', valueMinor: 10000n };
    expect(rollupIncrement({ ...base, valid: true, duplicate: false })).toMatchObject({ day: '2026-01-31', name: 'conversion', valid: 1, revenueMinor: 10000n });
    expect(rollupIncrement({ ...base, valid: true, duplicate: true })).toMatchObject({ valid: 1, revenueMinor: 0n });
    expect(rollupIncrement({ ...base, valid: false, duplicate: false })).toMatchObject({ invalid: 1, revenueMinor: 0n });
  });
});
