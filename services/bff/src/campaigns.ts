/** Campaign routes: commands out, reads from the BFF's read models. */
import { Router } from 'express';
import type { Kysely } from 'kysely';
import { reviveAmounts, toApi } from '@beacon/money';
import type { CommissionRule } from '@beacon/contracts';
import { accepted, type Publisher } from './commands.js';
import { stableId } from './idempotency.js';
import type { Database } from './db.js';
import type { z } from 'zod';
import { endpoints, type CampaignView } from './contract.js';
import { mount } from './endpoint.js';
import { page, pageParams } from './paging.js';
import { has } from './roles.js';
import { signLink } from './links.js';
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

export function campaignView(
  c: CampaignRow,
  influencers: Array<{ influencer_id: string; status: string }>,
): CampaignAnswer {
  const money = (amountMinor: bigint) => toApi({ amountMinor, currency: c.currency });
  // The read model stores only the statuses and visibilities the campaign service emits.
  return {
    id: c.id,
    brandId: c.brand_id,
    name: c.name,
    landingUrl: c.landing_url,
    status: c.status as CampaignAnswer['status'],
    budget: money(c.budget_minor),
    spent: money(c.spent_minor),
    remaining: money(c.budget_minor - c.spent_minor),
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

  const { visible, owned, acceptedInfluencer } = campaignAccess(db);

  mount(router, endpoints.createCampaign, async ({ body }, req, res) => {
    const campaignId = body.id ?? stableId(req, 'campaign');
    const rules = body.commissionRules.map((r) => ({
      event: r.event,
      type: r.type,
      rate: 'rate' in r ? r.rate : null,
      amount: 'amount' in r ? r.amount : null,
    }));
    await publisher.send(req, 'campaign.CreateCampaign', campaignId, {
      campaignId,
      brandId: req.caller.sub,
      name: body.name,
      landingUrl: body.landingUrl,
      budget: body.budget,
      commissionRules: rules,
      visibility: body.visibility,
      attributionWindowDays: body.attributionWindowDays,
      holdingPeriodDays: body.holdingPeriodDays,
      influencerIds: body.influencerIds,
    });
    return accepted(req, res, campaignId);
  });

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
    return campaignView(c, members);
  });

  const actions = [
    [endpoints.pauseCampaign, 'pause'],
    [endpoints.resumeCampaign, 'resume'],
    [endpoints.completeCampaign, 'complete'],
  ] as const;
  for (const [e, action] of actions) {
    mount(router, e, async ({ params }, req, res) => {
      const c = await owned(req, params.id);
      await publisher.send(req, 'campaign.ChangeCampaignStatus', c.id, {
        campaignId: c.id,
        requestedBy: req.caller.sub,
        action,
      });
      return accepted(req, res, c.id);
    });
  }

  mount(router, endpoints.inviteInfluencers, async ({ params, body }, req, res) => {
    const c = await owned(req, params.id);
    await publisher.send(req, 'campaign.InviteInfluencers', c.id, {
      campaignId: c.id,
      requestedBy: req.caller.sub,
      influencerIds: body.influencerIds,
    });
    return accepted(req, res, c.id);
  });

  mount(router, endpoints.acceptCampaign, async ({ params, body }, req, res) => {
    const c = await visible(req, params.id);
    await publisher.send(req, 'campaign.AcceptCampaign', c.id, {
      campaignId: c.id,
      influencerId: req.caller.sub,
      acceptedTerms: body.acceptedTerms,
    });
    return accepted(req, res, c.id);
  });

  mount(router, endpoints.submitEvidence, async ({ params, body }, req, res) => {
    const c = await acceptedInfluencer(req, params.id);
    const evidenceId = stableId(req, 'evidence');
    await publisher.send(req, 'campaign.SubmitEvidence', c.id, {
      campaignId: c.id,
      influencerId: req.caller.sub,
      evidenceId,
      type: body.type,
      url: body.url,
      description: body.description ?? null,
    });
    return accepted(req, res, evidenceId);
  });

  mount(router, endpoints.createLink, async ({ params }, req) => {
    const c = await acceptedInfluencer(req, params.id);
    const token = signLink(linkSecret, c.id, req.caller.sub);
    return { token, url: `/c/${token}` };
  });

  campaignStatsRoute(router, db, owned);

  return router;
}
