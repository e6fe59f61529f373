import type {
  CampaignCreated,
  RecordTrackingEventV2 as RecordTrackingEvent,
  TrackingEventRecordedV2 as TrackingEventRecorded,
} from '@beacon/contracts';

/** A valid, attributed impression as tracking records it; `over` sets what a test is about. */
export const recordedEvent = (over: Partial<TrackingEventRecorded> = {}): TrackingEventRecorded => ({
  eventId: 'e-1',
  type: 'impression',
  campaignId: 'c-1',
  influencerId: 'inf-1',
  attribution: 'explicit',
  clickId: null,
  visitorId: 'v-1',
  userId: null,
  occurredAt: '2026-03-01T05:00:00.000Z',
  value: null,
  orderId: null,
  customerId: null,
  couponCode: null,
  customer: null,
  name: null,
  properties: '{}',
  valid: true,
  reasons: [],
  duplicate: false,
  refundedEventId: null,
  brandId: 'b-1',
  notes: [],
  signals: [],
  // as written before tracking named it: readers fall back to their own record of the campaign
  campaignCurrency: null,
  ...over,
});

/** US dollars in minor units (cents), as messages carry money. */
export const USD = (amountMinor: number | bigint) => ({ amountMinor: BigInt(amountMinor), currency: 'USD' });

/** An active, open campaign of 100.00 USD paying 10% per conversion, as the campaign service announces it. */
export const campaignCreated = (over: Partial<CampaignCreated> = {}): CampaignCreated => ({
  campaignId: 'c-1',
  brandId: 'b-1',
  name: 'Summer',
  landingUrl: 'https://shop.example/summer',
  budget: USD(10_000),
  commissionRules: [{ event: 'conversion', type: 'percent', rate: '10', amount: null, customerDurationMonths: null }],
  visibility: 'open',
  attributionWindowDays: 30,
  attributionModel: 'last_click',
  leadCommission: null,
  holdingPeriodDays: 0,
  invitedInfluencerIds: [],
  review: null,
  status: 'active',
  ...over,
});

/** A tracking event as the BFF sends it to tracking (an anonymous impression); `over` sets what a test is about. */
export const recordCommand = (over: Partial<RecordTrackingEvent> = {}): RecordTrackingEvent => ({
  eventId: 'e-1',
  clientEventId: true,
  type: 'impression',
  campaignId: 'c-1',
  influencerId: null,
  clickId: null,
  visitorId: 'v-1',
  userId: null,
  occurredAt: '2026-03-01T10:00:00.000Z',
  value: null,
  orderId: null,
  customerId: null,
  couponCode: null,
  name: null,
  properties: '{}',
  userAgent: null,
  ip: null,
  referrer: null,
  receivedAt: '2026-03-01T10:00:01.000Z',
  writerBrandId: null,
  ...over,
});
