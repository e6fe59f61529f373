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
  TrackingEventRecorded,
  TrackingEventsRecorded,
  MessageHandler,
  MessageContext,
} from '@beacon/contracts';
import type { ServiceDefinition } from '@beacon/service-kit';
import type { Database } from './db.js';
import { reviveAmounts, toJsonText } from '@beacon/money';
import { migrations } from './migrations.js';
import { candidatesOf, decideCommissions, decisionKey, impressionKey, type CampaignTerms } from './rules.js';
import { defined } from '@beacon/domain';
import { update, type Store } from '@beacon/messaging';
import { advance, type Commission, type CommissionStatus, type SagaStep } from './saga.js';

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

/** A row of the commissions table, as selectAll reads it. */
interface CommissionRow {
  id: string;
  campaign_id: string;
  influencer_id: string | null;
  source_event_id: string;
  currency: string;
  amount_minor: bigint | null;
  requested_minor: bigint | null;
  status: string;
  reason: string | null;
  reverse_pending: boolean;
}

const commissionOf = (row: CommissionRow): Commission => ({
  id: row.id,
  campaignId: row.campaign_id,
  influencerId: row.influencer_id,
  sourceEventId: row.source_event_id,
  currency: row.currency,
  amountMinor: row.amount_minor,
  requestedMinor: row.requested_minor,
  status: row.status as CommissionStatus,
  reason: row.reason,
  reversePending: row.reverse_pending,
});

/**
 * A saga step for a hot campaign's batch, many at once, with the effect of one at a time: the
 * commissions named in one read (locked, in id order), each step decided on what the one before it
 * left, the changed ones saved in one statement, each item emitting its own events in turn.
 */
async function advanceMany<M extends { commissionId: string; campaignId: string }>(
  items: Array<Ctx<M>>,
  stepOf: (message: M, terms: Map<string, CampaignTerms>) => SagaStep,
): Promise<void> {
  const first = items[0];
  if (!first) return;
  const terms = await termsOfAll(first, [...new Set(items.map((i) => i.message.campaignId))]);
  const rows = await first.trx
    .selectFrom('commissions')
    .selectAll()
    .where('id', 'in', [...new Set(items.map((i) => i.message.commissionId))])
    .orderBy('id')
    .forUpdate()
    .execute();
  const state = new Map(rows.map((row) => [row.id, commissionOf(row)]));
  const changed = new Set<string>();
  const decisions = items.map((item) => {
    const before = state.get(item.message.commissionId);
    const decision = advance(before, stepOf(item.message, terms));
    if (decision.state && decision.state !== before) {
      state.set(decision.state.id, decision.state);
      changed.add(decision.state.id);
    }
    return decision.events;
  });
  const saved = [...changed].map((id) => defined(state.get(id), 'a changed commission'));
  if (saved.length > 0)
    await sql`UPDATE commissions c SET status = t.status, amount_minor = t.amount_minor, reason = t.reason, reverse_pending = t.reverse_pending
      FROM unnest(${saved.map((c) => c.id)}::text[], ${saved.map((c) => c.status)}::text[], ${saved.map((c) => c.amountMinor?.toString() ?? null)}::bigint[],
        ${saved.map((c) => c.reason)}::text[], ${saved.map((c) => c.reversePending)}::boolean[]) AS t(id, status, amount_minor, reason, reverse_pending)
      WHERE c.id = t.id`.execute(first.trx);
  for (const [n, item] of items.entries())
    for (const event of decisions[n] ?? []) await item.emit(event.type, item.message.campaignId, event.data);
}

/** A commission, as the saga's store: locked for this transaction, found by its id or by the event it was for. */
function commissionStore(
  by: { id: string } | { campaignId: string; sourceEventId: string },
): Store<Database, Commission | undefined> {
  return {
    async load(trx) {
      const query = trx.selectFrom('commissions').selectAll();
      const row = await (
        'id' in by
          ? query.where('id', '=', by.id)
          : query.where('campaign_id', '=', by.campaignId).where('source_event_id', '=', by.sourceEventId)
      )
        .forUpdate()
        .executeTakeFirst();
      return row && commissionOf(row);
    },
    async save(trx, c) {
      if (!c) return;
      await trx
        .updateTable('commissions')
        .set({ status: c.status, amount_minor: c.amountMinor, reason: c.reason, reverse_pending: c.reversePending })
        .where('id', '=', c.id)
        .execute();
    },
  };
}

/** A valid refund reverses its conversion's commission, or marks it for reversal while the budget has not answered. */
async function refund(ctx: Ctx<unknown>, e: TrackingEventRecorded, correlationId: string): Promise<void> {
  const store = commissionStore({
    campaignId: e.campaignId,
    sourceEventId: defined(e.refundedEventId, 'the refunded event id'),
  });
  await update(ctx, store, e.campaignId, (c) => advance(c, { type: 'Refunded', refundEventId: e.eventId }), {
    correlationId,
  });
}

/** The rows a set-based lookup finds for these keys; no statement at all for none. */
async function rowsFor<K, R>(keys: K[], lookup: (keys: K[]) => Promise<{ rows: R[] }>): Promise<R[]> {
  return keys.length === 0 ? [] : (await lookup(keys)).rows;
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
  type Count = { campaign_id: string; influencer_id: string; count: bigint };
  const before = await rowsFor(counted, (keys) =>
    sql<Count>`SELECT campaign_id, influencer_id, count FROM impression_counts
    WHERE (campaign_id, influencer_id) IN (SELECT * FROM unnest(${keys.map((k) => k.split('\u0000')[0])}::text[], ${keys.map((k) => k.split('\u0000')[1])}::text[]))
    ORDER BY campaign_id, influencer_id FOR UPDATE`.execute(ctx.trx),
  );
  const impressionsBefore = new Map(before.map((b) => [impressionKey(b.campaign_id, b.influencer_id), b.count]));
  // Earlier decisions matter only for the events that can earn: clicks, conversions, each 1,000th impression.
  const lookups = candidatesOf(items, impressionsBefore);
  const decided = await rowsFor(lookups, (keys) =>
    sql<{ campaign_id: string; source_event_id: string }>`SELECT c.campaign_id, c.source_event_id FROM commissions c
    JOIN unnest(${keys.map((l) => l.campaignId)}::text[], ${keys.map((l) => l.eventId)}::text[]) AS k(campaign_id, source_event_id)
    USING (campaign_id, source_event_id)`.execute(ctx.trx),
  );
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

// A commission's campaign is known when it is calculated; its holding period travels with the approval.
const reservedStep = (r: BudgetReserved, terms: Map<string, CampaignTerms>): SagaStep => ({
  type: 'BudgetReserved',
  requested: r.requested,
  reserved: r.reserved,
  holdingPeriodDays: terms.get(r.campaignId)?.holdingPeriodDays ?? 0,
});

const budgetReserved: MessageHandler<Database, BudgetReserved> = async (ctx) => {
  const r = ctx.message;
  const terms = await termsOfAll(ctx, [r.campaignId]);
  await update(ctx, commissionStore({ id: r.commissionId }), r.campaignId, (c) => advance(c, reservedStep(r, terms)));
};
budgetReserved.many = (items) => advanceMany(items, reservedStep);

const rejectedStep = (r: BudgetReservationRejected): SagaStep => ({
  type: 'BudgetReservationRejected',
  reason: r.reason,
});

const budgetRejected: MessageHandler<Database, BudgetReservationRejected> = async (ctx) => {
  const r = ctx.message;
  await update(ctx, commissionStore({ id: r.commissionId }), r.campaignId, (c) => advance(c, rejectedStep(r)));
};
budgetRejected.many = (items) => advanceMany(items, rejectedStep);

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
    { topic: 'tracking/event-batches', handlers: { 'tracking.TrackingEventsRecorded': recordedBatch } },
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
