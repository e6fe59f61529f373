/**
 * Tracking rules as pure functions: whose event it is, validity, deduplication, attribution and
 * repeated clicks, for one event (`decideRecording`) and for a batch (`trackingDecider`). The store
 * gathers the facts (replica, earlier clicks, conversions and refunds) and stores whatever the
 * decider says; nothing here does I/O, and nothing here throws on bad data: it becomes a reason.
 * Figures (stats, activity windows) are not kept here: the BFF, which serves them, is their one owner.
 */
import type {
  MessageTypes,
  IgnoredItem,
  RecordTrackingEvent,
  RecordedItem,
  TrackingEventItem,
  TrackingEventRecorded,
} from '@beacon/contracts';
import { jsonProblem, occurrenceProblem, storableText, textProblem, TupleMap, TupleSet } from '@beacon/domain';
import type { Decider, Emission } from '@beacon/messaging';

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
export function tenantOf(
  event: Pick<RecordTrackingEvent, 'writerBrandId'>,
  campaign: CampaignReplica | undefined,
): string {
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
    eventId: clean(event.eventId),
    campaignId: clean(event.campaignId),
    influencerId: clean(event.influencerId),
    clickId: clean(event.clickId),
    visitorId: clean(event.visitorId),
    userId: clean(event.userId),
    occurredAt: clean(event.occurredAt),
    orderId: clean(event.orderId),
    name: clean(event.name),
    userAgent: clean(event.userAgent),
    ip: clean(event.ip),
    referrer: clean(event.referrer),
    receivedAt: clean(event.receivedAt),
    writerBrandId: clean(event.writerBrandId),
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
  if (value === null || typeof value !== 'object' || Array.isArray(value) || jsonProblem(value) !== undefined)
    return { properties: null, malformed: true };
  return { properties: value as Record<string, unknown>, malformed: false };
}

/** What the handler looked up before deciding (all within the event's campaign and tenant). */
export interface RecordingFacts {
  campaign: CampaignReplica | undefined;
  /** the same event id was already stored for this campaign and tenant */
  seen: boolean;
  /** the earning conversion of the event's order, if any */
  conversionOfOrder?: {
    eventId: string;
    influencerId: string | null;
    valueMinor: bigint | null;
    currency: string | null;
  };
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
    return facts.refundedInfluencer
      ? { influencerId: facts.refundedInfluencer, attribution: 'explicit' }
      : { influencerId: null, attribution: 'none' };
  }
  if (event.influencerId) return { influencerId: event.influencerId, attribution: 'explicit' };
  if (facts.clickInfluencer) return { influencerId: facts.clickInfluencer, attribution: 'click_id' };
  if (event.type === 'conversion' && facts.lastClick?.influencerId) {
    const age = Date.parse(event.occurredAt) - Date.parse(facts.lastClick.occurredAt);
    if (age >= 0 && age <= attributionWindowDays * 86_400_000)
      return { influencerId: facts.lastClick.influencerId, attribution: 'last_click' };
  }
  return { influencerId: null, attribution: 'none' };
}

/** True when a click repeats the same visitor's click on the same link within the repeat window. */
export function isRepeatedClick(occurredAt: string, previous: { occurredAt: string } | undefined): boolean {
  if (!previous) return false;
  const gap = Date.parse(occurredAt) - Date.parse(previous.occurredAt);
  return gap >= 0 && gap < CLICK_REPEAT_WINDOW_MS;
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
  recorded: TrackingEventRecorded;
}

/**
 * Decides how an event is recorded. `event` must already be storable (see `storable`), and
 * `newClickId` is the id a click gets when its sender gave none.
 */
export function decideRecording(
  event: RecordTrackingEvent,
  facts: RecordingFacts,
  newClickId: string,
  extraReasons: string[] = [],
): Recording {
  const { campaign } = facts;
  const tenant = tenantOf(event, campaign);
  const reasons = [...validate(event, facts), ...extraReasons];
  const valid = reasons.length === 0;
  const repeatedClick = valid && event.type === 'click' && isRepeatedClick(event.occurredAt, facts.previousClickOnLink);
  const duplicate = (valid && event.type === 'conversion' && facts.conversionOfOrder !== undefined) || repeatedClick;
  const { influencerId, attribution } = attribute(
    event,
    {
      clickInfluencer: facts.clickInfluencer,
      lastClick: facts.lastClick,
      refundedInfluencer: event.type === 'refund' ? (facts.conversionOfOrder?.influencerId ?? null) : undefined,
    },
    campaign?.attributionWindowDays ?? 30,
  );
  const clickId = event.type === 'click' ? (event.clickId ?? newClickId) : event.clickId;
  // Refunds carry the refunded conversion's value, so revenue can be netted.
  const refunded = event.type === 'refund' && valid ? facts.conversionOfOrder : undefined;
  const value =
    refunded?.valueMinor != null && refunded.currency
      ? { amountMinor: refunded.valueMinor, currency: refunded.currency }
      : event.type === 'refund'
        ? null
        : event.value;
  return {
    tenant,
    reasons,
    valid,
    duplicate,
    properties: parseProperties(event.properties).properties,
    click: event.type === 'click' && valid && !repeatedClick && clickId ? { clickId, influencerId } : undefined,
    recorded: {
      eventId: event.eventId,
      type: event.type,
      campaignId: event.campaignId,
      influencerId,
      attribution,
      clickId,
      visitorId: event.visitorId,
      userId: event.userId,
      occurredAt: event.occurredAt,
      value,
      orderId: event.orderId,
      name: event.name,
      properties: event.properties,
      valid,
      reasons,
      duplicate,
      refundedEventId: refunded?.eventId ?? null,
      brandId: tenant === '' ? null : tenant,
    },
  };
}

/** A batch's item as the decider takes it: storable (see `cleanItem`), with the text reasons found. */
export interface BatchItem extends TrackingEventItem {
  reasons: string[];
}

export const cleanItem = (item: TrackingEventItem): BatchItem => {
  const { event, reasons } = storable(item.event);
  return { correlationId: item.correlationId, event, reasons };
};

export interface StoredClick {
  influencerId: string | null;
  occurredAt: string;
}

type OrderConversion = NonNullable<RecordingFacts['conversionOfOrder']>;

/**
 * What the store knows about a batch's items, all within each item's campaign and tenant; the
 * lookups of orders, click ids and earlier clicks are made only for the items the campaign's owner wrote.
 */
export interface BatchFacts {
  campaigns: Map<string, CampaignReplica>;
  /** (tenant, campaign, event id) of events stored already */
  seen: TupleSet<[string, string, string]>;
  /** (campaign, order) → the order's earning conversion */
  conversions: TupleMap<[string, string], OrderConversion>;
  /** (campaign, order) of orders with a valid refund */
  refunded: TupleSet<[string, string]>;
  /** (campaign, click id) → the click's influencer */
  clickInfluencers: TupleMap<[string, string], string | null>;
  /**
   * By item index, the visitor's latest stored click at or before the item: for a conversion on any
   * link (last click), for a click on the same influencer's link (repeated clicks).
   */
  earlierClicks: Map<number, StoredClick>;
}

export const noFacts = (): BatchFacts => ({
  campaigns: new Map(),
  seen: new TupleSet(),
  conversions: new TupleMap(),
  refunded: new TupleSet(),
  clickInfluencers: new TupleMap(),
  earlierClicks: new Map(),
});

/** The item needs the stored facts of its order, click id and earlier clicks (its campaign's owner wrote it). */
export const needsLookups = (item: TrackingEventItem, campaigns: Map<string, CampaignReplica>): boolean => {
  const e = item.event;
  const campaign = campaigns.get(e.campaignId);
  return (
    campaign !== undefined &&
    tenantOf(e, campaign) === campaign.brandId &&
    e.type !== 'impression' &&
    e.type !== 'custom'
  );
};

/** One stored row per recorded event, with the decision that made it. */
export interface BatchRow {
  event: RecordTrackingEvent;
  recording: Recording;
}

/** A batch decided: the facts as the batch left them, and the rows to store. */
export interface TrackingState {
  facts: BatchFacts;
  rows: BatchRow[];
}

export type TrackingEvent = Emission<Pick<MessageTypes, 'tracking.TrackingEventsRecorded'>>;

/** Latest click at or before `at`, among those given (optionally on one influencer's link). */
function latestClick(
  clicks: StoredClick[] | undefined,
  at: string,
  influencerId?: string | null,
): StoredClick | undefined {
  let best: StoredClick | undefined;
  for (const c of clicks ?? []) {
    if (c.occurredAt > at || (influencerId !== undefined && c.influencerId !== influencerId)) continue;
    if (!best || c.occurredAt > best.occurredAt) best = c;
  }
  return best;
}

const later = <T extends { occurredAt: string }>(a: T | undefined, b: T | undefined): T | undefined =>
  !a ? b : !b ? a : a.occurredAt >= b.occurredAt ? a : b;

/**
 * Decides a batch in order: each event sees what the store held before the batch, plus every event
 * of the batch before it (an event id repeated, a click then its conversion, an order converted then
 * refunded). `newId` makes click ids for clicks that came without one. The one event says what was
 * recorded and what was ignored, each in its item's flow.
 */
export function trackingDecider(newId: () => string): Decider<TrackingState, BatchItem[], TrackingEvent> {
  return {
    initialState: () => ({ facts: noFacts(), rows: [] }),
    decide(items, state) {
      const facts: BatchFacts = {
        ...state.facts,
        seen: state.facts.seen.copy(),
        conversions: state.facts.conversions.copy(),
        refunded: state.facts.refunded.copy(),
        clickInfluencers: state.facts.clickInfluencers.copy(),
      };
      const clicksByVisitor = new TupleMap<[string, string], StoredClick[]>();
      const rows: BatchRow[] = [];
      const recorded: RecordedItem[] = [];
      const ignored: IgnoredItem[] = [];

      items.forEach((item, index) => {
        const e = item.event;
        const campaign = facts.campaigns.get(e.campaignId);
        const tenant = tenantOf(e, campaign);
        if (facts.seen.has([tenant, e.campaignId, e.eventId])) {
          ignored.push({
            correlationId: item.correlationId,
            event: { eventId: e.eventId, campaignId: e.campaignId, reason: 'DUPLICATE_EVENT_ID' },
          });
          return;
        }
        facts.seen.add([tenant, e.campaignId, e.eventId]);
        const owned = campaign !== undefined && tenant === campaign.brandId;
        const order: [string, string] = [e.campaignId, e.orderId ?? ''];
        const visitor: [string, string] = [e.campaignId, e.visitorId];
        const inBatch = clicksByVisitor.get(visitor);
        const stored = facts.earlierClicks.get(index);
        const recordingFacts: RecordingFacts = owned
          ? {
              campaign,
              seen: false,
              conversionOfOrder: e.orderId ? facts.conversions.get(order) : undefined,
              orderRefunded: e.orderId !== null && facts.refunded.has(order),
              clickInfluencer:
                e.clickId && e.type !== 'click' ? facts.clickInfluencers.get([e.campaignId, e.clickId]) : undefined,
              lastClick: e.type === 'conversion' ? later(stored, latestClick(inBatch, e.occurredAt)) : undefined,
              previousClickOnLink:
                e.type === 'click'
                  ? later(stored, latestClick(inBatch, e.occurredAt, e.influencerId ?? null))
                  : undefined,
            }
          : { campaign, seen: false, orderRefunded: false };
        const recording = decideRecording(e, recordingFacts, newId(), item.reasons);
        const out = recording.recorded;
        if (owned && recording.valid && !recording.duplicate && e.orderId) {
          if (e.type === 'conversion')
            facts.conversions.set(order, {
              eventId: e.eventId,
              influencerId: out.influencerId,
              valueMinor: out.value?.amountMinor ?? null,
              currency: out.value?.currency ?? null,
            });
          if (e.type === 'refund') facts.refunded.add(order);
        }
        if (recording.click) {
          const click: [string, string] = [e.campaignId, recording.click.clickId];
          // A click id stored before keeps its influencer (the store keeps the first).
          if (!facts.clickInfluencers.has(click)) facts.clickInfluencers.set(click, recording.click.influencerId);
          clicksByVisitor.set(visitor, [
            ...(inBatch ?? []),
            { influencerId: recording.click.influencerId, occurredAt: e.occurredAt },
          ]);
        }
        rows.push({ event: e, recording });
        recorded.push({ correlationId: item.correlationId, event: out });
      });
      const event: TrackingEvent = { type: 'tracking.TrackingEventsRecorded', data: { recorded, ignored } };
      return { state: { facts, rows }, events: [event] };
    },
  };
}
