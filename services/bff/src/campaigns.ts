/** Campaign routes: commands out, reads from the BFF's read models. */
import { Router, type Request } from 'express';
import { sql, type Kysely, type Selectable } from 'kysely';
import { reviveAmounts, toApi } from '@beacon/money';
import { ACTIVITY_WINDOW_MS } from '@beacon/domain';
import type { CommissionRule } from '@beacon/contracts';
import { accepted, type Publisher } from './commands.js';
import { stableId } from './idempotency.js';
import type { Database } from './db.js';
import type { z } from 'zod';
import { endpoints, type CampaignView } from './contract.js';
import { mount } from './endpoint.js';
import { page, pageParams } from './paging.js';
import { forbidden, notFound } from './problems.js';
import { has } from './roles.js';
import { signLink } from './links.js';
import { defined } from '@beacon/domain';

type CampaignRow = Database['rm_campaigns'] extends infer T
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

  async function load(id: string) {
    return db.selectFrom('rm_campaigns').selectAll().where('id', '=', id).executeTakeFirst() as Promise<
      CampaignRow | undefined
    >;
  }
  async function membership(campaignId: string, influencerId: string) {
    return (
      await db
        .selectFrom('rm_campaign_influencers')
        .select('status')
        .where('campaign_id', '=', campaignId)
        .where('influencer_id', '=', influencerId)
        .executeTakeFirst()
    )?.status;
  }
  /** The campaign if the caller may see it; 404 otherwise, so existence does not leak. */
  async function visible(req: Request, id: string): Promise<CampaignRow> {
    const c = await load(id);
    if (!c) throw notFound('campaign');
    if (has(req, 'admin') || (has(req, 'brand') && c.brand_id === req.caller.sub)) return c;
    if (has(req, 'influencer') && (c.visibility === 'open' || (await membership(c.id, req.caller.sub)))) return c;
    throw notFound('campaign');
  }
  /** The campaign if the caller owns it (admin: any); 404 otherwise. */
  async function owned(req: Request, id: string): Promise<CampaignRow> {
    const c = await load(id);
    if (!c || (!has(req, 'admin') && c.brand_id !== req.caller.sub)) throw notFound('campaign');
    return c;
  }
  async function acceptedInfluencer(req: Request, id: string): Promise<CampaignRow> {
    const c = await visible(req, id);
    if ((await membership(c.id, req.caller.sub)) !== 'accepted') {
      throw forbidden('only influencers who accepted this campaign may do this');
    }
    return c;
  }

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

  mount(router, endpoints.campaignStats, async ({ params, query }, req) => {
    const c = await owned(req, params.id);
    let q = db.selectFrom('rm_stats').selectAll().where('campaign_id', '=', c.id);
    if (query.from) q = q.where('day', '>=', query.from.slice(0, 10));
    if (query.to) q = q.where('day', '<=', query.to.slice(0, 10));
    const rows = await q.execute();
    const chartFrom = query.from ?? new Date(Date.now() - WINDOW_CHART_DAYS * 86_400_000).toISOString();
    return { ...statsOf(rows, c.currency), byWindow: await windowsOf(c, chartFrom, query.to) };
  });

  /** Valid, first-seen events of the campaign per fixed 4-hour window, read from the event read model. */
  async function windowsOf(c: CampaignRow, from: string, to: string | undefined) {
    const seconds = ACTIVITY_WINDOW_MS / 1000;
    const rows = await sql<{ window_start: Date; type: string; n: string; revenue: string | null }>`
      SELECT to_timestamp(floor(extract(epoch FROM occurred_at::timestamptz) / ${seconds}) * ${seconds}) AS window_start, type,
        count(*) AS n, sum(CASE WHEN type = 'conversion' THEN value_minor WHEN type = 'refund' THEN -value_minor END) AS revenue
      FROM rm_tracking_events
      WHERE campaign_id = ${c.id} AND valid AND NOT duplicate AND occurred_at >= ${from} ${to ? sql`AND occurred_at <= ${to}` : sql``}
      GROUP BY 1, 2 ORDER BY 1`.execute(db);
    const windows = new Map<
      string,
      { windowStart: string; impressions: number; clicks: number; conversions: number; revenueMinor: bigint }
    >();
    for (const r of rows.rows) {
      const windowStart = new Date(r.window_start).toISOString();
      const w = windows.get(windowStart) ?? {
        windowStart,
        impressions: 0,
        clicks: 0,
        conversions: 0,
        revenueMinor: 0n,
      };
      if (r.type === 'impression') w.impressions += Number(r.n);
      if (r.type === 'click') w.clicks += Number(r.n);
      if (r.type === 'conversion') w.conversions += Number(r.n);
      w.revenueMinor += BigInt(r.revenue ?? 0);
      windows.set(windowStart, w);
    }
    return [...windows.values()].map(({ revenueMinor, ...w }) => ({
      ...w,
      revenue: toApi({ amountMinor: revenueMinor, currency: c.currency }),
    }));
  }

  return router;
}

type StatsRow = Selectable<Database['rm_stats']>;

/** Totals of some stats rows: counts as JSON numbers (exact far beyond any campaign), money as decimal strings. */
function figuresOf(rows: StatsRow[], currency: string) {
  const t = { impressions: 0n, clicks: 0n, conversions: 0n, invalidEvents: 0n, revenue: 0n, commissions: 0n };
  for (const r of rows) {
    t.impressions += r.impressions;
    t.clicks += r.clicks;
    t.conversions += r.conversions;
    t.invalidEvents += r.invalid_events;
    t.revenue += r.revenue_minor;
    t.commissions += r.commissions_minor;
  }
  const [impressions, clicks, conversions] = [Number(t.impressions), Number(t.clicks), Number(t.conversions)];
  return {
    impressions,
    clicks,
    conversions,
    invalidEvents: Number(t.invalidEvents),
    revenue: toApi({ amountMinor: t.revenue, currency }),
    commissions: toApi({ amountMinor: t.commissions, currency }),
    clickThroughRate: impressions ? clicks / impressions : 0,
    conversionRate: clicks ? conversions / clicks : 0,
  };
}

/** A campaign's figures in total, per influencer and per day. */
function statsOf(rows: StatsRow[], currency: string) {
  const groups = <K extends 'influencer_id' | 'day'>(key: K) =>
    [...new Set(rows.map((r) => r[key]))].sort().map((k) => ({ k, rows: rows.filter((r) => r[key] === k) }));
  return {
    ...figuresOf(rows, currency),
    byInfluencer: groups('influencer_id').map(({ k, rows }) => ({
      influencerId: k || null,
      ...figuresOf(rows, currency),
    })),
    byDay: groups('day').map(({ k, rows }) => ({ day: k, ...figuresOf(rows, currency) })),
  };
}

/** The stats' 4-hour chart covers this many days unless the request names a range. */
const WINDOW_CHART_DAYS = 7;
