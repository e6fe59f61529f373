import type { TrackingEventRecorded } from '@beacon/contracts';

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
  name: null,
  properties: '{}',
  valid: true,
  reasons: [],
  duplicate: false,
  refundedEventId: null,
  brandId: 'b-1',
  ...over,
});

/** US dollars in minor units (cents), as messages carry money. */
export const USD = (amountMinor: number | bigint) => ({ amountMinor: BigInt(amountMinor), currency: 'USD' });
