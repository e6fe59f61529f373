/** Coupon codes (campaign commands, read from rm_coupons) and customers (rm_customers). */
import { Router } from 'express';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { z } from 'zod';
import { toApi } from '@beacon/money';
import { acceptCommand, type Publisher } from '../command-gateway.js';
import type { campaignAccess } from '../campaigns/access.js';
import type { Database } from '../db.js';
import { mount } from '../http/endpoint.js';
import { afterKey, keyCursor } from '../http/paging.js';
import { Problem } from '../http/problems.js';
import { funnelEndpoints, type CouponView, type CustomerView } from './contract.js';
import { readsCustomers, scopeCouponList } from './access.js';

/** The (brand, code) or (brand, customer) a list's keyset cursor names (paging.ts's cursors); 400 when it is not one. */
function afterPair(tag: string, cursor: string | undefined): [string, string] | undefined {
  const key = afterKey(tag, cursor, 'cursor');
  if (key === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(key);
  } catch {
    value = undefined;
  }
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string'))
    return [value[0] as string, value[1] as string];
  throw new Problem(400, 'Bad Request', 'cursor is not valid', [
    { path: 'cursor', message: 'not a cursor from this API' },
  ]);
}

/** A page of rows read one past `limit`, and the cursor after its last row when there is more. */
function pairPage<R, V>(
  tag: string,
  rows: R[],
  limit: number,
  keyOf: (row: R) => [string, string],
  view: (row: R) => V,
) {
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return {
    items: rows.slice(0, limit).map(view),
    nextCursor: last ? keyCursor(tag, JSON.stringify(keyOf(last))) : null,
  };
}

const couponView = (c: Selectable<Database['rm_coupons']>): z.input<typeof CouponView> => ({
  code: c.code,
  campaignId: c.campaign_id,
  influencerId: c.influencer_id,
  status: c.active ? 'active' : 'deactivated',
  createdAt: c.created_at.toISOString(),
});

type CustomerRow = Selectable<Database['rm_customers']> & { currency: string };
const customerView = (c: CustomerRow): z.input<typeof CustomerView> => ({
  customerId: c.customer_id,
  campaignId: c.campaign_id,
  influencerId: c.influencer_id,
  attribution: c.attribution,
  boundAt: c.bound_at,
  sales: Number(c.sales),
  revenue: toApi({ amountMinor: BigInt(c.revenue_minor), currency: c.currency }),
});

export function funnelRoutes(db: Kysely<Database>, publisher: Publisher, access: ReturnType<typeof campaignAccess>) {
  const router = Router();

  mount(router, funnelEndpoints.createCoupon, async ({ params, body }, req, res) => {
    const c = await access.owned(req, params.id);
    const value = { campaignId: c.id, brandId: c.brand_id, code: body.code, influencerId: body.influencerId };
    return acceptCommand(publisher, req, res, { type: 'campaign.CreateCoupon', key: c.id, value, id: body.code });
  });

  mount(router, funnelEndpoints.deactivateCoupon, async ({ params }, req, res) => {
    const c = await access.owned(req, params.id);
    const value = { campaignId: c.id, brandId: c.brand_id, code: params.code };
    return acceptCommand(publisher, req, res, { type: 'campaign.DeactivateCoupon', key: c.id, value, id: params.code });
  });

  mount(router, funnelEndpoints.listCoupons, async ({ query }, req) => {
    const after = afterPair('coupons', query.cursor);
    let q = scopeCouponList(req, db.selectFrom('rm_coupons').selectAll());
    if (query.campaignId) q = q.where('campaign_id', '=', query.campaignId);
    if (after) q = q.where(sql<boolean>`(brand_id, code_key) > (${after[0]}, ${after[1]})`);
    const rows = await q
      .orderBy('brand_id')
      .orderBy('code_key')
      .limit(query.limit + 1)
      .execute();
    return pairPage('coupons', rows, query.limit, (c) => [c.brand_id, c.code_key], couponView);
  });

  mount(router, funnelEndpoints.listCustomers, async ({ query }, req) => {
    const reads = readsCustomers(req);
    if (reads === 'summary') return { items: await summaries(db, req.caller.sub, query.campaignId), nextCursor: null };
    const after = afterPair('customers', query.cursor);
    let q = db
      .selectFrom('rm_customers as k')
      .innerJoin('rm_campaigns as c', 'c.id', 'k.campaign_id')
      .selectAll('k')
      .select('c.currency');
    if (reads === 'own') q = q.where('k.brand_id', '=', req.caller.sub);
    if (query.campaignId) q = q.where('k.campaign_id', '=', query.campaignId);
    if (query.influencerId) q = q.where('k.influencer_id', '=', query.influencerId);
    if (after) q = q.where(sql<boolean>`(k.brand_id, k.customer_id) > (${after[0]}, ${after[1]})`);
    const rows = await q
      .orderBy('k.brand_id')
      .orderBy('k.customer_id')
      .limit(query.limit + 1)
      .execute();
    return pairPage('customers', rows, query.limit, (c) => [c.brand_id, c.customer_id], customerView);
  });

  return router;
}

/**
 * An influencer's customers, per campaign: how many, their sales and revenue, and what they earned it
 * (commissions approved or paid on its customers' leads and sales). Who they are stays the brand's.
 * Only of campaigns it accepted: any brand can name any influencer in an event, and a customer bound
 * that way is the brand's record (its sales earn nothing: NOT_PARTICIPATING), not the influencer's.
 */
async function summaries(db: Kysely<Database>, influencerId: string, campaignId: string | undefined) {
  const rows = await sql<{
    campaign_id: string;
    currency: string;
    customers: string;
    sales: string;
    revenue: string;
    earnings: string;
  }>`
    SELECT k.campaign_id, c.currency, count(*)::text AS customers, sum(k.sales)::text AS sales,
      sum(k.revenue_minor)::text AS revenue,
      coalesce((
        SELECT sum(m.amount_minor) FROM rm_commissions m
        JOIN rm_tracking_events e ON e.campaign_id = m.campaign_id AND e.event_id = m.source_event_id
        WHERE m.campaign_id = k.campaign_id AND m.influencer_id = ${influencerId}
          AND m.status IN ('approved', 'paid') AND e.customer_id IS NOT NULL
      ), 0)::text AS earnings
    FROM rm_customers k JOIN rm_campaigns c ON c.id = k.campaign_id
    WHERE k.influencer_id = ${influencerId} ${campaignId ? sql`AND k.campaign_id = ${campaignId}` : sql``}
      AND k.campaign_id IN (SELECT campaign_id FROM rm_campaign_influencers
        WHERE influencer_id = ${influencerId} AND status = 'accepted')
    GROUP BY k.campaign_id, c.currency
    ORDER BY k.campaign_id`.execute(db);
  return rows.rows.map((r) => ({
    campaignId: r.campaign_id,
    influencerId,
    customers: Number(r.customers),
    sales: Number(r.sales),
    revenue: toApi({ amountMinor: BigInt(r.revenue), currency: r.currency }),
    earnings: toApi({ amountMinor: BigInt(r.earnings), currency: r.currency }),
  }));
}
