/** GET /campaigns/{id}/stats: totals, per influencer and per day from the stats read model; 4-hour windows from the events. */
import type { Request, Router } from 'express';
import { sql, type Kysely, type Selectable } from 'kysely';
import { ACTIVITY_WINDOW_MS } from '@beacon/domain';
import { toApi } from '@beacon/money';
import type { CampaignRow } from './campaigns.js';
import { endpoints } from './contract.js';
import type { Database } from './db.js';
import { mount } from './endpoint.js';

/** Mounts the stats route; `owned` answers 404 unless the caller owns the campaign (or is admin). */
export function campaignStatsRoute(
  router: Router,
  db: Kysely<Database>,
  owned: (req: Request, id: string) => Promise<CampaignRow>,
): void {
  mount(router, endpoints.campaignStats, async ({ params, query }, req) => {
    const c = await owned(req, params.id);
    let q = db.selectFrom('rm_stats').selectAll().where('campaign_id', '=', c.id);
    if (query.from) q = q.where('day', '>=', query.from.slice(0, 10));
    if (query.to) q = q.where('day', '<=', query.to.slice(0, 10));
    const rows = await q.execute();
    const chartFrom = query.from ?? new Date(Date.now() - WINDOW_CHART_DAYS * 86_400_000).toISOString();
    return { ...statsOf(rows, c.currency), byWindow: await windowsOf(db, c, chartFrom, query.to) };
  });

  /** Valid, first-seen events of the campaign per fixed 4-hour window, read from the event read model. */
}

async function windowsOf(db: Kysely<Database>, c: CampaignRow, from: string, to: string | undefined) {
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
