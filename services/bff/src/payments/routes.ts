/** Commissions, balances and payouts, read from the BFF's read models; payout requests as commands. */
import { Router } from 'express';
import type { Kysely, Selectable } from 'kysely';
import type { z } from 'zod';
import { balanceAt, FRAUD, holdCategoriesOf, type EntryKind } from '@beacon/domain';
import type { Request, Response } from 'express';
import { has } from '../http/require-role.js';
import { notFound, Problem } from '../http/problems.js';
import { toApi } from '@beacon/money';
import { acceptCommand, type Publisher } from '../command-gateway.js';
import { stableId } from '../http/idempotency.js';
import type { Database } from '../db.js';
import { paymentEndpoints, type CommissionView, type PayoutView } from './contract.js';
import { mount } from '../http/endpoint.js';
import { fetchPage, pageParams } from '../http/paging.js';
import { scopeCommissionList, scopePayoutList, visiblePayout } from './access.js';

type Row<T extends keyof Database> = Selectable<Database[T]>;

/**
 * A commission as the caller sees it. Hold reasons are the brand's and admin's; the influencer it
 * pays sees only their category, so a fraudster does not learn which signal tripped.
 */
function commissionView(c: Row<'rm_commissions'>, req: Request): z.input<typeof CommissionView> {
  const brandView = has(req, 'admin') || (has(req, 'brand') && c.influencer_id !== req.caller.sub);
  const reasons = brandView ? c.reasons : holdCategoriesOf(c.reasons);
  return {
    id: c.id,
    campaignId: c.campaign_id,
    influencerId: c.influencer_id,
    sourceEventId: c.source_event_id,
    amount: c.amount_minor === null ? null : toApi({ amountMinor: c.amount_minor, currency: c.currency }),
    status: c.status as z.input<typeof CommissionView>['status'],
    ...(c.reason ? { reason: c.reason } : {}),
    ...(reasons.length > 0 ? { reasons } : {}),
    ...(c.status === 'held' && c.review_by ? { reviewBy: c.review_by.toISOString() } : {}),
    ...(c.attribution ? { attribution: c.attribution } : {}),
    createdAt: c.created_at.toISOString(),
  };
}

type PayoutAnswer = z.input<typeof PayoutView>;

function payoutView(p: Row<'rm_payouts'>): PayoutAnswer {
  return {
    id: p.id,
    influencerId: p.influencer_id,
    amount: toApi({ amountMinor: p.amount_minor, currency: p.currency }),
    method: p.method as PayoutAnswer['method'],
    status: p.status as PayoutAnswer['status'],
    ...(p.reason ? { reason: p.reason } : {}),
    createdAt: p.created_at.toISOString(),
    ...(p.completed_at ? { completedAt: p.completed_at.toISOString() } : {}),
  };
}

export function paymentRoutes(db: Kysely<Database>, publisher: Publisher): Router {
  const router = Router();

  mount(router, paymentEndpoints.listCommissions, async ({ query }, req) => {
    const { limit, after } = pageParams(query);
    let q = scopeCommissionList(db, req, db.selectFrom('rm_commissions').selectAll().where('seq', '>', after));
    if (query.campaignId) q = q.where('campaign_id', '=', query.campaignId);
    if (query.influencerId) q = q.where('influencer_id', '=', query.influencerId);
    if (query.status) q = q.where('status', '=', query.status);
    return fetchPage(q, limit, (c) => commissionView(c, req));
  });

  // A decision on a held commission: only of the caller's own campaigns (admin: any), else 404.
  const review = async (req: Request, res: Response, id: string, decision: 'approve' | 'reject', reason?: string) => {
    const c = await db
      .selectFrom('rm_commissions')
      .innerJoin('rm_campaigns', 'rm_campaigns.id', 'rm_commissions.campaign_id')
      .select(['rm_commissions.id', 'rm_commissions.campaign_id', 'rm_commissions.status', 'rm_campaigns.brand_id'])
      .where('rm_commissions.id', '=', id)
      .executeTakeFirst();
    const admin = has(req, 'admin');
    if (!c || (!admin && c.brand_id !== req.caller.sub)) throw notFound('commission');
    if (c.status !== 'held' && c.status !== 'pending')
      throw new Problem(409, 'Conflict', `the commission is ${c.status}; only a held one is decided`);
    const value = {
      commissionId: c.id,
      campaignId: c.campaign_id,
      decision,
      reason: reason ?? null,
      brandId: admin ? null : req.caller.sub,
      decidedBy: req.caller.sub,
    };
    return acceptCommand(publisher, req, res, {
      type: 'commission.ReviewCommission',
      key: c.campaign_id,
      value,
      id: c.id,
    });
  };
  mount(router, paymentEndpoints.approveCommission, ({ params }, req, res) => review(req, res, params.id, 'approve'));
  mount(router, paymentEndpoints.rejectCommission, ({ params, body }, req, res) =>
    review(req, res, params.id, 'reject', body.reason ?? FRAUD),
  );

  mount(router, paymentEndpoints.balance, async (_input, req) => {
    const me = req.caller.sub;
    const now = new Date();
    // Summed by PostgreSQL per currency, kind and whether the holding period is over: a handful of rows
    // however long the ledger, each read by the ledger's own rule (balanceAt) as one entry.
    const groups = await db
      .selectFrom('rm_ledger')
      .select(['currency', 'kind', (eb) => eb('available_at', '>', now).as('held')])
      .select((eb) => eb.fn.sum<bigint>('amount_minor').as('amount'))
      .where('influencer_id', '=', me)
      .groupBy(['currency', 'kind', 'held'])
      .execute();
    const payouts = await db
      .selectFrom('rm_payouts')
      .select(['currency', (eb) => eb.fn.sum<bigint>('amount_minor').as('amount')])
      .where('influencer_id', '=', me)
      .where('status', '=', 'completed')
      .groupBy('currency')
      .execute();
    const [later, earlier] = [new Date(now.getTime() + 1).toISOString(), now.toISOString()];
    const currencies = [...new Set(groups.map((g) => g.currency))].sort();
    return {
      balances: currencies.map((currency) => {
        const b = balanceAt(
          groups
            .filter((g) => g.currency === currency)
            .map((g) => ({
              kind: g.kind as EntryKind,
              amountMinor: BigInt(g.amount),
              availableAt: g.held ? later : earlier,
            })),
          payouts.filter((p) => p.currency === currency).map((p) => BigInt(p.amount)),
          now,
        );
        const money = (amountMinor: bigint) => toApi({ amountMinor, currency });
        return { currency, pending: money(b.pending), available: money(b.available), paidOut: money(b.paidOut) };
      }),
    };
  });

  mount(router, paymentEndpoints.requestPayout, async ({ body }, req, res) => {
    const payoutId = stableId(req, 'payout');
    const me = req.caller.sub;
    const value = {
      payoutId,
      influencerId: me,
      amount: body.amount,
      method: body.method,
      destination: body.destination,
    };
    return acceptCommand(publisher, req, res, { type: 'payment.RequestPayout', key: me, value, id: payoutId });
  });

  mount(router, paymentEndpoints.listPayouts, async ({ query }, req) => {
    const { limit, after } = pageParams(query);
    return fetchPage(
      scopePayoutList(req, db.selectFrom('rm_payouts').selectAll().where('seq', '>', after)),
      limit,
      payoutView,
    );
  });

  mount(router, paymentEndpoints.getPayout, async ({ params }, req) => {
    return payoutView(await visiblePayout(db, req, params.id));
  });

  return router;
}
