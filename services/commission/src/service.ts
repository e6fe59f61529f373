/** Commission service: decides commissions from tracking events, runs the budget saga, reverses on refund. */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type {
  BudgetReservationRejected, BudgetReserved, CampaignCreated, CommissionRule, CampaignStatusChanged, InfluencerAccepted, PayoutCompleted, RejectionReason, TrackingEventRecorded,
} from '@beacon/contracts';
import type { Handler, HandlerContext } from '@beacon/messaging';
import type { ServiceDefinition } from '@beacon/service-kit';
import type { Database } from './db.js';
import { reviveAmounts, toJsonText } from '@beacon/money';
import { migrations } from './migrations.js';
import { decideCommission, type CampaignTerms } from './rules.js';

type Ctx<M> = HandlerContext<Database, M>;

async function termsOf(ctx: Ctx<unknown>, campaignId: string): Promise<CampaignTerms | undefined> {
  const t = await ctx.trx.selectFrom('campaign_terms').selectAll().where('id', '=', campaignId).executeTakeFirst();
  return t && { id: t.id, brandId: t.brand_id, currency: t.currency, status: t.status, holdingPeriodDays: t.holding_period_days, rules: reviveAmounts<CommissionRule[]>(t.rules), accepted: t.accepted };
}

async function reverse(ctx: Ctx<unknown>, commission: { id: string; campaign_id: string; influencer_id: string | null; amount_minor: bigint | null; currency: string }, refundEventId: string) {
  await ctx.trx.updateTable('commissions').set({ status: 'reversed', reverse_pending: false }).where('id', '=', commission.id).execute();
  await ctx.emit('commission.CommissionReversed', commission.campaign_id, {
    commissionId: commission.id, campaignId: commission.campaign_id, influencerId: commission.influencer_id ?? '', refundEventId,
    amount: { amountMinor: commission.amount_minor ?? 0n, currency: commission.currency },
  });
}

const trackingEvent: Handler<Database, TrackingEventRecorded> = async (ctx) => {
  const e = ctx.message;
  if (e.type === 'refund' && e.valid && e.refundedEventId) {
    const commission = await ctx.trx.selectFrom('commissions').selectAll()
      .where('campaign_id', '=', e.campaignId).where('source_event_id', '=', e.refundedEventId).forUpdate().executeTakeFirst();
    if (!commission) return;
    if (commission.status === 'approved' || commission.status === 'paid') await reverse(ctx, commission, e.eventId);
    else if (commission.status === 'pending') {
      await ctx.trx.updateTable('commissions').set({ reverse_pending: true }).where('id', '=', commission.id).execute();
    }
    return;
  }
  // One decision per source event (ids are unique within a campaign), even if the same fact reaches us again under another message id.
  if (await ctx.trx.selectFrom('commissions').select('id').where('campaign_id', '=', e.campaignId).where('source_event_id', '=', e.eventId).executeTakeFirst()) return;
  let impressions = 0n;
  if (e.type === 'impression' && e.valid && e.influencerId) {
    const counted = await sql<{ count: bigint }>`INSERT INTO impression_counts VALUES (${e.campaignId}, ${e.influencerId}, 1)
      ON CONFLICT (campaign_id, influencer_id) DO UPDATE SET count = impression_counts.count + 1 RETURNING count`.execute(ctx.trx);
    impressions = counted.rows[0]!.count;
  }
  const terms = await termsOf(ctx, e.campaignId);
  const decision = decideCommission(e, terms, impressions);
  if (decision.kind === 'none') return;
  const id = randomUUID();
  const currency = decision.kind === 'calculate' ? decision.amount.currency : (e.value?.currency ?? terms?.currency ?? 'USD');
  const base = { id, campaign_id: e.campaignId, influencer_id: e.influencerId, source_event_id: e.eventId, event_type: e.type, currency, reverse_pending: false };
  if (decision.kind === 'reject') {
    await ctx.trx.insertInto('commissions').values({ ...base, amount_minor: null, requested_minor: null, status: 'rejected', reason: decision.reason }).execute();
    await ctx.emit('commission.CommissionRejected', e.campaignId, { commissionId: id, campaignId: e.campaignId, influencerId: e.influencerId, sourceEventId: e.eventId, reason: decision.reason, amount: null });
    return;
  }
  await ctx.trx.insertInto('commissions').values({ ...base, amount_minor: decision.amount.amountMinor, requested_minor: decision.amount.amountMinor, status: 'pending', reason: null }).execute();
  await ctx.emit('commission.CommissionCalculated', e.campaignId, {
    commissionId: id, campaignId: e.campaignId, influencerId: e.influencerId!, sourceEventId: e.eventId, eventType: e.type, amount: decision.amount,
  });
};

const budgetReserved: Handler<Database, BudgetReserved> = async (ctx) => {
  const r = ctx.message;
  const c = await ctx.trx.selectFrom('commissions').selectAll().where('id', '=', r.commissionId).forUpdate().executeTakeFirst();
  if (!c || c.status !== 'pending') return;
  const terms = await termsOf(ctx, c.campaign_id);
  await ctx.trx.updateTable('commissions').set({ status: 'approved', amount_minor: r.reserved.amountMinor }).where('id', '=', c.id).execute();
  await ctx.emit('commission.CommissionApproved', c.campaign_id, {
    commissionId: c.id, campaignId: c.campaign_id, influencerId: c.influencer_id!, sourceEventId: c.source_event_id,
    requested: r.requested, amount: r.reserved, holdingPeriodDays: terms?.holdingPeriodDays ?? 0,
  });
  // A refund that arrived while the reservation was in flight reverses right after approval.
  if (c.reverse_pending) await reverse(ctx, { ...c, amount_minor: r.reserved.amountMinor }, 'refund-before-approval');
};

const budgetRejected: Handler<Database, BudgetReservationRejected> = async (ctx) => {
  const r = ctx.message;
  const c = await ctx.trx.selectFrom('commissions').selectAll().where('id', '=', r.commissionId).forUpdate().executeTakeFirst();
  if (!c || c.status !== 'pending') return;
  const reason: RejectionReason = r.reason === 'CURRENCY_MISMATCH' ? 'CURRENCY_MISMATCH' : r.reason === 'UNKNOWN_CAMPAIGN' ? 'CAMPAIGN_NOT_ACTIVE' : 'BUDGET_EXHAUSTED';
  await ctx.trx.updateTable('commissions').set({ status: 'rejected', reason }).where('id', '=', c.id).execute();
  await ctx.emit('commission.CommissionRejected', c.campaign_id, {
    commissionId: c.id, campaignId: c.campaign_id, influencerId: c.influencer_id, sourceEventId: c.source_event_id, reason,
    amount: { amountMinor: c.requested_minor ?? 0n, currency: c.currency },
  });
};

const campaignCreated: Handler<Database, CampaignCreated> = async ({ trx, message: c }) => {
  await trx.insertInto('campaign_terms').values({
    id: c.campaignId, brand_id: c.brandId, currency: c.budget.currency, status: c.status, holding_period_days: c.holdingPeriodDays,
    rules: toJsonText(c.commissionRules), accepted: [],
  }).onConflict((oc) => oc.column('id').doNothing()).execute();
};

const statusChanged: Handler<Database, CampaignStatusChanged> = async ({ trx, message: c }) => {
  await trx.updateTable('campaign_terms').set({ status: c.to }).where('id', '=', c.campaignId).execute();
};

const accepted: Handler<Database, InfluencerAccepted> = async ({ trx, message: a }) => {
  await sql`UPDATE campaign_terms SET accepted = array_append(accepted, ${a.influencerId}) WHERE id = ${a.campaignId} AND NOT (${a.influencerId} = ANY(accepted))`.execute(trx);
};

const payoutCompleted: Handler<Database, PayoutCompleted> = async ({ trx, message: p }) => {
  if (p.commissionIds.length === 0) return;
  await trx.updateTable('commissions').set({ status: 'paid' }).where('id', 'in', p.commissionIds).where('status', '=', 'approved').execute();
};

export const commissionService: ServiceDefinition<Database> = {
  name: 'commission',
  defaultOpsPort: 9103,
  migrations,
  subscriptions: () => [
    { topic: 'tracking/events', handlers: { 'tracking.TrackingEventRecorded': trackingEvent } },
    {
      topic: 'campaign/events',
      handlers: {
        'campaign.CampaignCreated': campaignCreated, 'campaign.CampaignStatusChanged': statusChanged, 'campaign.InfluencerAccepted': accepted,
        'campaign.BudgetReserved': budgetReserved, 'campaign.BudgetReservationRejected': budgetRejected,
      },
    },
    { topic: 'payment/events', handlers: { 'payment.PayoutCompleted': payoutCompleted } },
  ],
};
