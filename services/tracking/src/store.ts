/**
 * The tracking service's SQL: the campaign replica, and a batch's store: the facts about its items
 * (events stored already, their orders, click ids and earlier clicks) in a few set-based statements,
 * and the rows it decided in one.
 */
import { sql, type Selectable } from 'kysely';
import type {
  CampaignCreated,
  CampaignStatusChanged,
  CouponCreated,
  CouponDeactivated,
  MessageContext,
} from '@beacon/contracts';
import { textArrayLiteral } from '@beacon/service-kit';
import { column, compareTuples, couponKey, TupleMap, TupleSet } from '@beacon/domain';
import type { Store } from '@beacon/messaging';
import type { Database } from './db.js';
import { sharedIpWindowStart } from './signals.js';
import {
  isFunnelEvent,
  needsLookups,
  tenantOf,
  windowStartOf,
  type Attribution,
  type CouponReplica,
  type Customer,
  type BatchFacts,
  type BatchItem,
  type BatchRow,
  type CampaignReplica,
  type RecordingFacts,
  type StoredClick,
  type TrackingState,
} from './tracking.js';

type ConversionOfOrder = NonNullable<RecordingFacts['conversionOfOrder']>;

export type Trx = MessageContext<Database>['trx'];

export async function campaignsOf(trx: Trx, ids: string[]): Promise<Map<string, CampaignReplica>> {
  const rows = ids.length === 0 ? [] : await trx.selectFrom('campaigns').selectAll().where('id', 'in', ids).execute();
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        brandId: r.brand_id,
        currency: r.currency,
        attributionWindowDays: r.attribution_window_days,
        attributionModel: r.attribution_model === 'first_click' ? 'first_click' : 'last_click',
      },
    ]),
  );
}

/** Which of these (tenant, campaign, event id) triples are stored already: one statement. */
export async function seenOf(
  trx: Trx,
  keys: Array<[string, string, string]>,
): Promise<TupleSet<[string, string, string]>> {
  if (keys.length === 0) return new TupleSet();
  const rows = await sql<{ tenant: string; campaign_id: string; event_id: string }>`
    SELECT e.tenant, e.campaign_id, e.event_id
    FROM tracking_events e
    JOIN unnest(${column(keys, 0)}::text[], ${column(keys, 1)}::text[], ${column(keys, 2)}::text[])
      AS k(tenant, campaign_id, event_id) USING (tenant, campaign_id, event_id)`.execute(trx);
  return new TupleSet(rows.rows.map((r) => [r.tenant, r.campaign_id, r.event_id]));
}

/** The earning conversions and the valid refunds of these (campaign, order) pairs: one statement. */
async function ordersOf(
  trx: Trx,
  orders: Array<[string, string]>,
): Promise<Pick<BatchFacts, 'conversions' | 'refunded'>> {
  const facts = {
    conversions: new TupleMap<[string, string], ConversionOfOrder>(),
    refunded: new TupleSet<[string, string]>(),
  };
  if (orders.length === 0) return facts;
  const rows = await sql<{
    campaign_id: string;
    order_id: string;
    type: string;
    event_id: string;
    influencer_id: string | null;
    value_minor: bigint | null;
    currency: string | null;
  }>`
    WITH k AS (SELECT * FROM unnest(${column(orders, 0)}::text[], ${column(orders, 1)}::text[]) AS k(campaign_id, order_id))
    SELECT e.campaign_id, e.order_id, e.type, e.event_id, e.influencer_id, e.value_minor, e.currency
    FROM tracking_events e JOIN k USING (campaign_id, order_id)
    WHERE e.type = 'conversion' AND e.valid AND NOT e.duplicate
    UNION ALL
    SELECT e.campaign_id, e.order_id, e.type, e.event_id, e.influencer_id, e.value_minor, e.currency
    FROM tracking_events e JOIN k USING (campaign_id, order_id)
    WHERE e.type = 'refund' AND e.valid`.execute(trx);
  for (const r of rows.rows) {
    const order: [string, string] = [r.campaign_id, r.order_id];
    if (r.type === 'refund') facts.refunded.add(order);
    else
      facts.conversions.set(order, {
        eventId: r.event_id,
        influencerId: r.influencer_id,
        valueMinor: r.value_minor,
        currency: r.currency,
      });
  }
  return facts;
}

/** The influencer of each of these (campaign, click id) pairs that is a known click: one statement. */
async function clickInfluencersOf(
  trx: Trx,
  clicks: Array<[string, string]>,
): Promise<TupleMap<[string, string], string | null>> {
  if (clicks.length === 0) return new TupleMap();
  const rows = await sql<{ campaign_id: string; click_id: string; influencer_id: string | null }>`
    SELECT c.campaign_id, c.click_id, c.influencer_id
    FROM clicks c
    JOIN unnest(${column(clicks, 0)}::text[], ${column(clicks, 1)}::text[]) AS k(campaign_id, click_id)
      USING (campaign_id, click_id)`.execute(trx);
  return new TupleMap(rows.rows.map((r) => [[r.campaign_id, r.click_id], r.influencer_id]));
}

/** A visitor's latest click to look up: on any link (`anyLink`), or on one influencer's link. */
interface ClickProbe {
  index: number;
  campaignId: string;
  visitorId: string;
  at: string;
  anyLink: boolean;
  influencerId: string | null;
}

/** Each probe's latest stored click at or before its time, by probe index: one statement (an index scan each). */
async function earlierClicksOf(trx: Trx, probes: ClickProbe[]): Promise<Map<number, StoredClick>> {
  if (probes.length === 0) return new Map();
  const col = <T>(f: (p: ClickProbe) => T) => probes.map(f);
  const rows = await sql<{ index: number; influencer_id: string | null; occurred_at: string }>`
    SELECT p.index, c.influencer_id, c.occurred_at
    FROM unnest(${col((p) => p.index)}::int[], ${col((p) => p.campaignId)}::text[], ${col((p) => p.visitorId)}::text[],
      ${col((p) => p.at)}::text[], ${col((p) => p.anyLink)}::bool[], ${col((p) => p.influencerId)}::text[])
      AS p(index, campaign_id, visitor_id, at, any_link, influencer_id)
    CROSS JOIN LATERAL (
      SELECT c.influencer_id, c.occurred_at
      FROM clicks c
      WHERE c.campaign_id = p.campaign_id AND c.visitor_id = p.visitor_id AND c.occurred_at <= p.at
        AND (p.any_link OR c.influencer_id IS NOT DISTINCT FROM p.influencer_id)
      ORDER BY c.occurred_at DESC
      LIMIT 1
    ) c`.execute(trx);
  return new Map(rows.rows.map((r) => [r.index, { influencerId: r.influencer_id, occurredAt: r.occurred_at }]));
}

/** A first_click campaign's lead or conversion: the visitor's first click in [from, at]. */
interface FirstClickProbe {
  index: number;
  campaignId: string;
  visitorId: string;
  from: string;
  at: string;
}

/** Each probe's first stored click in its window, by probe index: one statement (an index scan each). */
async function firstClicksOf(trx: Trx, probes: FirstClickProbe[]): Promise<Map<number, StoredClick>> {
  if (probes.length === 0) return new Map();
  const col = <T>(f: (p: FirstClickProbe) => T) => probes.map(f);
  const rows = await sql<{ index: number; influencer_id: string | null; occurred_at: string }>`
    SELECT p.index, c.influencer_id, c.occurred_at
    FROM unnest(${col((p) => p.index)}::int[], ${col((p) => p.campaignId)}::text[], ${col((p) => p.visitorId)}::text[],
      ${col((p) => p.from)}::text[], ${col((p) => p.at)}::text[]) AS p(index, campaign_id, visitor_id, from_at, at)
    CROSS JOIN LATERAL (
      SELECT c.influencer_id, c.occurred_at
      FROM clicks c
      WHERE c.campaign_id = p.campaign_id AND c.visitor_id = p.visitor_id
        AND c.occurred_at >= p.from_at AND c.occurred_at <= p.at
      ORDER BY c.occurred_at ASC
      LIMIT 1
    ) c`.execute(trx);
  return new Map(rows.rows.map((r) => [r.index, { influencerId: r.influencer_id, occurredAt: r.occurred_at }]));
}

/** These (tenant, coupon key) codes as the brands hold them: one statement. */
async function couponsOf(trx: Trx, keys: Array<[string, string]>): Promise<TupleMap<[string, string], CouponReplica>> {
  if (keys.length === 0) return new TupleMap();
  const rows = await sql<{
    brand_id: string;
    code_key: string;
    campaign_id: string;
    influencer_id: string;
    active: boolean;
  }>`
    SELECT c.brand_id, c.code_key, c.campaign_id, c.influencer_id, c.active
    FROM coupons c
    JOIN unnest(${column(keys, 0)}::text[], ${column(keys, 1)}::text[]) AS k(brand_id, code_key) USING (brand_id, code_key)`.execute(
    trx,
  );
  return new TupleMap(
    rows.rows.map((r) => [
      [r.brand_id, r.code_key],
      { campaignId: r.campaign_id, influencerId: r.influencer_id, active: r.active },
    ]),
  );
}

/** These (tenant, customer id) customers, locked for the batch (their sales count moves): one statement. */
async function customersOf(trx: Trx, keys: Array<[string, string]>): Promise<TupleMap<[string, string], Customer>> {
  if (keys.length === 0) return new TupleMap();
  const sorted = [...keys].sort(compareTuples);
  const rows = await sql<Selectable<Database['customers']>>`
    SELECT c.*
    FROM customers c
    JOIN unnest(${column(sorted, 0)}::text[], ${column(sorted, 1)}::text[]) AS k(tenant, customer_id) USING (tenant, customer_id)
    ORDER BY c.tenant, c.customer_id
    FOR UPDATE OF c`.execute(trx);
  return new TupleMap(
    rows.rows.map((r) => [
      [r.tenant, r.customer_id],
      {
        influencerId: r.influencer_id,
        campaignId: r.campaign_id,
        boundAt: r.bound_at,
        boundBy: r.bound_by === 'lead' ? 'lead' : 'conversion',
        attribution: r.attribution as Attribution,
        sales: r.sales,
        hasLead: r.has_lead,
      },
    ]),
  );
}

/** The customers a batch bound or changed, in one upsert. */
async function saveCustomers(trx: Trx, state: TrackingState): Promise<void> {
  const changed = state.customersChanged.keys().flatMap((k): Array<[[string, string], Customer]> => {
    const c = state.facts.customers.get(k);
    return c ? [[k, c]] : [];
  });
  if (changed.length === 0) return;
  const col = <T>(f: (c: Customer) => T) => changed.map(([, c]) => f(c));
  const keys = changed.map(([k]) => k);
  await sql`
    INSERT INTO customers (tenant, customer_id, influencer_id, campaign_id, bound_at, bound_by, attribution, sales, has_lead)
    SELECT * FROM unnest(${column(keys, 0)}::text[], ${column(keys, 1)}::text[], ${col((c) => c.influencerId)}::text[],
      ${col((c) => c.campaignId)}::text[], ${col((c) => c.boundAt)}::text[], ${col((c) => c.boundBy)}::text[],
      ${col((c) => c.attribution)}::text[], ${col((c) => c.sales)}::int[], ${col((c) => c.hasLead)}::bool[])
    ON CONFLICT (tenant, customer_id) DO UPDATE SET sales = EXCLUDED.sales, has_lead = EXCLUDED.has_lead`.execute(trx);
}

/** Everything the decider needs to know about a batch's items, in at most eight statements whatever its size. */
export async function factsOf(trx: Trx, items: BatchItem[]): Promise<BatchFacts> {
  const campaigns = await campaignsOf(trx, [...new Set(items.map((i) => i.event.campaignId))]);
  const seen = await seenOf(
    trx,
    items.map(({ event: e }) => [tenantOf(e, campaigns.get(e.campaignId)), e.campaignId, e.eventId]),
  );
  const looked = items
    .map((item, index) => ({ e: item.event, index }))
    .filter((i) => needsLookups(items[i.index] as BatchItem, campaigns));
  const orders = new TupleSet<[string, string]>(
    looked.flatMap(({ e }) => (e.orderId ? [[e.campaignId, e.orderId]] : [])),
  );
  const clicks = new TupleSet<[string, string]>(
    looked.flatMap(({ e }) => (e.clickId && e.type !== 'click' ? [[e.campaignId, e.clickId]] : [])),
  );
  const probes = looked.flatMap(({ e, index }): ClickProbe[] =>
    isFunnelEvent(e.type) || e.type === 'click'
      ? [
          {
            index,
            campaignId: e.campaignId,
            visitorId: e.visitorId,
            at: e.occurredAt,
            anyLink: e.type !== 'click',
            influencerId: e.influencerId ?? null,
          },
        ]
      : [],
  );
  const funnel = looked.filter(({ e }) => isFunnelEvent(e.type));
  const firstProbes = funnel.flatMap(({ e, index }): FirstClickProbe[] => {
    const campaign = campaigns.get(e.campaignId);
    if (campaign?.attributionModel !== 'first_click') return [];
    const from = windowStartOf(e.occurredAt, campaign.attributionWindowDays);
    return [{ index, campaignId: e.campaignId, visitorId: e.visitorId, from, at: e.occurredAt }];
  });
  const tenant = (e: BatchItem['event']) => tenantOf(e, campaigns.get(e.campaignId));
  const codes = new TupleSet<[string, string]>(
    funnel.flatMap(({ e }) => (e.couponCode ? [[tenant(e), couponKey(e.couponCode)]] : [])),
  );
  const customers = new TupleSet<[string, string]>(
    funnel.flatMap(({ e }) => (e.customerId ? [[tenant(e), e.customerId]] : [])),
  );
  const ipProbes = funnel.flatMap(({ e, index }): IpProbe[] =>
    e.type === 'conversion' && e.ip
      ? [{ index, campaignId: e.campaignId, ip: e.ip, from: sharedIpWindowStart(e.occurredAt), at: e.occurredAt }]
      : [],
  );
  return {
    campaigns,
    seen,
    conversionsFromIp: await conversionsFromIpOf(trx, ipProbes),
    ...(await ordersOf(trx, orders.keys())),
    clickInfluencers: await clickInfluencersOf(trx, clicks.keys()),
    earlierClicks: await earlierClicksOf(trx, probes),
    firstClicks: await firstClicksOf(trx, firstProbes),
    coupons: await couponsOf(trx, codes.keys()),
    customers: await customersOf(trx, customers.keys()),
  };
}

/** A conversion with an IP: how many valid conversions from that IP its campaign holds in [from, at]. */
interface IpProbe {
  index: number;
  campaignId: string;
  ip: string;
  from: string;
  at: string;
}

/** Each probe's count of stored conversions from its IP in its window, by probe index: one statement (an index scan each). */
async function conversionsFromIpOf(trx: Trx, probes: IpProbe[]): Promise<Map<number, number>> {
  if (probes.length === 0) return new Map();
  const col = <T>(f: (p: IpProbe) => T) => probes.map(f);
  const rows = await sql<{ index: number; n: number }>`
    SELECT p.index, n.n
    FROM unnest(${col((p) => p.index)}::int[], ${col((p) => p.campaignId)}::text[], ${col((p) => p.ip)}::text[],
      ${col((p) => p.from)}::text[], ${col((p) => p.at)}::text[]) AS p(index, campaign_id, ip, from_at, at)
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS n
      FROM tracking_events t
      WHERE t.campaign_id = p.campaign_id AND t.ip = p.ip AND t.type = 'conversion' AND t.valid AND NOT t.duplicate
        AND t.occurred_at >= p.from_at AND t.occurred_at <= p.at
    ) n`.execute(trx);
  return new Map(rows.rows.map((r) => [r.index, r.n]));
}

/** A batch's store: the facts about its items, and the rows it decided. */
export const batchStore = (items: BatchItem[]): Store<Database, TrackingState> => ({
  load: async (trx) => ({ facts: await factsOf(trx, items), rows: [], customersChanged: new TupleSet() }),
  async save(trx, next) {
    await storeEvents(trx, next.rows);
    await saveCustomers(trx, next);
  },
});

/** Every row of the batch in one INSERT … SELECT FROM unnest(…): one statement whatever the batch size. */
export async function storeEvents(trx: Trx, rows: BatchRow[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(f: (r: BatchRow) => T) => rows.map(f);
  await sql`INSERT INTO tracking_events (tenant, event_id, type, campaign_id, influencer_id, attribution, click_id,
    visitor_id, user_id, occurred_at,
      value_minor, currency, order_id, name, properties, user_agent, ip, referrer, valid, reasons, duplicate,
        refunded_event_id, received_at, customer_id, coupon_code)
    SELECT tenant, event_id, type, campaign_id, influencer_id, attribution, click_id, visitor_id, user_id, occurred_at,
      value_minor, currency, order_id, name, properties::jsonb, user_agent, ip, referrer, valid, reasons::text[],
        duplicate, refunded_event_id, received_at, customer_id, coupon_code
    FROM unnest(${col((r) => r.recording.tenant)}::text[], ${col((r) => r.event.eventId)}::text[], ${col((r) => r.event.type)}::text[],
      ${col((r) => r.event.campaignId)}::text[], ${col((r) => r.recording.recorded.influencerId)}::text[],
        ${col((r) => r.recording.recorded.attribution)}::text[],
      ${col((r) => r.recording.recorded.clickId)}::text[], ${col((r) => r.event.visitorId)}::text[], ${col((r) => r.event.userId)}::text[],
      ${col((r) => r.event.occurredAt)}::text[], ${col((r) => r.recording.recorded.value?.amountMinor.toString() ?? null)}::bigint[],
      ${col((r) => r.recording.recorded.value?.currency ?? null)}::text[], ${col((r) => r.event.orderId)}::text[],
        ${col((r) => r.event.name)}::text[],
      ${col((r) => (r.recording.properties === null ? null : JSON.stringify(r.recording.properties)))}::text[],
        ${col((r) => r.event.userAgent)}::text[],
      ${col((r) => r.event.ip)}::text[], ${col((r) => r.event.referrer)}::text[], ${col((r) => r.recording.valid)}::bool[],
      ${col((r) => textArrayLiteral(r.recording.reasons))}::text[], ${col((r) => r.recording.duplicate)}::bool[],
      ${col((r) => r.recording.recorded.refundedEventId)}::text[], ${col((r) => r.event.receivedAt)}::text[],
      ${col((r) => r.event.customerId)}::text[], ${col((r) => r.event.couponCode)}::text[])
    AS t(tenant, event_id, type, campaign_id, influencer_id, attribution, click_id, visitor_id, user_id, occurred_at,
      value_minor, currency, order_id,
      name, properties, user_agent, ip, referrer, valid, reasons, duplicate, refunded_event_id, received_at,
      customer_id, coupon_code)`.execute(trx);
  const clicks = rows.flatMap((r) => (r.recording.click ? [{ event: r.event, click: r.recording.click }] : []));
  if (clicks.length > 0) {
    await trx
      .insertInto('clicks')
      .values(
        clicks.map((r) => ({
          campaign_id: r.event.campaignId,
          click_id: r.click.clickId,
          influencer_id: r.click.influencerId,
          visitor_id: r.event.visitorId,
          occurred_at: r.event.occurredAt,
        })),
      )
      .onConflict((oc) => oc.columns(['campaign_id', 'click_id']).doNothing())
      .execute();
  }
}

/** A campaign as tracking needs it: its owner, currency, attribution window and status. */
export async function keepCampaign(trx: Trx, c: CampaignCreated): Promise<void> {
  await trx
    .insertInto('campaigns')
    .values({
      id: c.campaignId,
      brand_id: c.brandId,
      currency: c.budget.currency,
      attribution_window_days: c.attributionWindowDays,
      attribution_model: c.attributionModel,
      status: c.status,
      landing_url: c.landingUrl,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export async function keepCampaignStatus(trx: Trx, c: CampaignStatusChanged): Promise<void> {
  await trx.updateTable('campaigns').set({ status: c.to }).where('id', '=', c.campaignId).execute();
}

/** A brand's new code, as the campaign service created it. */
export async function keepCoupon(trx: Trx, c: CouponCreated): Promise<void> {
  await trx
    .insertInto('coupons')
    .values({
      brand_id: c.brandId,
      code_key: couponKey(c.code),
      code: c.code,
      campaign_id: c.campaignId,
      influencer_id: c.influencerId,
      active: true,
    })
    .onConflict((oc) => oc.columns(['brand_id', 'code_key']).doNothing())
    .execute();
}

export async function keepCouponDeactivated(trx: Trx, c: CouponDeactivated): Promise<void> {
  await trx
    .updateTable('coupons')
    .set({ active: false })
    .where('brand_id', '=', c.brandId)
    .where('code_key', '=', couponKey(c.code))
    .execute();
}
