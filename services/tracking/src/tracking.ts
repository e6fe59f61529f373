/**
 * Tracking rules as pure functions: validity, attribution, 4-hour activity windows and rollup
 * increments. The handler gathers the facts (replica, earlier clicks and conversions) and stores
 * whatever these functions decide; nothing here does I/O.
 */
import type { RecordTrackingEvent } from '@beacon/contracts';

export interface CampaignReplica {
  id: string;
  brandId: string;
  currency: string;
  attributionWindowDays: number;
}

export type Attribution = 'explicit' | 'click_id' | 'last_click' | 'none';

/** Why an event is invalid; empty when valid. Invalid events are stored anyway. */
export function validate(event: RecordTrackingEvent, campaign: CampaignReplica | undefined, refundedConversion: string | undefined): string[] {
  const reasons: string[] = [];
  if (!campaign) reasons.push('UNKNOWN_CAMPAIGN');
  if (Number.isNaN(Date.parse(event.occurredAt))) reasons.push('INVALID_OCCURRED_AT');
  let properties: unknown;
  try {
    properties = JSON.parse(event.properties);
  } catch {
    properties = undefined;
  }
  if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) reasons.push('MALFORMED_PROPERTIES');
  if (event.type === 'conversion') {
    if (!event.value) reasons.push('MISSING_VALUE');
    if (!event.orderId) reasons.push('MISSING_ORDER_ID');
  }
  if (event.type === 'refund') {
    if (!event.orderId) reasons.push('MISSING_ORDER_ID');
    else if (campaign && !refundedConversion) reasons.push('UNKNOWN_ORDER');
  }
  if (event.type === 'custom' && !event.name) reasons.push('MISSING_NAME');
  return reasons;
}

export interface AttributionFacts {
  /** influencer of the event's click id, if that click is known */
  clickInfluencer?: string | null;
  /** the visitor's latest earlier click on this campaign: influencer and time */
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

const WINDOW_MS = 4 * 3_600_000;

/** The fixed 4-hour UTC window [start, end) holding `occurredAt` (00:00, 04:00, … 20:00). */
export function windowOf(occurredAt: string): { start: string; end: string } {
  const t = Date.parse(occurredAt);
  const start = Math.floor(t / WINDOW_MS) * WINDOW_MS;
  return { start: new Date(start).toISOString(), end: new Date(start + WINDOW_MS).toISOString() };
}

export interface StoredEvent {
  type: string;
  name: string | null;
  influencerId: string | null;
  occurredAt: string;
  valid: boolean;
  duplicate: boolean;
  valueMinor: number | null;
}

export interface RollupIncrement {
  influencerId: string;
  day: string;
  name: string;
  count: number;
  valid: number;
  invalid: number;
  revenueMinor: number;
  refundedMinor: number;
}

/** What one stored event adds to its rollup row (per campaign × influencer × day × event name). */
export function rollupIncrement(e: StoredEvent): RollupIncrement {
  const earns = e.valid && !e.duplicate;
  const at = Number.isNaN(Date.parse(e.occurredAt)) ? new Date() : new Date(e.occurredAt);
  return {
    influencerId: e.influencerId ?? '',
    day: at.toISOString().slice(0, 10),
    name: e.type === 'custom' ? `custom:${e.name ?? ''}` : e.type,
    count: 1,
    valid: e.valid ? 1 : 0,
    invalid: e.valid ? 0 : 1,
    revenueMinor: earns && e.type === 'conversion' ? (e.valueMinor ?? 0) : 0,
    refundedMinor: earns && e.type === 'refund' ? (e.valueMinor ?? 0) : 0,
  };
}

/** An activity window row rebuilt from its events: the same events always give the same row. */
export function activityRow(subject: string, window: { start: string; end: string }, events: Array<{ type: string }>) {
  const byType: Record<string, number> = {};
  for (const e of events) byType[e.type] = (byType[e.type] ?? 0) + 1;
  return { subject, windowStart: window.start, windowEnd: window.end, events: events.length, byType: Object.fromEntries(Object.entries(byType).sort()) };
}
