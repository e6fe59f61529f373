/**
 * Tracking rules as pure functions: whose event it is, validity, deduplication, attribution and
 * repeated clicks, for one event (`decideRecording`) and for a batch (`trackingDecider`). The store
 * gathers the facts (replica, earlier clicks, conversions and refunds) and stores whatever the
 * decider says; nothing here does I/O, and nothing here throws on bad data: it becomes a reason.
 * Figures (stats, activity windows) are not kept here: the BFF, which serves them, is their one owner.
 */
import type {
  AttributionModel,
  AttributionV2,
  BoundBy,
  CustomerFacts,
  MessageTypes,
  IgnoredItem,
  RecordTrackingEventV2 as RecordTrackingEvent,
  RecordedItemV2 as RecordedItem,
  TrackingEventItemV2 as TrackingEventItem,
  TrackingEventRecordedV2 as TrackingEventRecorded,
} from '@beacon/contracts';
import {
  COUPON_CODE,
  couponKey,
  CUSTOMER_ID,
  jsonProblem,
  occurrenceProblem,
  storableText,
  textProblem,
  TupleMap,
  TupleSet,
} from '@beacon/domain';
import type { Decider, Emission } from '@beacon/messaging';
import { sharedIpWindowStart, signalsOf } from './signals.js';

export interface CampaignReplica {
  id: string;
  brandId: string;
  currency: string;
  attributionWindowDays: number;
  attributionModel: AttributionModel;
}

export type Attribution = AttributionV2;

/** A brand's coupon code as tracking keeps it (campaign/events). */
export interface CouponReplica {
  campaignId: string;
  influencerId: string;
  active: boolean;
}

/** A brand's customer, once an attributed lead or conversion bound it to an influencer and campaign. */
export interface Customer {
  influencerId: string;
  campaignId: string;
  boundAt: string;
  boundBy: BoundBy;
  attribution: Attribution;
  /** its sales so far: valid conversions that are not duplicates */
  sales: number;
  /** a lead of it was recorded (a later lead is a duplicate: a lead earns once per customer) */
  hasLead: boolean;
}

/** Lead and conversion: the funnel's events, attributed through codes, customers and clicks. */
export const isFunnelEvent = (type: RecordTrackingEvent['type']): boolean => type === 'lead' || type === 'conversion';

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
    customerId: clean(event.customerId),
    couponCode: clean(event.couponCode),
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
  /** first_click campaigns, leads and conversions: the visitor's first click within the attribution window */
  firstClick?: { influencerId: string | null; occurredAt: string };
  /** the event's coupon code, when the brand has it (any campaign, active or not) */
  coupon?: CouponReplica;
  /** the event's customer, when bound before it */
  customer?: Customer;
  /** conversions: valid conversions from its IP on its campaign in the shared-IP window before it */
  conversionsFromIp?: number;
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
  if (event.type === 'lead' && !event.customerId) reasons.push('MISSING_CUSTOMER_ID');
  if (event.customerId !== null && !CUSTOMER_ID.test(event.customerId)) reasons.push('INVALID_CUSTOMER_ID');
  return reasons;
}

/** The coupon code attributes when the brand holds it, active, on the event's own campaign. */
export function couponOf(
  event: Pick<RecordTrackingEvent, 'couponCode' | 'campaignId'>,
  coupon: CouponReplica | undefined,
) {
  if (event.couponCode === null) return { note: undefined };
  if (!COUPON_CODE.test(event.couponCode) || !coupon || !coupon.active || coupon.campaignId !== event.campaignId)
    return { note: 'UNKNOWN_COUPON' };
  return { influencerId: coupon.influencerId, note: undefined };
}

export interface AttributionFacts {
  /** the influencer of the event's coupon code, when it attributes */
  couponInfluencer?: string;
  /** the influencer the event's customer is bound to */
  customerInfluencer?: string;
  clickInfluencer?: string | null;
  lastClick?: { influencerId: string | null; occurredAt: string };
  firstClick?: { influencerId: string | null; occurredAt: string };
  /** refunds: the influencer of the refunded conversion */
  refundedInfluencer?: string | null;
}

const withinWindow = (at: string, click: { occurredAt: string }, days: number) => {
  const age = Date.parse(at) - Date.parse(click.occurredAt);
  return age >= 0 && age <= days * 86_400_000;
};

/**
 * First match wins: explicit → coupon code → the customer's binding → click id → the campaign's
 * click model (first or last click within the window) → none. Codes, customers and the click model
 * attribute leads and conversions only.
 */
export function attribute(
  event: Pick<RecordTrackingEvent, 'type' | 'influencerId' | 'occurredAt'>,
  facts: AttributionFacts,
  attributionWindowDays: number,
  model: AttributionModel = 'last_click',
): { influencerId: string | null; attribution: Attribution } {
  if (event.type === 'refund') {
    return facts.refundedInfluencer
      ? { influencerId: facts.refundedInfluencer, attribution: 'explicit' }
      : { influencerId: null, attribution: 'none' };
  }
  const funnel = isFunnelEvent(event.type);
  if (event.influencerId) return { influencerId: event.influencerId, attribution: 'explicit' };
  if (funnel && facts.couponInfluencer) return { influencerId: facts.couponInfluencer, attribution: 'coupon' };
  if (funnel && facts.customerInfluencer) return { influencerId: facts.customerInfluencer, attribution: 'customer' };
  if (facts.clickInfluencer) return { influencerId: facts.clickInfluencer, attribution: 'click_id' };
  const click = model === 'first_click' ? facts.firstClick : facts.lastClick;
  if (funnel && click?.influencerId && withinWindow(event.occurredAt, click, attributionWindowDays))
    return { influencerId: click.influencerId, attribution: model };
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
  /** the event's customer as it leaves it (bound by it, a sale added, a lead seen), to store */
  customer?: { customerId: string; customer: Customer };
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
  const funnel = isFunnelEvent(event.type);
  const repeatedClick = valid && event.type === 'click' && isRepeatedClick(event.occurredAt, facts.previousClickOnLink);
  // A lead earns once per customer: its customer's second lead is a duplicate, like an order's second conversion.
  const repeatedLead = valid && event.type === 'lead' && facts.customer?.hasLead === true;
  const duplicate =
    (valid && event.type === 'conversion' && facts.conversionOfOrder !== undefined) || repeatedClick || repeatedLead;
  const coupon = funnel ? couponOf(event, facts.coupon) : { note: undefined };
  const { influencerId, attribution } = attribute(
    event,
    {
      couponInfluencer: coupon.influencerId,
      customerInfluencer: facts.customer?.influencerId,
      clickInfluencer: facts.clickInfluencer,
      lastClick: facts.lastClick,
      firstClick: facts.firstClick,
      refundedInfluencer: event.type === 'refund' ? (facts.conversionOfOrder?.influencerId ?? null) : undefined,
    },
    campaign?.attributionWindowDays ?? 30,
    campaign?.attributionModel ?? 'last_click',
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
  const customer =
    funnel && valid && event.customerId
      ? customerAfter(event, facts.customer, influencerId, attribution, duplicate)
      : undefined;
  return {
    tenant,
    reasons,
    valid,
    duplicate,
    properties: parseProperties(event.properties).properties,
    click: event.type === 'click' && valid && !repeatedClick && clickId ? { clickId, influencerId } : undefined,
    customer: customer && event.customerId ? { customerId: event.customerId, customer: customer.after } : undefined,
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
      customerId: event.customerId,
      couponCode: event.couponCode,
      customer: customer?.facts ?? null,
      name: event.name,
      properties: event.properties,
      valid,
      reasons,
      duplicate,
      refundedEventId: refunded?.eventId ?? null,
      brandId: tenant === '' ? null : tenant,
      notes: coupon.note ? [coupon.note] : [],
      campaignCurrency: campaign?.currency ?? null,
      signals:
        valid && !duplicate
          ? signalsOf(event, {
              influencerId,
              lastClick: facts.lastClick,
              conversionsFromIp: facts.conversionsFromIp ?? 0,
            })
          : [],
    },
  };
}

/**
 * A valid lead or conversion of a customer: the customer as it leaves it, and what the event says of
 * it. The first attributed one binds the customer (one partner per customer: later ones keep the
 * binding, whoever they are attributed to); a conversion that is not a duplicate is a sale; a lead
 * marks that the customer had one. Unbound and unattributed, nothing is kept.
 */
function customerAfter(
  event: RecordTrackingEvent,
  before: Customer | undefined,
  influencerId: string | null,
  attribution: Attribution,
  duplicate: boolean,
): { after: Customer; facts: CustomerFacts } | undefined {
  const binds = before === undefined && influencerId !== null;
  const bound: Customer | undefined = binds
    ? {
        influencerId,
        campaignId: event.campaignId,
        boundAt: event.occurredAt,
        boundBy: event.type === 'lead' ? 'lead' : 'conversion',
        attribution,
        sales: 0,
        hasLead: false,
      }
    : before;
  if (!bound) return undefined;
  const sale = event.type === 'conversion' && !duplicate;
  const after: Customer = {
    ...bound,
    sales: bound.sales + (sale ? 1 : 0),
    hasLead: bound.hasLead || event.type === 'lead',
  };
  return {
    after,
    facts: {
      influencerId: after.influencerId,
      campaignId: after.campaignId,
      boundAt: after.boundAt,
      boundBy: after.boundBy,
      binds,
      saleNumber: sale ? after.sales : 0,
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
  /** By item index, for leads and conversions of first_click campaigns: the visitor's first stored click in the window */
  firstClicks: Map<number, StoredClick>;
  /** (tenant, coupon key) → the brand's code */
  coupons: TupleMap<[string, string], CouponReplica>;
  /** (tenant, customer id) → the bound customer */
  customers: TupleMap<[string, string], Customer>;
  /** By item index, for conversions with an IP: the stored valid conversions from it in the shared-IP window */
  conversionsFromIp: Map<number, number>;
}

export const noFacts = (): BatchFacts => ({
  campaigns: new Map(),
  seen: new TupleSet(),
  conversions: new TupleMap(),
  refunded: new TupleSet(),
  clickInfluencers: new TupleMap(),
  earlierClicks: new Map(),
  firstClicks: new Map(),
  coupons: new TupleMap(),
  customers: new TupleMap(),
  conversionsFromIp: new Map(),
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

/** A batch decided: the facts as the batch left them, and the rows (and the customers they changed) to store. */
export interface TrackingState {
  facts: BatchFacts;
  rows: BatchRow[];
  /** (tenant, customer id) of the customers the batch bound or changed */
  customersChanged: TupleSet<[string, string]>;
}

export type TrackingEvent = Emission<Pick<MessageTypes, 'tracking.TrackingEventsRecordedV2'>>;

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

const earlier = <T extends { occurredAt: string }>(a: T | undefined, b: T | undefined): T | undefined =>
  !a ? b : !b ? a : a.occurredAt <= b.occurredAt ? a : b;

/** The start of the attribution window of an event at `at`: the earliest click that may attribute it. */
export const windowStartOf = (at: string, days: number): string => {
  const start = Date.parse(at) - days * 86_400_000;
  return Number.isNaN(start) ? at : new Date(start).toISOString();
};

/** Earliest click in [from, at], among those given. */
function earliestClick(clicks: StoredClick[] | undefined, from: string, at: string): StoredClick | undefined {
  let best: StoredClick | undefined;
  for (const c of clicks ?? []) {
    if (c.occurredAt > at || c.occurredAt < from) continue;
    if (!best || c.occurredAt < best.occurredAt) best = c;
  }
  return best;
}

/**
 * Decides a batch in order: each event sees what the store held before the batch, plus every event
 * of the batch before it (an event id repeated, a click then its conversion, an order converted then
 * refunded). `newId` makes click ids for clicks that came without one. The one event says what was
 * recorded and what was ignored, each in its item's flow.
 */
export function trackingDecider(newId: () => string): Decider<TrackingState, BatchItem[], TrackingEvent> {
  return {
    initialState: () => ({ facts: noFacts(), rows: [], customersChanged: new TupleSet() }),
    decide(items, state) {
      const facts: BatchFacts = {
        ...state.facts,
        seen: state.facts.seen.copy(),
        conversions: state.facts.conversions.copy(),
        refunded: state.facts.refunded.copy(),
        clickInfluencers: state.facts.clickInfluencers.copy(),
        customers: state.facts.customers.copy(),
      };
      const customersChanged = state.customersChanged.copy();
      const clicksByVisitor = new TupleMap<[string, string], StoredClick[]>();
      // (campaign, ip) → when the batch's earlier valid conversions from it occurred
      const conversionsByIp = new TupleMap<[string, string], string[]>();
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
        const funnel = isFunnelEvent(e.type);
        const windowDays = campaign?.attributionWindowDays ?? 30;
        const customerKey: [string, string] | undefined = e.customerId ? [tenant, e.customerId] : undefined;
        const ipKey: [string, string] | undefined = e.type === 'conversion' && e.ip ? [e.campaignId, e.ip] : undefined;
        const recordingFacts: RecordingFacts = owned
          ? {
              campaign,
              seen: false,
              conversionOfOrder: e.orderId ? facts.conversions.get(order) : undefined,
              orderRefunded: e.orderId !== null && facts.refunded.has(order),
              clickInfluencer:
                e.clickId && e.type !== 'click' ? facts.clickInfluencers.get([e.campaignId, e.clickId]) : undefined,
              lastClick: funnel ? later(stored, latestClick(inBatch, e.occurredAt)) : undefined,
              firstClick:
                funnel && campaign?.attributionModel === 'first_click'
                  ? earlier(
                      facts.firstClicks.get(index),
                      earliestClick(inBatch, windowStartOf(e.occurredAt, windowDays), e.occurredAt),
                    )
                  : undefined,
              previousClickOnLink:
                e.type === 'click'
                  ? later(stored, latestClick(inBatch, e.occurredAt, e.influencerId ?? null))
                  : undefined,
              coupon: e.couponCode ? facts.coupons.get([tenant, couponKey(e.couponCode)]) : undefined,
              customer: customerKey ? facts.customers.get(customerKey) : undefined,
              conversionsFromIp: ipKey
                ? (facts.conversionsFromIp.get(index) ?? 0) +
                  (conversionsByIp.get(ipKey) ?? []).filter(
                    (at) => at >= sharedIpWindowStart(e.occurredAt) && at <= e.occurredAt,
                  ).length
                : 0,
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
        if (owned && recording.valid && !recording.duplicate && ipKey)
          conversionsByIp.set(ipKey, [...(conversionsByIp.get(ipKey) ?? []), e.occurredAt]);
        if (recording.customer) {
          facts.customers.set([tenant, recording.customer.customerId], recording.customer.customer);
          customersChanged.add([tenant, recording.customer.customerId]);
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
      const event: TrackingEvent = { type: 'tracking.TrackingEventsRecordedV2', data: { recorded, ignored } };
      return { state: { facts, rows, customersChanged }, events: [event] };
    },
  };
}
