/** Campaign routes: the commands (campaign-commands.ts), the reads from the BFF's read models, the stats. */
import { Router, type Request } from 'express';
import type { Kysely } from 'kysely';
import { reviveAmounts, toApi } from '@beacon/money';
import type { CommissionRule } from '@beacon/contracts';
import type { Publisher } from './commands.js';
import { campaignCommandRoutes } from './campaign-commands.js';
import type { Database } from './db.js';
import type { z } from 'zod';
import { endpoints, type CampaignView } from './contract.js';
import { mount } from './endpoint.js';
import { page, pageParams } from './paging.js';
import { has } from './roles.js';
import { campaignAccess } from './campaign-access.js';
import { campaignStatsRoute } from './campaign-stats.js';
import { defined } from '@beacon/domain';

export type CampaignRow = Database['rm_campaigns'] extends infer T
  ? { [K in keyof T]: T[K] extends import('kysely').ColumnType<infer S, unknown, unknown> ? S : T[K] }
  : never;

function ruleToApi(rule: CommissionRule) {
  if (rule.type === 'percent') return { event: rule.event, type: rule.type, rate: rule.rate ?? undefined };
  return { event: rule.event, type: rule.type, amount: toApi(defined(rule.amount, `a ${rule.type} rule's amount`)) };
}

type CampaignAnswer = z.input<typeof CampaignView>;

/** Who reads a campaign: its owner (or admin) sees everything; anyone else is an influencer who sees the terms. */
export type Viewer = { owner: true } | { owner: false; influencerId: string };

export const viewerOf = (req: Request, c: CampaignRow): Viewer =>
  has(req, 'admin') || (has(req, 'brand') && c.brand_id === req.caller.sub)
    ? { owner: true }
    : { owner: false, influencerId: req.caller.sub };

export function campaignView(
  c: CampaignRow,
  members: Array<{ influencer_id: string; status: string }>,
  viewer: Viewer,
): CampaignAnswer {
  const money = (amountMinor: bigint) => toApi({ amountMinor, currency: c.currency });
  // An influencer sees the terms and its own membership: not the others', not what the brand spent.
  const influencers = viewer.owner ? members : members.filter((m) => m.influencer_id === viewer.influencerId);
  const budgetUse = viewer.owner
    ? { spent: money(c.spent_minor), remaining: money(c.budget_minor - c.spent_minor) }
    : {};
  // The read model stores only the statuses and visibilities the campaign service emits.
  return {
    id: c.id,
    brandId: c.brand_id,
    name: c.name,
    landingUrl: c.landing_url,
    status: c.status as CampaignAnswer['status'],
    budget: money(c.budget_minor),
    ...budgetUse,
    commissionRules: reviveAmounts<CommissionRule[]>(c.rules).map(ruleToApi),
    visibility: c.visibility as CampaignAnswer['visibility'],
    attributionWindowDays: c.attribution_window_days,
    holdingPeriodDays: c.holding_period_days,
    influencers: influencers.map((i) => ({
      influencerId: i.influencer_id,
      status: i.status as CampaignAnswer['influencers'][number]['status'],
    })),
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
  };
}

export function campaignRoutes(db: Kysely<Database>, publisher: Publisher, linkSecret: string): Router {
  const router = Router();

  const access = campaignAccess(db);
  const { visible, owned } = access;
  campaignCommandRoutes(router, publisher, access, linkSecret);

  mount(router, endpoints.listCampaigns, async ({ query }, req) => {
    const { limit, after } = pageParams(query);
    let q = db.selectFrom('rm_campaigns').selectAll().where('seq', '>', after);
    if (!has(req, 'admin')) {
      const me = req.caller.sub;
      if (has(req, 'brand') && !has(req, 'influencer')) q = q.where('brand_id', '=', me);
      else {
        const invited = db.selectFrom('rm_campaign_influencers').select('campaign_id').where('influencer_id', '=', me);
        q = q.where((eb) =>
          eb.or([
            eb('visibility', '=', 'open'),
            eb('id', 'in', invited),
            ...(has(req, 'brand') ? [eb('brand_id', '=', me)] : []),
          ]),
        );
      }
    }
    const rows = (await q
      .orderBy('seq')
      .limit(limit + 1)
      .execute()) as CampaignRow[];
    const members = rows.length
      ? await db
          .selectFrom('rm_campaign_influencers')
          .selectAll()
          .where(
            'campaign_id',
            'in',
            rows.map((r) => r.id),
          )
          .execute()
      : [];
    return page(rows, limit, (c) =>
      campaignView(
        c,
        members.filter((m) => m.campaign_id === c.id),
        viewerOf(req, c),
      ),
    );
  });

  mount(router, endpoints.getCampaign, async ({ params }, req) => {
    const c = await visible(req, params.id);
    const members = await db
      .selectFrom('rm_campaign_influencers')
      .selectAll()
      .where('campaign_id', '=', c.id)
      .orderBy('influencer_id')
      .execute();
    return campaignView(c, members, viewerOf(req, c));
  });

  campaignStatsRoute(router, db, owned);

  return router;
}
