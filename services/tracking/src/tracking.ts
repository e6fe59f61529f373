/**
 * Tracking rules as pure functions: whose event it is, validity, deduplication, attribution,
 * repeated clicks, 4-hour activity windows and rollup increments. The handler gathers the facts
 * (replica, earlier clicks, conversions and refunds) and stores whatever `decideRecording` says;
 * nothing here does I/O, and nothing here throws on bad data: it becomes a reason.
 */
import type { RecordTrackingEvent, TrackingEventRecorded } from '@beacon/contracts';
import { activityWindowOf, jsonProblem, occurrenceProblem, storableText, textProblem } from '@beacon/domain';

export interface CampaignReplica {
  id: string;
  brandId: string;
  currency: string;
  attributionWindowDays: number;
}

export type Attribution = 'explicit' | 'click_id' | 'last_click' | 'none';

/** Repeated clicks by one visitor on one influencer's link within this time earn once; the rest are flagged. */
export const CLICK_REPEAT_WINDOW_MS = 30 * 60_000;

/**
 * The tenant an event belongs to, which scopes its deduplication and who may see it: the campaign's
 * owner when the writer may write there (the owner, its ingest clients, admin); otherwise the
 * writer's own brand ('' for admin writing to a campaign nobody owns yet).
 */
export function tenantOf(event: Pick<RecordTrackingEvent, 'writerBrandId'>, campaign: CampaignReplica | undefined): string {
  if (campaign && (event.writerBrandId === null || event.writerBrandId === campaign.brandId)) return campaign.brandId;
  return event.writerBrandId ?? '';
}

/** The event with every text field storable, and INVALID_TEXT when something had to change. */
export function storable(event: RecordTrackingEvent): { event: RecordTrackingEvent; reasons: string[] } {
  let changed = false;
  const clean = <T extends string | null>(value: T): T => {
    if (value === null || textProblem(value) === undefined) return value;
    changed = true;
    return storableText(value) as T;
  };
  const cleaned: RecordTrackingEvent = {
    ...event,
    eventId: clean(event.eventId), campaignId: clean(event.campaignId), influencerId: clean(event.influencerId), clickId: clean(event.clickId),
    visitorId: clean(event.visitorId), userId: clean(event.userId), occurredAt: clean(event.occurredAt), orderId: clean(event.orderId),
    name: clean(event.name), userAgent: clean(event.userAgent), ip: clean(event.ip), referrer: clean(event.referrer),
    receivedAt: clean(event.receivedAt), writerBrandId: clean(event.writerBrandId),
  };
  return { event: cleaned, reasons: changed ? ['INVALID_TEXT'] : [] };
}

/** Properties as stored: the JSON object, or null with MALFORMED_PROPERTIES (not an object, not JSON, not storable). */
export function parseProperties(text: string): { properties: Record<string, unknown> | null; malformed: boolean } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { properties: null, malformed: true };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || jsonProblem(value) !== undefined) return { properties: null, malformed: true };
  return { properties: value as Record<string, unknown>, malformed: false };
}

/** What the handler looked up before deciding (all within the event's campaign and tenant). */
export interface RecordingFacts {
  campaign: CampaignReplica | undefined;
  /** the same event id was already stored for this campaign and tenant */
  seen: boolean;
  /** the earning conversion of the event's order, if any */
  conversionOfOrder?: { eventId: string; influencerId: string | null; valueMinor: bigint | null; currency: string | null };
  /** a valid refund of the event's order is already stored */
  orderRefunded: boolean;
  /** influencer of the event's click id, if that click is known in this campaign */
  clickInfluencer?: string | null;
  /** the visitor's latest earlier click on this campaign: influencer and time */
  lastClick?: { influencerId: string | null; occurredAt: string };
  /** clicks only: the visitor's latest earlier click on the same influencer's link in this campaign */
  previousClickOnLink?: { occurredAt: string };
}

/** Why an event is invalid; empty when valid. Invalid events are stored anyway. */
export function validate(event: RecordTrackingEvent, facts: RecordingFacts): string[] {
  const { campaign } = facts;
  const reasons: string[] = [];
  if (!campaign) reasons.push('UNKNOWN_CAMPAIGN');
  else if (tenantOf(event, campaign) !== campaign.brandId) reasons.push('NOT_OWNER');
  const time = occurrenceProblem(event.occurredAt, event.receivedAt);
  if (time) reasons.push(time);
  if (parseProperties(event.properties).malformed) reasons.push('MALFORMED_PROPERTIES');
  if (event.type === 'conversion') {
    if (!event.value) reasons.push('MISSING_VALUE');
    if (!event.orderId) reasons.push('MISSING_ORDER_ID');
  }
  if (event.type === 'refund') {
    if (!event.orderId) reasons.push('MISSING_ORDER_ID');
    else if (campaign && !facts.conversionOfOrder) reasons.push('UNKNOWN_ORDER');
    else if (facts.orderRefunded) reasons.push('ALREADY_REFUNDED');
  }
  if (event.type === 'custom' && !event.name) reasons.push('MISSING_NAME');
  return reasons;
}

export interface AttributionFacts {
  clickInfluencer?: string | null;
  lastClick?: { influencerId: string | null; occurredAt: string };
  /** refunds: the influencer of the refunded conversion */
  refundedInfluencer?: string | null;
}

/** First match wins: explicit → click id → last click within the window (conversions only) → none. */
export function attribute(
  event: Pick<RecordTrackingEvent, 'type' | 'influencerId' | 'occurredAt'>,
  facts: AttributionFacts,
  attributionWindowDays: number,
): { influencerId: string | null; attribution: Attribution } {
  if (event.type === 'refund') {
    return facts.refundedInfluencer ? { influencerId: facts.refundedInfluencer, attribution: 'explicit' } : { influencerId: null, attribution: 'none' };
  }
  if (event.influencerId) return { influencerId: event.influencerId, attribution: 'explicit' };
  if (facts.clickInfluencer) return { influencerId: facts.clickInfluencer, attribution: 'click_id' };
  if (event.type === 'conversion' && facts.lastClick?.influencerId) {
    const age = Date.parse(event.occurredAt) - Date.parse(facts.lastClick.occurredAt);
    if (age >= 0 && age <= attributionWindowDays * 86_400_000) return { influencerId: facts.lastClick.influencerId, attribution: 'last_click' };
  }
  return { influencerId: null, attribution: 'none' };
}

/** True when a click repeats the same visitor's click on the same link within the repeat window. */
export function isRepeatedClick(occurredAt: string, previous: { occurredAt: string } | undefined): boolean {
  if (!previous) return false;
  const gap = Date.parse(occurredAt) - Date.parse(previous.occurredAt);
  return gap >= 0 && gap < CLICK_REPEAT_WINDOW_MS;
}

/** The fixed 4-hour UTC window [start, end) holding `occurredAt`. */
export const windowOf = activityWindowOf;

export interface StoredEvent {
  type: string;
  name: string | null;
  influencerId: string | null;
  /** the day the event counts on: its occurredAt, or its receipt when occurredAt is not believed */
  countedAt: string;
  valid: boolean;
  duplicate: boolean;
  valueMinor: bigint | null;
}

export interface RollupIncrement {
  influencerId: string;
  day: string;
  name: string;
  count: number;
  valid: number;
  invalid: number;
  revenueMinor: bigint;
  refundedMinor: bigint;
}

/** What one stored event adds to its rollup row (per campaign × influencer × day × event name). */
export function rollupIncrement(e: StoredEvent): RollupIncrement {
  const earns = e.valid && !e.duplicate;
  return {
    influencerId: e.influencerId ?? '',
    day: e.countedAt.slice(0, 10),
    name: e.type === 'custom' ? `custom:${e.name ?? ''}` : e.type,
    count: 1,
    valid: e.valid ? 1 : 0,
    invalid: e.valid ? 0 : 1,
    revenueMinor: earns && e.type === 'conversion' ? (e.valueMinor ?? 0n) : 0n,
    refundedMinor: earns && e.type === 'refund' ? (e.valueMinor ?? 0n) : 0n,
  };
}

/** An activity window row rebuilt from its events: the same events always give the same row. */
export function activityRow(subject: string, window: { start: string; end: string }, events: Array<{ type: string }>) {
  const byType: Record<string, number> = {};
  for (const e of events) byType[e.type] = (byType[e.type] ?? 0) + 1;
  return { subject, windowStart: window.start, windowEnd: window.end, events: events.length, byType: Object.fromEntries(Object.entries(byType).sort()) };
}

/** Everything the handler stores and emits for one event that was not seen before. */
export interface Recording {
  tenant: string;
  reasons: string[];
  valid: boolean;
  duplicate: boolean;
  /** the stored properties (null when malformed) */
  properties: Record<string, unknown> | null;
  /** a click to remember for attribution (valid clicks only) */
  click?: { clickId: string; influencerId: string | null };
  /** the activity window to count in, when occurredAt is believed */
  window?: { start: string; end: string };
  rollup?: RollupIncrement;
  recorded: TrackingEventRecorded;
}

/**
 * Decides how an event is recorded. `event` must already be storable (see `storable`), and
 * `newClickId` is the id a click gets when its sender gave none.
 */
export function decideRecording(event: RecordTrackingEvent, facts: RecordingFacts, newClickId: string, extraReasons: string[] = []): Recording {
  const { campaign } = facts;
  const tenant = tenantOf(event, campaign);
  const reasons = [...validate(event, facts), ...extraReasons];
  const valid = reasons.length === 0;
  const repeatedClick = valid && event.type === 'click' && isRepeatedClick(event.occurredAt, facts.previousClickOnLink);
  const duplicate = (valid && event.type === 'conversion' && facts.conversionOfOrder !== undefined) || repeatedClick;
  const { influencerId, attribution } = attribute(
    event,
    { clickInfluencer: facts.clickInfluencer, lastClick: facts.lastClick, refundedInfluencer: event.type === 'refund' ? (facts.conversionOfOrder?.influencerId ?? null) : undefined },
    campaign?.attributionWindowDays ?? 30,
  );
  const clickId = event.type === 'click' ? (event.clickId ?? newClickId) : event.clickId;
  // Refunds carry the refunded conversion's value, so revenue can be netted.
  const refunded = event.type === 'refund' && valid ? facts.conversionOfOrder : undefined;
  const value = refunded?.valueMinor != null && refunded.currency ? { amountMinor: refunded.valueMinor, currency: refunded.currency } : event.type === 'refund' ? null : event.value;
  const timeBelieved = !reasons.includes('INVALID_OCCURRED_AT') && !reasons.includes('OCCURRED_AT_OUT_OF_WINDOW');
  // A write into someone else's campaign counts nowhere in that campaign.
  const counted = !reasons.includes('NOT_OWNER') && !reasons.includes('UNKNOWN_CAMPAIGN');
  return {
    tenant,
    reasons,
    valid,
    duplicate,
    properties: parseProperties(event.properties).properties,
    click: event.type === 'click' && valid && !repeatedClick ? { clickId: clickId!, influencerId } : undefined,
    window: timeBelieved ? activityWindowOf(event.occurredAt) : undefined,
    rollup: counted
      ? rollupIncrement({ type: event.type, name: event.name, influencerId, countedAt: timeBelieved ? event.occurredAt : event.receivedAt, valid, duplicate, valueMinor: value?.amountMinor ?? null })
      : undefined,
    recorded: {
      eventId: event.eventId, type: event.type, campaignId: event.campaignId, influencerId, attribution, clickId, visitorId: event.visitorId, userId: event.userId,
      occurredAt: event.occurredAt, value, orderId: event.orderId, name: event.name, properties: event.properties, valid, reasons, duplicate,
      refundedEventId: refunded?.eventId ?? null, brandId: tenant === '' ? null : tenant,
    },
  };
}
