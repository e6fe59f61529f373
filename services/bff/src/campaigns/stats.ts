/**
 * GET /campaigns/{id}/stats: totals, per day and a page of influencers, summed by PostgreSQL from the
 * stats rollup; 4-hour windows from the window rollup. Nothing is read row by row into the BFF, and
 * no request scans the events table: the cost of a read follows what it returns.
 */
import type { Request, Router } from 'express';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { activityWindowOf } from '@beacon/domain';
import { toApi } from '@beacon/money';
import type { CampaignRow } from './access.js';
import { campaignEndpoints } from './contract.js';
import type { Database } from '../db.js';
import { mount } from '../http/endpoint.js';
import { afterKey, keyCursor } from '../http/paging.js';

/** The stats' 4-hour chart covers this many days unless the request names a range. */
const WINDOW_CHART_DAYS = 7;

/** What the route sums: every figure column of the stats rollup. */
type Sums = Omit<Database['rm_figures'], 'campaign_id' | 'influencer_id' | 'day'>;

const SUMS = sql`coalesce(sum(impressions), 0) AS impressions, coalesce(sum(clicks), 0) AS clicks,
  coalesce(sum(conversions), 0) AS conversions, coalesce(sum(invalid_events), 0) AS invalid_events,
  coalesce(sum(revenue_minor), 0) AS revenue_minor, coalesce(sum(commissions_minor), 0) AS commissions_minor,
  coalesce(sum(leads), 0) AS leads, coalesce(sum(customers), 0) AS customers,
  coalesce(sum(converted_leads), 0) AS converted_leads`;

/**
 * Counts as JSON numbers (exact far beyond any campaign), money as decimal strings, and the rates: the
 * lead-to-sale rate is the share of leads whose customer made its first purchase.
 */
function figuresOf(s: Sums, currency: string) {
  const [impressions, clicks, conversions] = [Number(s.impressions), Number(s.clicks), Number(s.conversions)];
  return {
    impressions,
    clicks,
    conversions,
    invalidEvents: Number(s.invalid_events),
    revenue: toApi({ amountMinor: BigInt(s.revenue_minor), currency }),
    commissions: toApi({ amountMinor: BigInt(s.commissions_minor), currency }),
    clickThroughRate: impressions ? clicks / impressions : 0,
    conversionRate: clicks ? conversions / clicks : 0,
    leads: Number(s.leads),
    customers: Number(s.customers),
    leadToSaleRate: Number(s.leads) ? Number(s.converted_leads) / Number(s.leads) : 0,
  };
}

/** Mounts the stats route; `owned` answers 404 unless the caller owns the campaign (or is admin). */
export function campaignStatsRoute(
  router: Router,
  db: Kysely<Database>,
  owned: (req: Request, id: string) => Promise<CampaignRow>,
): void {
  mount(router, campaignEndpoints.campaignStats, async ({ params, query }, req) => {
    const c = await owned(req, params.id);
    const days = sql.join(
      [
        sql`campaign_id = ${c.id}`,
        ...(query.from ? [sql`day >= ${query.from.slice(0, 10)}`] : []),
        ...(query.to ? [sql`day <= ${query.to.slice(0, 10)}`] : []),
      ],
      sql` AND `,
    );
    const after = afterKey('i', query.influencersCursor, 'influencersCursor');
    const limit = query.influencersLimit;
    const select = <T>(q: RawBuilder<T>) => q.execute(db).then((r) => r.rows);
    const [[totals], byDay, influencers] = await Promise.all([
      select(sql<Sums>`SELECT ${SUMS} FROM rm_figures WHERE ${days}`),
      select(sql<Sums & { day: string }>`SELECT day, ${SUMS} FROM rm_figures WHERE ${days} GROUP BY day ORDER BY day`),
      // Keyset over the primary key (campaign, influencer, day): only the page's influencers are read.
      select(sql<Sums & { influencer_id: string }>`SELECT influencer_id, ${SUMS} FROM rm_figures
        WHERE ${days} ${after === undefined ? sql`` : sql`AND influencer_id > ${after}`}
        GROUP BY influencer_id ORDER BY influencer_id LIMIT ${limit + 1}`),
    ]);
    const chartFrom = query.from ?? new Date(Date.now() - WINDOW_CHART_DAYS * 86_400_000).toISOString();
    const page = influencers.slice(0, limit);
    const last = page.at(-1);
    return {
      ...figuresOf(totals as Sums, c.currency),
      byInfluencer: page.map((r) => ({ influencerId: r.influencer_id || null, ...figuresOf(r, c.currency) })),
      byInfluencerNextCursor: influencers.length > limit && last ? keyCursor('i', last.influencer_id) : null,
      byDay: byDay.map((r) => ({ day: r.day, ...figuresOf(r, c.currency) })),
      byWindow: await windowsOf(db, c, chartFrom, query.to),
    };
  });
}

/** The campaign's valid, first-seen events per fixed 4-hour window, from the rollup kept as events arrive. */
async function windowsOf(db: Kysely<Database>, c: CampaignRow, from: string, to: string | undefined) {
  const fromWindow = activityWindowOf(from).start;
  let q = db
    .selectFrom('rm_campaign_windows')
    .select(['window_start', 'impressions', 'clicks', 'conversions', 'revenue_minor'])
    .where('campaign_id', '=', c.id)
    .where('window_start', '>=', fromWindow);
  if (to) q = q.where('window_start', '<=', to);
  const rows = await q.orderBy('window_start').execute();
  return rows.map((r) => ({
    windowStart: r.window_start,
    impressions: Number(r.impressions),
    clicks: Number(r.clicks),
    conversions: Number(r.conversions),
    revenue: toApi({ amountMinor: r.revenue_minor, currency: c.currency }),
  }));
}
