/** Commissions, balances and payouts, read from the BFF's read models; payout requests as commands. */
import { Router } from 'express';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { toApi } from '@beacon/money';
import { accepted, type Publisher } from './commands.js';
import { stableId } from './idempotency.js';
import type { Database } from './db.js';
import { has, notFound, page, pageParams, parse, requireRole, route } from './http.js';
import { PayoutBody, text } from './schemas.js';

const CommissionsQuery = z.object({
  campaignId: text(1, 128).optional(), influencerId: text(1, 128).optional(),
  status: z.enum(['pending', 'approved', 'rejected', 'reversed', 'paid']).optional(), limit: z.string().optional(), cursor: z.string().optional(),
});

function payoutView(p: { id: string; influencer_id: string; amount_minor: bigint; currency: string; method: string; status: string; reason: string | null; created_at: Date; completed_at: Date | null }) {
  return {
    id: p.id, influencerId: p.influencer_id, amount: toApi({ amountMinor: p.amount_minor, currency: p.currency }), method: p.method, status: p.status,
    ...(p.reason ? { reason: p.reason } : {}), createdAt: p.created_at.toISOString(), ...(p.completed_at ? { completedAt: p.completed_at.toISOString() } : {}),
  };
}

export function paymentRoutes(db: Kysely<Database>, publisher: Publisher): Router {
  const router = Router();

  router.get('/commissions', route(async (req, res) => {
    requireRole(req, 'influencer', 'brand', 'admin');
    const query = parse(CommissionsQuery, req.query);
    const { limit, after } = pageParams(req.query);
    let q = db.selectFrom('rm_commissions').selectAll().where('seq', '>', after);
    if (!has(req, 'admin')) {
      const me = req.caller.sub;
      // An influencer sees its own commissions, a brand its campaigns' (a caller with both roles, both).
      q = q.where((eb) => eb.or([
        // Only of campaigns it accepted: any brand can name any influencer in an event, and the
        // NOT_PARTICIPATING rejection that follows is the brand's record, not the influencer's.
        ...(has(req, 'influencer')
          ? [eb.and([eb('influencer_id', '=', me), eb('campaign_id', 'in', db.selectFrom('rm_campaign_influencers').select('campaign_id').where('influencer_id', '=', me).where('status', '=', 'accepted'))])]
          : []),
        ...(has(req, 'brand') ? [eb('campaign_id', 'in', db.selectFrom('rm_campaigns').select('id').where('brand_id', '=', me))] : []),
      ]));
    }
    if (query.campaignId) q = q.where('campaign_id', '=', query.campaignId);
    if (query.influencerId) q = q.where('influencer_id', '=', query.influencerId);
    if (query.status) q = q.where('status', '=', query.status);
    const rows = await q.orderBy('seq').limit(limit + 1).execute();
    res.json(page(rows, limit, (c) => ({
      id: c.id, campaignId: c.campaign_id, influencerId: c.influencer_id, sourceEventId: c.source_event_id,
      amount: c.amount_minor === null ? null : toApi({ amountMinor: c.amount_minor, currency: c.currency }), status: c.status,
      ...(c.reason ? { reason: c.reason } : {}), createdAt: c.created_at.toISOString(),
    })));
  }));

  router.get('/balance', route(async (req, res) => {
    requireRole(req, 'influencer');
    const me = req.caller.sub;
    const entries = await db.selectFrom('rm_ledger').selectAll().where('influencer_id', '=', me).execute();
    const payouts = await db.selectFrom('rm_payouts').select(['currency', 'amount_minor']).where('influencer_id', '=', me).where('status', '=', 'completed').execute();
    const now = Date.now();
    const byCurrency = new Map<string, { pending: bigint; available: bigint; paidOut: bigint }>();
    const of = (currency: string) => byCurrency.get(currency) ?? byCurrency.set(currency, { pending: 0n, available: 0n, paidOut: 0n }).get(currency)!;
    for (const e of entries) {
      const b = of(e.currency);
      if (e.kind === 'commission_credit' && e.available_at.getTime() > now) b.pending += e.amount_minor;
      else b.available += e.amount_minor;
    }
    for (const p of payouts) of(p.currency).paidOut += p.amount_minor;
    res.json({
      balances: [...byCurrency].sort(([a], [b]) => a.localeCompare(b)).map(([currency, b]) => ({
        currency, pending: toApi({ amountMinor: b.pending, currency }), available: toApi({ amountMinor: b.available, currency }), paidOut: toApi({ amountMinor: b.paidOut, currency }),
      })),
    });
  }));

  router.post('/payouts', route(async (req, res) => {
    requireRole(req, 'influencer');
    const body = parse(PayoutBody, req.body);
    const payoutId = stableId(req, 'payout');
    await publisher.send(req, 'payment.RequestPayout', req.caller.sub, {
      payoutId, influencerId: req.caller.sub, amount: body.amount, method: body.method, destination: body.destination,
    });
    accepted(req, res, payoutId);
  }));

  router.get('/payouts', route(async (req, res) => {
    requireRole(req, 'influencer', 'admin');
    const { limit, after } = pageParams(req.query);
    let q = db.selectFrom('rm_payouts').selectAll().where('seq', '>', after);
    if (!has(req, 'admin')) q = q.where('influencer_id', '=', req.caller.sub);
    res.json(page(await q.orderBy('seq').limit(limit + 1).execute(), limit, payoutView));
  }));

  router.get('/payouts/:id', route(async (req, res) => {
    requireRole(req, 'influencer', 'admin');
    const p = await db.selectFrom('rm_payouts').selectAll().where('id', '=', String(req.params.id)).executeTakeFirst();
    if (!p || (!has(req, 'admin') && p.influencer_id !== req.caller.sub)) throw notFound('payout');
    res.json(payoutView(p));
  }));

  return router;
}
