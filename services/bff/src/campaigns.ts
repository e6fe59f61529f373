/** Campaign routes: commands out, reads from the BFF's read models. */
import { Router, type Request } from 'express';
import { sql, type Kysely } from 'kysely';
import { reviveAmounts, toApi } from '@beacon/money';
import { ACTIVITY_WINDOW_MS } from '@beacon/domain';
import type { CommissionRule } from '@beacon/contracts';
import { accepted, type Publisher } from './commands.js';
import { stableId } from './idempotency.js';
import type { Database } from './db.js';
import { forbidden, has, notFound, page, pageParams, parse, requireRole, route } from './http.js';
import { signLink } from './links.js';
import { AcceptBody, CreateCampaignBody, EvidenceBody, InvitationsBody, Range } from './schemas.js';

type CampaignRow = Database['rm_campaigns'] extends infer T ? { [K in keyof T]: T[K] extends import('kysely').ColumnType<infer S, unknown, unknown> ? S : T[K] } : never;

function ruleToApi(rule: CommissionRule) {
  if (rule.type === 'percent') return { event: rule.event, type: rule.type, rate: rule.rate };
  return { event: rule.event, type: rule.type, amount: toApi(rule.amount!) };
}

export function campaignView(c: CampaignRow, influencers: Array<{ influencer_id: string; status: string }>) {
  const money = (amountMinor: bigint) => toApi({ amountMinor, currency: c.currency });
  return {
    id: c.id, brandId: c.brand_id, name: c.name, landingUrl: c.landing_url, status: c.status,
    budget: money(c.budget_minor), spent: money(c.spent_minor), remaining: money(c.budget_minor - c.spent_minor),
    commissionRules: reviveAmounts<CommissionRule[]>(c.rules).map(ruleToApi), visibility: c.visibility,
    attributionWindowDays: c.attribution_window_days, holdingPeriodDays: c.holding_period_days,
    influencers: influencers.map((i) => ({ influencerId: i.influencer_id, status: i.status })),
    createdAt: c.created_at.toISOString(), updatedAt: c.updated_at.toISOString(),
  };
}

export function campaignRoutes(db: Kysely<Database>, publisher: Publisher, linkSecret: string): Router {
  const router = Router();

  async function load(id: string) {
    return db.selectFrom('rm_campaigns').selectAll().where('id', '=', id).executeTakeFirst() as Promise<CampaignRow | undefined>;
  }
  async function membership(campaignId: string, influencerId: string) {
    return (await db.selectFrom('rm_campaign_influencers').select('status').where('campaign_id', '=', campaignId).where('influencer_id', '=', influencerId).executeTakeFirst())?.status;
  }
  /** The campaign if the caller may see it; 404 otherwise, so existence does not leak. */
  async function visible(req: Request): Promise<CampaignRow> {
    const c = await load(String(req.params.id));
    if (!c) throw notFound('campaign');
    if (has(req, 'admin') || (has(req, 'brand') && c.brand_id === req.caller.sub)) return c;
    if (has(req, 'influencer') && (c.visibility === 'open' || (await membership(c.id, req.caller.sub)))) return c;
    throw notFound('campaign');
  }
  async function owned(req: Request): Promise<CampaignRow> {
    requireRole(req, 'brand', 'admin');
    const c = await load(String(req.params.id));
    if (!c || (!has(req, 'admin') && c.brand_id !== req.caller.sub)) throw notFound('campaign');
    return c;
  }
  async function acceptedInfluencer(req: Request): Promise<CampaignRow> {
    requireRole(req, 'influencer');
    const c = await visible(req);
    if ((await membership(c.id, req.caller.sub)) !== 'accepted') throw forbidden('only influencers who accepted this campaign may do this');
    return c;
  }

  router.post('/campaigns', route(async (req, res) => {
    requireRole(req, 'brand', 'admin');
    const body = parse(CreateCampaignBody, req.body);
    const campaignId = body.id ?? stableId(req, 'campaign');
    const rules = body.commissionRules.map((r) => ({ event: r.event, type: r.type, rate: 'rate' in r ? r.rate : null, amount: 'amount' in r ? r.amount : null }));
    await publisher.send(req, 'campaign.CreateCampaign', campaignId, {
      campaignId, brandId: req.caller.sub, name: body.name, landingUrl: body.landingUrl, budget: body.budget, commissionRules: rules,
      visibility: body.visibility, attributionWindowDays: body.attributionWindowDays, holdingPeriodDays: body.holdingPeriodDays, influencerIds: body.influencerIds,
    });
    accepted(req, res, campaignId);
  }));

  router.get('/campaigns', route(async (req, res) => {
    const { limit, after } = pageParams(req.query);
    let q = db.selectFrom('rm_campaigns').selectAll().where('seq', '>', after);
    if (!has(req, 'admin')) {
      if (has(req, 'brand') && !has(req, 'influencer')) q = q.where('brand_id', '=', req.caller.sub);
      else if (has(req, 'influencer')) {
        const me = req.caller.sub;
        q = q.where((eb) => eb.or([
          eb('visibility', '=', 'open'),
          eb.exists(eb.selectFrom('rm_campaign_influencers').select(sql.lit(1).as('x')).whereRef('campaign_id', '=', 'rm_campaigns.id').where('influencer_id', '=', me)),
          ...(has(req, 'brand') ? [eb('brand_id', '=', me)] : []),
        ]));
      } else throw forbidden();
    }
    const rows = (await q.orderBy('seq').limit(limit + 1).execute()) as CampaignRow[];
    const members = rows.length ? await db.selectFrom('rm_campaign_influencers').selectAll().where('campaign_id', 'in', rows.map((r) => r.id)).execute() : [];
    res.json(page(rows, limit, (c) => campaignView(c, members.filter((m) => m.campaign_id === c.id))));
  }));

  router.get('/campaigns/:id', route(async (req, res) => {
    const c = await visible(req);
    const members = await db.selectFrom('rm_campaign_influencers').selectAll().where('campaign_id', '=', c.id).orderBy('influencer_id').execute();
    res.json(campaignView(c, members));
  }));

  for (const action of ['pause', 'resume', 'complete'] as const) {
    router.post(`/campaigns/:id/${action}`, route(async (req, res) => {
      const c = await owned(req);
      await publisher.send(req, 'campaign.ChangeCampaignStatus', c.id, { campaignId: c.id, requestedBy: req.caller.sub, action });
      accepted(req, res, c.id);
    }));
  }

  router.post('/campaigns/:id/invitations', route(async (req, res) => {
    const c = await owned(req);
    const body = parse(InvitationsBody, req.body);
    await publisher.send(req, 'campaign.InviteInfluencers', c.id, { campaignId: c.id, requestedBy: req.caller.sub, influencerIds: body.influencerIds });
    accepted(req, res, c.id);
  }));

  router.post('/campaigns/:id/accept', route(async (req, res) => {
    requireRole(req, 'influencer');
    const c = await visible(req);
    const body = parse(AcceptBody, req.body);
    await publisher.send(req, 'campaign.AcceptCampaign', c.id, { campaignId: c.id, influencerId: req.caller.sub, acceptedTerms: body.acceptedTerms });
    accepted(req, res, c.id);
  }));

  router.post('/campaigns/:id/evidence', route(async (req, res) => {
    const c = await acceptedInfluencer(req);
    const body = parse(EvidenceBody, req.body);
    const evidenceId = stableId(req, 'evidence');
    await publisher.send(req, 'campaign.SubmitEvidence', c.id, {
      campaignId: c.id, influencerId: req.caller.sub, evidenceId, type: body.type, url: body.url, description: body.description ?? null,
    });
    accepted(req, res, evidenceId);
  }));

  router.post('/campaigns/:id/links', route(async (req, res) => {
    const c = await acceptedInfluencer(req);
    const token = signLink(linkSecret, c.id, req.caller.sub);
    res.status(201).json({ token, url: `/c/${token}` });
  }));

  router.get('/campaigns/:id/stats', route(async (req, res) => {
    const c = await owned(req);
    const range = parse(Range, req.query);
    let q = db.selectFrom('rm_stats').selectAll().where('campaign_id', '=', c.id);
    if (range.from) q = q.where('day', '>=', range.from.slice(0, 10));
    if (range.to) q = q.where('day', '<=', range.to.slice(0, 10));
    const rows = await q.execute();
    const money = (amountMinor: bigint) => toApi({ amountMinor, currency: c.currency });
    const sum = (rs: typeof rows) => {
      const t = rs.reduce((a, r) => ({
        impressions: a.impressions + r.impressions, clicks: a.clicks + r.clicks, conversions: a.conversions + r.conversions,
        invalidEvents: a.invalidEvents + r.invalid_events, revenue: a.revenue + r.revenue_minor, commissions: a.commissions + r.commissions_minor,
      }), { impressions: 0n, clicks: 0n, conversions: 0n, invalidEvents: 0n, revenue: 0n, commissions: 0n });
      // Counts are JSON numbers (exact far beyond any real campaign); money stays exact as decimal strings.
      const [impressions, clicks, conversions] = [Number(t.impressions), Number(t.clicks), Number(t.conversions)];
      return {
        impressions, clicks, conversions, invalidEvents: Number(t.invalidEvents),
        revenue: money(t.revenue), commissions: money(t.commissions),
        clickThroughRate: impressions ? clicks / impressions : 0, conversionRate: clicks ? conversions / clicks : 0,
      };
    };
    const byWindow = await windowsOf(c, range.from ?? new Date(Date.now() - WINDOW_CHART_DAYS * 86_400_000).toISOString(), range.to);
    const groups = (key: 'influencer_id' | 'day') => [...new Set(rows.map((r) => r[key]))].sort().map((k) => ({ k, rs: rows.filter((r) => r[key] === k) }));
    res.json({
      ...sum(rows),
      byInfluencer: groups('influencer_id').map(({ k, rs }) => ({ influencerId: k || null, ...sum(rs) })),
      byDay: groups('day').map(({ k, rs }) => ({ day: k, ...sum(rs) })),
      byWindow,
    });
  }));

  /** Valid, first-seen events of the campaign per fixed 4-hour window, read from the event read model. */
  async function windowsOf(c: CampaignRow, from: string, to: string | undefined) {
    const seconds = ACTIVITY_WINDOW_MS / 1000;
    const rows = await sql<{ window_start: Date; type: string; n: string; revenue: string | null }>`
      SELECT to_timestamp(floor(extract(epoch FROM occurred_at::timestamptz) / ${seconds}) * ${seconds}) AS window_start, type,
        count(*) AS n, sum(CASE WHEN type = 'conversion' THEN value_minor WHEN type = 'refund' THEN -value_minor END) AS revenue
      FROM rm_tracking_events
      WHERE campaign_id = ${c.id} AND valid AND NOT duplicate AND occurred_at >= ${from} ${to ? sql`AND occurred_at <= ${to}` : sql``}
      GROUP BY 1, 2 ORDER BY 1`.execute(db);
    const windows = new Map<string, { windowStart: string; impressions: number; clicks: number; conversions: number; revenueMinor: bigint }>();
    for (const r of rows.rows) {
      const windowStart = new Date(r.window_start).toISOString();
      const w = windows.get(windowStart) ?? { windowStart, impressions: 0, clicks: 0, conversions: 0, revenueMinor: 0n };
      if (r.type === 'impression') w.impressions += Number(r.n);
      if (r.type === 'click') w.clicks += Number(r.n);
      if (r.type === 'conversion') w.conversions += Number(r.n);
      w.revenueMinor += BigInt(r.revenue ?? 0);
      windows.set(windowStart, w);
    }
    return [...windows.values()].map(({ revenueMinor, ...w }) => ({ ...w, revenue: toApi({ amountMinor: revenueMinor, currency: c.currency }) }));
  }

  return router;
}

/** The stats' 4-hour chart covers this many days unless the request names a range. */
const WINDOW_CHART_DAYS = 7;
