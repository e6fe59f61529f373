/**
 * Commission service: decides commissions from tracking events, runs the budget saga, reverses on
 * refund. The rules are the deciders' (rules.ts, saga.ts), the SQL the store's (store.ts).
 */
import { randomUUID } from 'node:crypto';
import type {
  BudgetReservationRejected,
  BudgetReserved,
  CampaignCreated,
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
import { migrations } from './migrations.js';
import { candidatesOf, decideCommissions, impressionKey, type CampaignTerms } from './rules.js';
import { defined } from '@beacon/domain';
import { update } from '@beacon/messaging';
import { sagaDecider, type SagaStep } from './saga.js';
import {
  addImpressions,
  commissionStore,
  decidedOf,
  impressionCountsOf,
  insertCommissions,
  keepAccepted,
  keepTerms,
  keepTermsStatus,
  lockCommissions,
  markPaid,
  saveCommissions,
  termsOfAll,
} from './store.js';

type Ctx<M> = MessageContext<Database, M>;

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
  const terms = await termsOfAll(first.trx, [...new Set(items.map((i) => i.message.campaignId))]);
  const state = await lockCommissions(first.trx, [...new Set(items.map((i) => i.message.commissionId))]);
  const changed = new Set<string>();
  const decisions = items.map((item) => {
    const before = state.get(item.message.commissionId);
    const decision = sagaDecider.decide(stepOf(item.message, terms), before);
    if (decision.state && decision.state !== before) {
      state.set(decision.state.id, decision.state);
      changed.add(decision.state.id);
    }
    return decision.events;
  });
  const saved = [...changed].map((id) => defined(state.get(id), 'a changed commission'));
  await saveCommissions(first.trx, saved);
  for (const [n, item] of items.entries())
    for (const event of decisions[n] ?? []) await item.emit(event.type, item.message.campaignId, event.data);
}

/** A valid refund reverses its conversion's commission, or marks it for reversal while the budget has not answered. */
async function refund(ctx: Ctx<unknown>, e: TrackingEventRecorded, correlationId: string): Promise<void> {
  const store = commissionStore({
    campaignId: e.campaignId,
    sourceEventId: defined(e.refundedEventId, 'the refunded event id'),
  });
  await update(ctx, store, e.campaignId, (c) => sagaDecider.decide({ type: 'Refunded', refundEventId: e.eventId }, c), {
    correlationId,
  });
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
  const terms = await termsOfAll(ctx.trx, campaignIds);
  const counted = [
    ...new Set(
      candidates
        .filter((i) => i.event.type === 'impression' && i.event.valid)
        .flatMap(({ event: e }) => (e.influencerId ? [impressionKey(e.campaignId, e.influencerId)] : [])),
    ),
  ].sort();
  const before = await impressionCountsOf(ctx.trx, counted);
  const impressionsBefore = before;
  // Earlier decisions matter only for the events that can earn: clicks, conversions, each 1,000th impression.
  const lookups = candidatesOf(items, impressionsBefore);
  const decided = await decidedOf(ctx.trx, lookups);
  const batch = decideCommissions(items, {
    terms,
    decided,
    impressionsBefore,
  });
  await addImpressions(ctx.trx, batch.impressionsAdded);
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
  await insertCommissions(ctx.trx, rows);
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
  const terms = await termsOfAll(ctx.trx, [r.campaignId]);
  await update(ctx, commissionStore({ id: r.commissionId }), r.campaignId, (c) =>
    sagaDecider.decide(reservedStep(r, terms), c),
  );
};
budgetReserved.many = (items) => advanceMany(items, reservedStep);

const rejectedStep = (r: BudgetReservationRejected): SagaStep => ({
  type: 'BudgetReservationRejected',
  reason: r.reason,
});

const budgetRejected: MessageHandler<Database, BudgetReservationRejected> = async (ctx) => {
  const r = ctx.message;
  await update(ctx, commissionStore({ id: r.commissionId }), r.campaignId, (c) =>
    sagaDecider.decide(rejectedStep(r), c),
  );
};
budgetRejected.many = (items) => advanceMany(items, rejectedStep);

const campaignCreated: MessageHandler<Database, CampaignCreated> = ({ trx, message }) => keepTerms(trx, message);
const statusChanged: MessageHandler<Database, CampaignStatusChanged> = ({ trx, message }) =>
  keepTermsStatus(trx, message);
const accepted: MessageHandler<Database, InfluencerAccepted> = ({ trx, message }) => keepAccepted(trx, message);
const payoutCompleted: MessageHandler<Database, PayoutCompleted> = ({ trx, message }) => markPaid(trx, message);

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
