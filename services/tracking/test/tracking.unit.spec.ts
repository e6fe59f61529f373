import type { RecordTrackingEvent } from '@beacon/contracts';
import { activityRow, attribute, rollupIncrement, validate, windowOf } from '../src/tracking.js';

const campaign = { id: 'c-1', brandId: 'b-1', currency: 'USD', attributionWindowDays: 30 };
const event = (over: Partial<RecordTrackingEvent> = {}): RecordTrackingEvent => ({
  eventId: 'e-1', clientEventId: false, type: 'conversion', campaignId: 'c-1', influencerId: null, clickId: null, visitorId: 'v-1',
  userId: null, occurredAt: '2026-01-31T12:00:00Z', value: { amountMinor: 10000, currency: 'USD' }, orderId: 'o-1', name: null,
  properties: '{}', userAgent: null, ip: null, referrer: null, receivedAt: '2026-01-31T12:00:01Z', ...over,
});

describe('validity (stored either way)', () => {
  it('given a known campaign and a complete conversion, when validated, then it is valid', () => {
    expect(validate(event(), campaign, undefined)).toEqual([]);
  });
  it('given an unknown campaign and malformed properties, then both reasons are kept', () => {
    expect(validate(event({ properties: '[1,2]' }), undefined, undefined)).toEqual(['UNKNOWN_CAMPAIGN', 'MALFORMED_PROPERTIES']);
  });
  it('given a refund of an order never converted, then UNKNOWN_ORDER', () => {
    expect(validate(event({ type: 'refund', value: null }), campaign, undefined)).toEqual(['UNKNOWN_ORDER']);
  });
  it('given a custom event without a name, then MISSING_NAME', () => {
    expect(validate(event({ type: 'custom', value: null, orderId: null }), campaign, undefined)).toEqual(['MISSING_NAME']);
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
    const base = { type: 'conversion', name: null, influencerId: 'inf-1', occurredAt: '2026-01-31T12:00:00Z', valueMinor: 10000 };
    expect(rollupIncrement({ ...base, valid: true, duplicate: false })).toMatchObject({ day: '2026-01-31', name: 'conversion', valid: 1, revenueMinor: 10000 });
    expect(rollupIncrement({ ...base, valid: true, duplicate: true })).toMatchObject({ valid: 1, revenueMinor: 0 });
    expect(rollupIncrement({ ...base, valid: false, duplicate: false })).toMatchObject({ invalid: 1, revenueMinor: 0 });
  });
});
