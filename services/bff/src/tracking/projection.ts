/**
 * The tracking read model, fed by batches: the events, and the figures the BFF alone keeps (daily
 * stats per campaign and influencer, visitors' 4-hour activity windows). A batch is projected with a
 * handful of set-based statements whatever its size; its figures are summed in memory first.
 */
import { sql } from 'kysely';
import { activityWindowOf, column, TupleMap, TupleSet } from '@beacon/domain';
import {
  trackingEventsRecordedV2,
  type IgnoredItem,
  type RecordedItemV2 as RecordedItem,
  type TrackingEventRecordedV2 as TrackingEventRecorded,
  type MessageContext,
} from '@beacon/contracts';
import { textArrayLiteral } from '@beacon/service-kit';
import { applyIsolated, itemContext } from '@beacon/messaging';
import type { Database } from '../db.js';
import { failOperation } from '../operations/claims.js';
import { settleTrackingItems } from '../operations/settle.js';
import type { Projections } from '../projection-kit.js';

export type StatColumn =
  | 'impressions'
  | 'clicks'
  | 'conversions'
  | 'invalid_events'
  | 'revenue_minor'
  | 'leads'
  | 'customers'
  | 'converted_leads';
const STAT_COLUMNS: StatColumn[] = [
  'impressions',
  'clicks',
  'conversions',
  'invalid_events',
  'revenue_minor',
  'leads',
  'customers',
  'converted_leads',
];
const zeroStats = (): Record<StatColumn, bigint> => ({
  impressions: 0n,
  clicks: 0n,
  conversions: 0n,
  invalid_events: 0n,
  revenue_minor: 0n,
  leads: 0n,
  customers: 0n,
  converted_leads: 0n,
});

export interface Figures {
  /** per (campaign, influencer or '', day): what the events add to each column */
  stats: TupleMap<[string, string, string], Record<StatColumn, bigint>>;
  /** per (brand or '', subject, window start, type): events in that window */
  activity: TupleMap<[string, string, string, string], bigint>;
  /** the stats' 4-hour chart: per (campaign, window start) */
  windows: TupleMap<[string, string], WindowRow>;
}

export interface WindowRow {
  impressions: bigint;
  clicks: bigint;
  conversions: bigint;
  revenue_minor: bigint;
}

const timeBelieved = (e: TrackingEventRecorded) =>
  !e.reasons.includes('INVALID_OCCURRED_AT') && !e.reasons.includes('OCCURRED_AT_OUT_OF_WINDOW');

/**
 * What newly stored events add to the figures. A write the campaign's owner did not make counts
 * nowhere in the campaign (only in its sender's own activity); an event whose time is not believed
 * counts on the day it was recorded and in no activity window. Revenue is summed in the campaign's
 * currency only (`currencies`: campaign id → budget currency): a conversion in another currency counts
 * as a conversion, earns nothing (CURRENCY_MISMATCH) and adds no revenue.
 */
export function figuresOf(
  events: TrackingEventRecorded[],
  recordedAt: string,
  currencies: ReadonlyMap<string, string> = new Map(),
): Figures {
  const figures: Figures = { stats: new TupleMap(), activity: new TupleMap(), windows: new TupleMap() };
  // Events of a batch mostly share their hour: parse each hour once (a UTC 'Z' time; others are parsed each time).
  const windows = new Map<string, string>();
  const windowStart = (at: string) => {
    const hour = at.length >= 20 && at[4] === '-' && at[10] === 'T' && at.endsWith('Z') ? at.slice(0, 13) : undefined;
    const known = hour && windows.get(hour);
    if (known) return known;
    const start = activityWindowOf(at).start;
    if (hour) windows.set(hour, start);
    return start;
  };
  const add = (e: TrackingEventRecorded, column: StatColumn, by: bigint) => {
    const day = (timeBelieved(e) ? e.occurredAt : recordedAt).slice(0, 10);
    const key: [string, string, string] = [e.campaignId, e.influencerId ?? '', day];
    const row = figures.stats.get(key) ?? zeroStats();
    row[column] += by;
    figures.stats.set(key, row);
  };
  const revenueOf = (e: TrackingEventRecorded) =>
    e.value && e.value.currency === currencies.get(e.campaignId) ? e.value.amountMinor : 0n;
  const addToWindow = (e: TrackingEventRecorded, column: keyof WindowRow, by: bigint) => {
    const key: [string, string] = [e.campaignId, windowStart(e.occurredAt)];
    const row = figures.windows.get(key) ?? { impressions: 0n, clicks: 0n, conversions: 0n, revenue_minor: 0n };
    row[column] += by;
    figures.windows.set(key, row);
  };
  for (const e of events) {
    if (timeBelieved(e)) {
      const key: [string, string, string, string] = [
        e.brandId ?? '',
        e.userId ?? e.visitorId,
        windowStart(e.occurredAt),
        e.type,
      ];
      figures.activity.set(key, (figures.activity.get(key) ?? 0n) + 1n);
      if (e.valid && !e.duplicate) {
        if (e.type === 'impression') addToWindow(e, 'impressions', 1n);
        else if (e.type === 'click') addToWindow(e, 'clicks', 1n);
        else if (e.type === 'conversion') {
          addToWindow(e, 'conversions', 1n);
          addToWindow(e, 'revenue_minor', revenueOf(e));
        } else if (e.type === 'refund') addToWindow(e, 'revenue_minor', -revenueOf(e));
      }
    }
    if (e.reasons.includes('NOT_OWNER') || e.reasons.includes('UNKNOWN_CAMPAIGN')) continue;
    if (!e.valid) add(e, 'invalid_events', 1n);
    else if (e.type === 'impression') add(e, 'impressions', 1n);
    else if (e.type === 'click' && !e.duplicate) add(e, 'clicks', 1n);
    else if (e.type === 'conversion' && !e.duplicate) {
      add(e, 'conversions', 1n);
      add(e, 'revenue_minor', revenueOf(e));
    } else if (e.type === 'refund') add(e, 'revenue_minor', -revenueOf(e));
    else if (e.type === 'lead' && !e.duplicate) add(e, 'leads', 1n);
    if (e.valid && e.customer?.binds) add(e, 'customers', 1n);
    if (e.valid && e.customer?.boundBy === 'lead' && e.customer.saleNumber === 1) add(e, 'converted_leads', 1n);
  }
  return figures;
}

type Ctx = MessageContext<Database, unknown>;

/**
 * The budget currency of each campaign whose events carry money: as tracking recorded it with the
 * event, so revenue never depends on the campaign's row having been projected first. Events written
 * before tracking named it fall back to that row (no statement when every event names it).
 */
async function currenciesOf(ctx: Ctx, events: TrackingEventRecorded[]): Promise<Map<string, string>> {
  const currencies = new Map<string, string>();
  for (const e of events) if (e.value && e.campaignCurrency) currencies.set(e.campaignId, e.campaignCurrency);
  const ids = [...new Set(events.filter((e) => e.value && !currencies.has(e.campaignId)).map((e) => e.campaignId))];
  if (ids.length === 0) return currencies;
  const rows = await ctx.trx.selectFrom('rm_campaigns').select(['id', 'currency']).where('id', 'in', ids).execute();
  for (const r of rows) currencies.set(r.id, r.currency);
  return currencies;
}

/** Upserts the figures; rows in key order, so concurrent batches lock them in the same order and never deadlock. */
async function addFigures(ctx: Ctx, figures: Figures): Promise<void> {
  const stats = figures.stats.sorted();
  if (stats.length > 0) {
    const parts = stats.map(([key]) => key);
    const column = (c: StatColumn) => stats.map(([, row]) => row[c].toString());
    const added = sql.join(
      STAT_COLUMNS.map((c) => sql`${sql.ref(c)} = rm_stats.${sql.ref(c)} + EXCLUDED.${sql.ref(c)}`),
    );
    await sql`INSERT INTO rm_stats (campaign_id, influencer_id, day, impressions, clicks, conversions, invalid_events, revenue_minor,
        leads, customers, converted_leads)
      SELECT * FROM unnest(${parts.map((p) => p[0])}::text[], ${parts.map((p) => p[1])}::text[], ${parts.map((p) => p[2])}::text[],
        ${column('impressions')}::bigint[], ${column('clicks')}::bigint[], ${column('conversions')}::bigint[],
          ${column('invalid_events')}::bigint[], ${column('revenue_minor')}::numeric[],
        ${column('leads')}::bigint[], ${column('customers')}::bigint[], ${column('converted_leads')}::bigint[])
      ON CONFLICT (campaign_id, influencer_id, day) DO UPDATE SET ${added}`.execute(ctx.trx);
  }
  const windows = figures.windows.sorted();
  if (windows.length > 0) {
    const parts = windows.map(([key]) => key);
    const column = (c: keyof WindowRow) => windows.map(([, row]) => row[c].toString());
    await sql`INSERT INTO rm_campaign_windows (campaign_id, window_start, impressions, clicks, conversions, revenue_minor)
      SELECT * FROM unnest(${parts.map((p) => p[0])}::text[], ${parts.map((p) => p[1])}::text[], ${column('impressions')}::bigint[],
        ${column('clicks')}::bigint[], ${column('conversions')}::bigint[], ${column('revenue_minor')}::numeric[])
      ON CONFLICT (campaign_id, window_start) DO UPDATE SET impressions = rm_campaign_windows.impressions + EXCLUDED.impressions,
        clicks = rm_campaign_windows.clicks + EXCLUDED.clicks, conversions = rm_campaign_windows.conversions + EXCLUDED.conversions,
        revenue_minor = rm_campaign_windows.revenue_minor + EXCLUDED.revenue_minor`.execute(ctx.trx);
  }
  const activity = figures.activity.sorted();
  if (activity.length > 0) {
    const parts = activity.map(([key]) => key);
    await sql`INSERT INTO rm_activity (brand_id, subject, window_start, type, count)
      SELECT * FROM unnest(${parts.map((p) => p[0])}::text[], ${parts.map((p) => p[1])}::text[],
        ${parts.map((p) => p[2])}::text[], ${parts.map((p) => p[3])}::text[],
        ${activity.map(([, n]) => n.toString())}::bigint[])
      ON CONFLICT (brand_id, subject, window_start, type) DO UPDATE SET count = rm_activity.count + EXCLUDED.count`.execute(
      ctx.trx,
    );
  }
}

type BatchItem = { recorded: RecordedItem } | { ignored: IgnoredItem };

/**
 * Projects a batch of recorded and ignored events. They belong to many tenants: one that cannot be
 * applied is kept aside (rm_unapplied_events, its flow failed with the reason) and never fails the
 * others (applyIsolated).
 */
export async function projectTrackingBatch(ctx: Ctx, recorded: RecordedItem[], ignored: IgnoredItem[]): Promise<void> {
  const items: BatchItem[] = [...recorded.map((r) => ({ recorded: r })), ...ignored.map((i) => ({ ignored: i }))];
  const recordedOf = (some: BatchItem[]) => some.flatMap((i) => ('recorded' in i ? [i.recorded] : []));
  const ignoredOf = (some: BatchItem[]) => some.flatMap((i) => ('ignored' in i ? [i.ignored] : []));
  await applyIsolated(
    ctx.trx,
    items,
    (some) => applyBatch(ctx, recordedOf(some), ignoredOf(some)),
    (item, error) => keepUnapplied(itemContext(ctx, 'recorded' in item ? item.recorded : item.ignored), error),
  );
}

async function keepUnapplied(ctx: MessageContext<Database, RecordedItem | IgnoredItem>, error: Error): Promise<void> {
  const { correlationId, event } = ctx.message;
  const reason = `UNAPPLIED: ${error.message}`.slice(0, 500);
  ctx.log.error(
    { eventId: event.eventId, campaignId: event.campaignId, err: error.message },
    'an event could not be projected; kept aside',
  );
  await ctx.trx
    .insertInto('rm_unapplied_events')
    .values({
      correlation_id: correlationId,
      campaign_id: event.campaignId,
      event_id: event.eventId,
      reason,
      recorded_message_id: ctx.envelope.messageId,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  await settleTrackingItems(ctx.trx, new Map([[correlationId, 1]]));
  await failOperation(ctx.trx, correlationId, reason);
}

/** Stores a batch's events (each once per campaign and tenant), counts what is new, and settles the flows it belongs to. */
async function applyBatch(ctx: Ctx, recorded: RecordedItem[], ignored: IgnoredItem[]): Promise<void> {
  const { envelope } = ctx;
  if (recorded.length > 0) {
    const col = <T>(f: (e: TrackingEventRecorded, item: RecordedItem) => T) =>
      recorded.map((item) => f(item.event, item));
    const inserted = await sql<{
      campaign_id: string;
      brand_id: string;
      event_id: string;
    }>`INSERT INTO rm_tracking_events (event_id, campaign_id, brand_id, type,
        influencer_id, attribution, click_id, visitor_id, user_id, occurred_at, value_minor, currency, order_id, name,
          valid, reasons, duplicate,
        correlation_id, customer_id, coupon_code, notes, command_message_id, recorded_message_id, recorded_at)
      SELECT event_id, campaign_id, brand_id, type, influencer_id, attribution, click_id, visitor_id, user_id,
        occurred_at, value_minor, currency, order_id, name,
        valid, reasons::text[], duplicate, correlation_id, customer_id, coupon_code, notes::text[],
        ${envelope.causationId}, ${envelope.messageId}, ${envelope.occurredAt}
      FROM unnest(${col((e) => e.eventId)}::text[], ${col((e) => e.campaignId)}::text[],
        ${col((e) => e.brandId ?? '')}::text[], ${col((e) => e.type)}::text[],
        ${col((e) => e.influencerId)}::text[], ${col((e) => e.attribution)}::text[], ${col((e) => e.clickId)}::text[],
          ${col((e) => e.visitorId)}::text[],
        ${col((e) => e.userId)}::text[], ${col((e) => e.occurredAt)}::text[],
          ${col((e) => e.value?.amountMinor.toString() ?? null)}::bigint[],
        ${col((e) => e.value?.currency ?? null)}::text[], ${col((e) => e.orderId)}::text[],
          ${col((e) => e.name)}::text[], ${col((e) => e.valid)}::bool[],
        ${col((e) => textArrayLiteral(e.reasons))}::text[], ${col((e) => e.duplicate)}::bool[],
        ${col((_, item) => item.correlationId)}::text[], ${col((e) => e.customerId)}::text[],
        ${col((e) => e.couponCode)}::text[], ${col((e) => textArrayLiteral(e.notes))}::text[])
      AS t(event_id, campaign_id, brand_id, type, influencer_id, attribution, click_id, visitor_id, user_id,
        occurred_at, value_minor, currency, order_id, name,
        valid, reasons, duplicate, correlation_id, customer_id, coupon_code, notes)
      ON CONFLICT (campaign_id, brand_id, event_id) DO NOTHING RETURNING campaign_id, brand_id, event_id`.execute(
      ctx.trx,
    );
    const isNew = new TupleSet(
      inserted.rows.map((r) => [r.campaign_id, r.brand_id, r.event_id] as [string, string, string]),
    );
    const fresh = recorded.map((i) => i.event).filter((e) => isNew.delete([e.campaignId, e.brandId ?? '', e.eventId]));
    const currencies = await currenciesOf(ctx, fresh);
    await addFigures(ctx, figuresOf(fresh, envelope.occurredAt, currencies));
    await addCustomers(ctx, fresh, currencies);
  }
  if (ignored.length > 0) {
    await ctx.trx
      .insertInto('rm_ignored_events')
      .values(
        ignored.map((i) => ({
          correlation_id: i.correlationId,
          campaign_id: i.event.campaignId,
          event_id: i.event.eventId,
          reason: i.event.reason,
          command_message_id: envelope.causationId,
          recorded_message_id: envelope.messageId,
          recorded_at: envelope.occurredAt,
        })),
      )
      .execute();
  }
  const counts = new Map<string, number>();
  for (const { correlationId } of [...recorded, ...ignored])
    counts.set(correlationId, (counts.get(correlationId) ?? 0) + 1);
  await settleTrackingItems(ctx.trx, counts);
}

/**
 * The brands' customers: each new event of a bound customer names its binding, so the first one
 * projected creates the row; sales add their count and their revenue in the campaign's currency.
 * In key order, like the figures.
 */
async function addCustomers(ctx: Ctx, events: TrackingEventRecorded[], currencies: ReadonlyMap<string, string>) {
  const touched = new TupleMap<
    [string, string],
    { campaignId: string; influencerId: string; attribution: string; boundAt: string; sales: bigint; revenue: bigint }
  >();
  for (const e of events) {
    if (!e.valid || !e.customer || !e.customerId || !e.brandId) continue;
    const key: [string, string] = [e.brandId, e.customerId];
    const row = touched.get(key) ?? {
      campaignId: e.customer.campaignId,
      influencerId: e.customer.influencerId,
      attribution: e.customer.binds ? e.attribution : 'customer',
      boundAt: e.customer.boundAt,
      sales: 0n,
      revenue: 0n,
    };
    if (e.customer.saleNumber > 0) {
      row.sales += 1n;
      if (e.value && e.value.currency === currencies.get(e.campaignId)) row.revenue += e.value.amountMinor;
    }
    touched.set(key, row);
  }
  const rows = touched.sorted();
  if (rows.length === 0) return;
  const keys = rows.map(([k]) => k);
  const col = <T>(f: (r: (typeof rows)[number][1]) => T) => rows.map(([, r]) => f(r));
  await sql`
    INSERT INTO rm_customers (brand_id, customer_id, campaign_id, influencer_id, attribution, bound_at, sales, revenue_minor)
    SELECT * FROM unnest(${column(keys, 0)}::text[], ${column(keys, 1)}::text[], ${col((r) => r.campaignId)}::text[],
      ${col((r) => r.influencerId)}::text[], ${col((r) => r.attribution)}::text[], ${col((r) => r.boundAt)}::text[],
      ${col((r) => r.sales.toString())}::bigint[], ${col((r) => r.revenue.toString())}::numeric[])
    ON CONFLICT (brand_id, customer_id) DO UPDATE SET sales = rm_customers.sales + EXCLUDED.sales,
      revenue_minor = rm_customers.revenue_minor + EXCLUDED.revenue_minor`.execute(ctx.trx);
}

export const trackingProjections: Projections = {
  'tracking.TrackingEventsRecordedV2': (ctx) => projectTrackingBatch(ctx, ctx.message.recorded, ctx.message.ignored),
  'tracking.TrackingEventsRecorded': (ctx) => {
    const batch = trackingEventsRecordedV2(ctx.message);
    return projectTrackingBatch(ctx, batch.recorded, batch.ignored);
  },
};
