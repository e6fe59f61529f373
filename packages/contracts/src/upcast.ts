/**
 * Upcasters: a message of an earlier version read as its latest, so a handler is written once, for
 * the latest. What the earlier version could not say takes the value that means "as before": no
 * customer, no coupon code, no notes.
 */
import type {
  RecordTrackingEvent,
  RecordTrackingEventV2,
  RecordTrackingEvents,
  RecordTrackingEventsV2,
  TrackingEventRecorded,
  TrackingEventRecordedV2,
  TrackingEventsRecorded,
  TrackingEventsRecordedV2,
} from './generated.js';

export const recordTrackingEventV2 = (e: RecordTrackingEvent): RecordTrackingEventV2 => ({
  ...e,
  customerId: null,
  couponCode: null,
});

export const recordTrackingEventsV2 = (m: RecordTrackingEvents): RecordTrackingEventsV2 => ({
  items: m.items.map((i) => ({ correlationId: i.correlationId, event: recordTrackingEventV2(i.event) })),
});

export const trackingEventRecordedV2 = (e: TrackingEventRecorded): TrackingEventRecordedV2 => ({
  ...e,
  customerId: null,
  couponCode: null,
  customer: null,
  notes: [],
  signals: [],
  campaignCurrency: null,
});

export const trackingEventsRecordedV2 = (m: TrackingEventsRecorded): TrackingEventsRecordedV2 => ({
  recorded: m.recorded.map((i) => ({ correlationId: i.correlationId, event: trackingEventRecordedV2(i.event) })),
  ignored: m.ignored,
});
