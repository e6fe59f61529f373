/** Campaign routes: the commands (commands.ts), the reads from the BFF's read models, the stats (stats.ts). */
import { Router } from 'express';
import type { Kysely } from 'kysely';
import { reviveAmounts, toApi } from '@beacon/money';
import type { CommissionRule as MessageRule } from '@beacon/contracts';

/** A rule as the read model keeps it: the campaign's rules and its lead rule, durations where kept. */
type CommissionRule = Omit<MessageRule, 'event' | 'customerDurationMonths'> & {
  event: MessageRule['event'] | 'lead';
  customerDurationMonths?: number | null;
};
import type { Publisher } from '../command-gateway.js';
import { campaignCommandRoutes } from './commands.js';
import type { Database } from '../db.js';
import type { z } from 'zod';
import { campaignEndpoints, type CampaignAction, type CampaignView } from './contract.js';
import { mount } from '../http/endpoint.js';
import { afterKey, keyCursor, page, pageParams } from '../http/paging.js';
import {
  allowedActionsOf,
  campaignAccess,
  scopeCampaignList,
  viewerOf,
  type CampaignRow,
  type Viewer,
} from './access.js';
import { has } from '../http/require-role.js';
import { campaignStatsRoute } from './stats.js';
import { defined, REVIEW_SIGNALS, type ReviewSignal } from '@beacon/domain';
import type { ReviewRules } from '@beacon/contracts';

/** A campaign's review rules as the API shows them to its owner (stored as the message had them). */
function reviewView(stored: unknown) {
  const r = reviveAmounts<ReviewRules>(stored);
  return {
    ...(r.thresholdAmount ? { thresholdAmount: toApi(r.thresholdAmount) } : {}),
    reviewDays: r.reviewDays,
    signals: r.signals.filter((s): s is ReviewSignal => (REVIEW_SIGNALS as readonly string[]).includes(s)),
  };
}

/** A stored rule as the API shows it (rules kept before customer durations have none). */
function ruleToApi(rule: CommissionRule) {
  const duration = rule.customerDurationMonths ?? undefined;
  const months = duration === undefined ? {} : { customerDurationMonths: duration };
  if (rule.type === 'percent') return { event: rule.event, type: rule.type, rate: rule.rate ?? undefined, ...months };
  const amount = toApi(defined(rule.amount, `a ${rule.type} rule's amount`));
  return { event: rule.event, type: rule.type, amount, ...months };
}

type CampaignAnswer = z.input<typeof CampaignView>;

type MemberRow = { influencer_id: string; status: string };
type MemberAnswer = NonNullable<CampaignAnswer['influencers']>[number];
const memberView = (m: MemberRow): MemberAnswer => ({
  influencerId: m.influencer_id,
  status: m.status as MemberAnswer['status'],
});

/** The members shown in one campaign's answer to its owner; the rest are paged by GET …/influencers. */
const MEMBERS_IN_VIEW = 100;

/** A page of a campaign's members by influencer id (the primary key's order: only the page is read). */
async function membersPage(db: Kysely<Database>, campaignId: string, after: string | undefined, limit: number) {
  let q = db
    .selectFrom('rm_campaign_influencers')
    .select(['influencer_id', 'status'])
    .where('campaign_id', '=', campaignId);
  if (after !== undefined) q = q.where('influencer_id', '>', after);
  const rows = await q
    .orderBy('influencer_id')
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { rows: items, nextCursor: rows.length > limit && last ? keyCursor('m', last.influencer_id) : null };
}

/** One influencer's memberships of these campaigns. */
const membershipsOf = (db: Kysely<Database>, campaignIds: string[], influencerId: string) =>
  campaignIds.length
    ? db
        .selectFrom('rm_campaign_influencers')
        .select(['campaign_id', 'influencer_id', 'status'])
        .where('campaign_id', 'in', campaignIds)
        .where('influencer_id', '=', influencerId)
        .execute()
    : Promise.resolve([]);

/**
 * A campaign as its viewer may see it. An influencer sees the terms and its own membership, never the
 * others' or what the brand spent; an owner sees the members it is given (none in lists).
 */
export function campaignView(
  c: CampaignRow,
  viewer: Viewer,
  allowedActions: CampaignAction[],
  members?: { rows: MemberRow[]; nextCursor?: string | null },
): CampaignAnswer {
  const money = (amountMinor: bigint) => toApi({ amountMinor, currency: c.currency });
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
    attributionModel: c.attribution_model === 'first_click' ? 'first_click' : 'last_click',
    holdingPeriodDays: c.holding_period_days,
    ...(viewer.owner && c.review ? { review: reviewView(c.review) } : {}),
    ...(members ? { influencers: members.rows.map(memberView) } : {}),
    ...(members?.nextCursor !== undefined ? { influencersNextCursor: members.nextCursor } : {}),
    allowedActions,
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
  };
}

export function campaignRoutes(db: Kysely<Database>, publisher: Publisher, linkSecret: string): Router {
  const router = Router();

  const access = campaignAccess(db);
  const { visible, owned } = access;
  campaignCommandRoutes(router, publisher, access, linkSecret);

  mount(router, campaignEndpoints.listCampaigns, async ({ query }, req) => {
    const { limit, after } = pageParams(query);
    const rows = await scopeCampaignList(db, req, db.selectFrom('rm_campaigns').selectAll().where('seq', '>', after))
      .orderBy('seq')
      .limit(limit + 1)
      .execute();
    // Lists carry no member lists: an influencer sees its own membership of each, an owner none.
    const mine = new Map(
      (
        await membershipsOf(
          db,
          rows.slice(0, limit).map((r) => r.id),
          req.caller.sub,
        )
      ).map((m) => [m.campaign_id, m]),
    );
    return page(rows, limit, (c) => {
      const viewer = viewerOf(req, c);
      const own = mine.get(c.id);
      const actions = allowedActionsOf(req, c, own?.status);
      return campaignView(c, viewer, actions, viewer.owner ? undefined : { rows: own ? [own] : [] });
    });
  });

  mount(router, campaignEndpoints.getCampaign, async ({ params }, req) => {
    const c = await visible(req, params.id);
    const viewer = viewerOf(req, c);
    const own = has(req, 'influencer') ? await membershipsOf(db, [c.id], req.caller.sub) : [];
    const actions = allowedActionsOf(req, c, own[0]?.status);
    if (viewer.owner) return campaignView(c, viewer, actions, await membersPage(db, c.id, undefined, MEMBERS_IN_VIEW));
    return campaignView(c, viewer, actions, { rows: own });
  });

  mount(router, campaignEndpoints.listCampaignInfluencers, async ({ params, query }, req) => {
    const c = await visible(req, params.id);
    const viewer = viewerOf(req, c);
    if (viewer.owner) {
      const { rows, nextCursor } = await membersPage(db, c.id, afterKey('m', query.cursor, 'cursor'), query.limit);
      return { items: rows.map(memberView), nextCursor };
    }
    return { items: (await membershipsOf(db, [c.id], viewer.influencerId)).map(memberView), nextCursor: null };
  });

  campaignStatsRoute(router, db, owned);

  return router;
}
