/** Whose commissions and payouts a caller may read: one (404 otherwise) and lists alike. */
import type { Request } from 'express';
import type { Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import type { Database } from '../db.js';
import { notFound } from '../http/problems.js';
import { has } from '../http/require-role.js';

/** Commissions as the caller may list them: an influencer its own, a brand its campaigns' (both roles: both); admin all. */
export function scopeCommissionList<O>(
  db: Kysely<Database>,
  req: Request,
  q: SelectQueryBuilder<Database, 'rm_commissions', O>,
): SelectQueryBuilder<Database, 'rm_commissions', O> {
  if (has(req, 'admin')) return q;
  const me = req.caller.sub;
  return q.where((eb) =>
    eb.or([
      // Only of campaigns it accepted: any brand can name any influencer in an event, and the
      // NOT_PARTICIPATING rejection that follows is the brand's record, not the influencer's.
      ...(has(req, 'influencer')
        ? [
            eb.and([
              eb('influencer_id', '=', me),
              eb(
                'campaign_id',
                'in',
                db
                  .selectFrom('rm_campaign_influencers')
                  .select('campaign_id')
                  .where('influencer_id', '=', me)
                  .where('status', '=', 'accepted'),
              ),
            ]),
          ]
        : []),
      ...(has(req, 'brand')
        ? [eb('campaign_id', 'in', db.selectFrom('rm_campaigns').select('id').where('brand_id', '=', me))]
        : []),
    ]),
  );
}

/** Payouts as the caller may list them: an influencer its own; admin all. */
export function scopePayoutList<O>(
  req: Request,
  q: SelectQueryBuilder<Database, 'rm_payouts', O>,
): SelectQueryBuilder<Database, 'rm_payouts', O> {
  return has(req, 'admin') ? q : q.where('influencer_id', '=', req.caller.sub);
}

/** One payout, if the caller may read it (its influencer, admin); 404 otherwise. */
export async function visiblePayout(
  db: Kysely<Database>,
  req: Request,
  id: string,
): Promise<Selectable<Database['rm_payouts']>> {
  const p = await scopePayoutList(req, db.selectFrom('rm_payouts').selectAll().where('id', '=', id)).executeTakeFirst();
  if (!p) throw notFound('payout');
  return p;
}
