/** Commission service: decides commissions from tracking events, runs the budget saga, reverses on refund. */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type {
  BudgetReservationRejected,
  BudgetReserved,
  CampaignCreated,
  CommissionRule,
  CampaignStatusChanged,
  InfluencerAccepted,
  PayoutCompleted,
  RejectionReason,
  TrackingEventRecorded,
  TrackingEventsRecorded,
  MessageHandler,
  MessageContext,
} from '@beacon/contracts';
import { TRACKING_BATCHES_PER_TRANSACTION } from '@beacon/domain';
import type { ServiceDefinition } from '@beacon/service-kit';
import type { Database } from './db.js';
import { reviveAmounts, toJsonText } from '@beacon/money';
import { migrations } from './migrations.js';
import { candidatesOf, decideCommissions, decisionKey, impressionKey, type CampaignTerms } from './rules.js';
import { defined } from '@beacon/domain';

type Ctx<M> = MessageContext<Database, M>;

/** The terms of these campaigns, in one query. */
async function termsOfAll(ctx: Ctx<unknown>, campaignIds: string[]): Promise<Map<string, CampaignTerms>> {
  const rows =
    campaignIds.length === 0
      ? []
      : await ctx.trx.selectFrom('campaign_terms').selectAll().where('id', 'in', campaignIds).execute();
  return new Map(
    rows.map((t) => [
      t.id,
      {
        id: t.id,
        brandId: t.brand_id,
        currency: t.currency,
        status: t.status,
        holdingPeriodDays: t.holding_period_days,
        rules: reviveAmounts<CommissionRule[]>(t.rules),
        accepted: t.accepted,
      },
    ]),
  );
}

async function termsOf(ctx: Ctx<unknown>, campaignId: string): Promise<CampaignTerms | undefined> {
  return (await termsOfAll(ctx, [campaignId])).get(campaignId);
}

async function reverse(
  ctx: Ctx<unknown>,
  commission: {
    id: string;
    campaign_id: string;
    influencer_id: string | null;
    amount_minor: bigint | null;
    currency: string;
  },
  refundEventId: string,
  correlationId?: string,
) {
  await ctx.trx
    .updateTable('commissions')
    .set({ status: 'reversed', reverse_pending: false })
    .where('id', '=', commission.id)
    .execute();
  await ctx.emit(
    'commission.CommissionReversed',
    commission.campaign_id,
    {
      commissionId: commission.id,
      campaignId: commission.campaign_id,
      influencerId: commission.influencer_id ?? '',
      refundEventId,
      amount: { amountMinor: commission.amount_minor ?? 0n, currency: commission.currency },
    },
    { correlationId },
  );
}

/** A valid refund reverses its conversion's commission, or marks it for reversal while the budget has not answered. */
async function refund(ctx: Ctx<unknown>, e: TrackingEventRecorded, correlationId: string): Promise<void> {
  const commission = await ctx.trx
    .selectFrom('commissions')
    .selectAll()
    .where('campaign_id', '=', e.campaignId)
    .where('source_event_id', '=', defined(e.refundedEventId, 'the refunded event id'))
    .forUpdate()
    .executeTakeFirst();
  if (!commission) return;
  if (commission.status === 'approved' || commission.status === 'paid')
    await reverse(ctx, commission, e.eventId, correlationId);
  else if (commission.status === 'pending')
    await ctx.trx.updateTable('commissions').set({ reverse_pending: true }).where('id', '=', commission.id).execute();
}

/**
 * Decides commissions for a batch of recorded tracking events: the facts in a few set-based
 * statements, the decisions in memory (`decideCommissions`), the commissions in one insert, and one
 * event per commission, in the flow of the request that brought its tracking event.
 */
export async function decideBatch(
  ctx: Ctx<unknown>,
  items: Array<{ correlationId: string; event: TrackingEventRecorded }>,
): Promise<void> {
  const candidates = items.filter((i) => i.event.type !== 'refund');
  const campaignIds = [...new Set(items.map((i) => i.event.campaignId))];
  const terms = await termsOfAll(ctx, campaignIds);
  const counted = [
    ...new Set(
      candidates
        .filter((i) => i.event.type === 'impression' && i.event.valid)
        .flatMap(({ event: e }) => (e.influencerId ? [impressionKey(e.campaignId, e.influencerId)] : [])),
    ),
  ].sort();
  const before =
    counted.length === 0
      ? []
      : (
          await sql<{
            campaign_id: string;
            influencer_id: string;
            count: bigint;
          }>`SELECT campaign_id, influencer_id, count FROM impression_counts
    WHERE (campaign_id, influencer_id) IN (SELECT * FROM unnest(${counted.map((k) => k.split('\u0000')[0])}::text[], ${counted.map((k) => k.split('\u0000')[1])}::text[]))
    ORDER BY campaign_id, influencer_id FOR UPDATE`.execute(ctx.trx)
        ).rows;
  const impressionsBefore = new Map(before.map((b) => [impressionKey(b.campaign_id, b.influencer_id), b.count]));
  // Earlier decisions matter only for the events that can earn: clicks, conversions, each 1,000th impression.
  const lookups = candidatesOf(items, impressionsBefore);
  const decided =
    lookups.length === 0
      ? []
      : (
          await sql<{
            campaign_id: string;
            source_event_id: string;
          }>`SELECT c.campaign_id, c.source_event_id FROM commissions c
    JOIN unnest(${lookups.map((l) => l.campaignId)}::text[], ${lookups.map((l) => l.eventId)}::text[]) AS k(campaign_id, source_event_id)
    USING (campaign_id, source_event_id)`.execute(ctx.trx)
        ).rows;
  const batch = decideCommissions(items, {
    terms,
    decided: new Set(decided.map((d) => decisionKey(d.campaign_id, d.source_event_id))),
    impressionsBefore,
  });
  if (batch.impressionsAdded.size > 0) {
    const added = [...batch.impressionsAdded].sort(([a], [b]) => (a < b ? -1 : 1));
    await sql`INSERT INTO impression_counts (campaign_id, influencer_id, count)
      SELECT * FROM unnest(${added.map(([k]) => k.split('\u0000')[0])}::text[], ${added.map(([k]) => k.split('\u0000')[1])}::text[], ${added.map(([, n]) => n.toString())}::bigint[])
      ON CONFLICT (campaign_id, influencer_id) DO UPDATE SET count = impression_counts.count + EXCLUDED.count`.execute(
      ctx.trx,
    );
  }
  const rows = batch.decisions.map((d) => {
    const e = d.event;
    const currency =
      d.decision.kind === 'calculate'
        ? d.decision.amount.currency
        : (e.value?.currency ?? terms.get(e.campaignId)?.currency ?? 'USD');
    const amount = d.decision.kind === 'calculate' ? d.decision.amount.amountMinor : null;
    return {
      id: randomUUID(),
      campaign_id: e.campaignId,
      influencer_id: e.influencerId,
      source_event_id: e.eventId,
      event_type: e.type,
      currency,
      reverse_pending: false,
      amount_minor: amount,
      requested_minor: amount,
      status: d.decision.kind === 'calculate' ? 'pending' : 'rejected',
      reason: d.decision.kind === 'reject' ? d.decision.reason : null,
    };
  });
  if (rows.length > 0) await ctx.trx.insertInto('commissions').values(rows).execute();
  for (const [i, d] of batch.decisions.entries()) {
    const e = d.event;
    const id = defined(rows[i], 'the commission row').id;
    const flow = { correlationId: d.correlationId };
    if (d.decision.kind === 'reject') {
      await ctx.emit(
        'commission.CommissionRejected',
        e.campaignId,
        {
          commissionId: id,
          campaignId: e.campaignId,
          influencerId: e.influencerId,
          sourceEventId: e.eventId,
          reason: d.decision.reason,
          amount: null,
        },
        flow,
      );
    } else {
      await ctx.emit(
        'commission.CommissionCalculated',
        e.campaignId,
        {
          commissionId: id,
          campaignId: e.campaignId,
          influencerId: defined(e.influencerId, 'the attributed influencer'),
          sourceEventId: e.eventId,
          eventType: e.type,
          amount: d.decision.amount,
        },
        flow,
      );
    }
  }
  for (const r of batch.refunds) await refund(ctx, r.event, r.correlationId);
}

const recordedBatch: MessageHandler<Database, TrackingEventsRecorded> = (ctx) => decideBatch(ctx, ctx.message.recorded);

/** The single-event message of earlier releases: still taken, as a batch of one. */
const recordedOne: MessageHandler<Database, TrackingEventRecorded> = (ctx) =>
  decideBatch(ctx, [{ correlationId: ctx.envelope.correlationId, event: ctx.message }]);

/** A commission waiting for the budget's answer, locked for this transaction; undefined once it has one. */
async function pendingCommission(ctx: MessageContext<Database>, commissionId: string) {
  const c = await ctx.trx
    .selectFrom('commissions')
    .selectAll()
    .where('id', '=', commissionId)
    .forUpdate()
    .executeTakeFirst();
  return c?.status === 'pending' ? c : undefined;
}

const budgetReserved: MessageHandler<Database, BudgetReserved> = async (ctx) => {
  const r = ctx.message;
  const c = await pendingCommission(ctx, r.commissionId);
  if (!c) return;
  const terms = await termsOf(ctx, c.campaign_id);
  await ctx.trx
    .updateTable('commissions')
    .set({ status: 'approved', amount_minor: r.reserved.amountMinor })
    .where('id', '=', c.id)
    .execute();
  await ctx.emit('commission.CommissionApproved', c.campaign_id, {
    commissionId: c.id,
    campaignId: c.campaign_id,
    influencerId: defined(c.influencer_id, 'the approved commission influencer'),
    sourceEventId: c.source_event_id,
    requested: r.requested,
    amount: r.reserved,
    holdingPeriodDays: terms?.holdingPeriodDays ?? 0,
  });
  // A refund that arrived while the reservation was in flight reverses right after approval.
  if (c.reverse_pending) await reverse(ctx, { ...c, amount_minor: r.reserved.amountMinor }, 'refund-before-approval');
};

const budgetRejected: MessageHandler<Database, BudgetReservationRejected> = async (ctx) => {
  const r = ctx.message;
  const c = await pendingCommission(ctx, r.commissionId);
  if (!c) return;
  const reason: RejectionReason =
    r.reason === 'CURRENCY_MISMATCH'
      ? 'CURRENCY_MISMATCH'
      : r.reason === 'UNKNOWN_CAMPAIGN'
        ? 'CAMPAIGN_NOT_ACTIVE'
        : 'BUDGET_EXHAUSTED';
  await ctx.trx.updateTable('commissions').set({ status: 'rejected', reason }).where('id', '=', c.id).execute();
  await ctx.emit('commission.CommissionRejected', c.campaign_id, {
    commissionId: c.id,
    campaignId: c.campaign_id,
    influencerId: c.influencer_id,
    sourceEventId: c.source_event_id,
    reason,
    amount: { amountMinor: c.requested_minor ?? 0n, currency: c.currency },
  });
};

const campaignCreated: MessageHandler<Database, CampaignCreated> = async ({ trx, message: c }) => {
  await trx
    .insertInto('campaign_terms')
    .values({
      id: c.campaignId,
      brand_id: c.brandId,
      currency: c.budget.currency,
      status: c.status,
      holding_period_days: c.holdingPeriodDays,
      rules: toJsonText(c.commissionRules),
      accepted: [],
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
};

const statusChanged: MessageHandler<Database, CampaignStatusChanged> = async ({ trx, message: c }) => {
  await trx.updateTable('campaign_terms').set({ status: c.to }).where('id', '=', c.campaignId).execute();
};

const accepted: MessageHandler<Database, InfluencerAccepted> = async ({ trx, message: a }) => {
  await sql`UPDATE campaign_terms SET accepted = array_append(accepted, ${a.influencerId}) WHERE id = ${a.campaignId} AND NOT (${a.influencerId} = ANY(accepted))`.execute(
    trx,
  );
};

const payoutCompleted: MessageHandler<Database, PayoutCompleted> = async ({ trx, message: p }) => {
  if (p.commissionIds.length === 0) return;
  await trx
    .updateTable('commissions')
    .set({ status: 'paid' })
    .where('id', 'in', p.commissionIds)
    .where('status', '=', 'approved')
    .execute();
};

export const commissionService: ServiceDefinition<Database> = {
  name: 'commission',
  defaultOpsPort: 9103,
  migrations,
  subscriptions: () => [
    {
      topic: 'tracking/event-batches',
      handlers: { 'tracking.TrackingEventsRecorded': recordedBatch },
      maxBatch: TRACKING_BATCHES_PER_TRANSACTION,
    },
    { topic: 'tracking/events', handlers: { 'tracking.TrackingEventRecorded': recordedOne } },
    {
      topic: 'campaign/events',
      handlers: {
        'campaign.CampaignCreated': campaignCreated,
        'campaign.CampaignStatusChanged': statusChanged,
        'campaign.InfluencerAccepted': accepted,
        'campaign.BudgetReserved': budgetReserved,
        'campaign.BudgetReservationRejected': budgetRejected,
      },
    },
    { topic: 'payment/events', handlers: { 'payment.PayoutCompleted': payoutCompleted } },
  ],
};
