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
  RecordedItemV2 as RecordedItem,
  ReviewCommission,
  TrackingEventsRecorded,
  TrackingEventsRecordedV2,
  MessageHandler,
  MessageContext,
} from '@beacon/contracts';
import { trackingEventsRecordedV2 } from '@beacon/contracts';
import type { ServiceDefinition } from '@beacon/service-kit';
import type { Database } from './db.js';
import { migrations } from './migrations.js';
import { commissionDecider, refundsOf, type CampaignTerms } from './rules.js';
import { defined, FRAUD } from '@beacon/domain';
import { itemContext, update } from '@beacon/messaging';
import { reviewRefusal, sagaDecider, type SagaStep } from './saga.js';
import { reviewTimingFromEnv, startReviewExpiry } from './review-expiry.js';
import {
  batchStore,
  commissionStore,
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
  stepOf: (item: Ctx<M>, terms: Map<string, CampaignTerms>) => SagaStep,
): Promise<void> {
  const first = items[0];
  if (!first) return;
  const terms = await termsOfAll(first.trx, [...new Set(items.map((i) => i.message.campaignId))]);
  const state = await lockCommissions(first.trx, [...new Set(items.map((i) => i.message.commissionId))]);
  const changed = new Set<string>();
  const decisions = items.map((item) => {
    const before = state.get(item.message.commissionId);
    const decision = sagaDecider.decide(stepOf(item, terms), before);
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
async function refund(ctx: Ctx<RecordedItem>): Promise<void> {
  const e = ctx.message.event;
  const store = commissionStore({
    campaignId: e.campaignId,
    sourceEventId: defined(e.refundedEventId, 'the refunded event id'),
  });
  await update(ctx, store, e.campaignId, (c) => sagaDecider.decide({ type: 'Refunded', refundEventId: e.eventId }, c));
}

/**
 * Decides commissions for a batch of recorded tracking events: the facts in a few set-based
 * statements, the decisions in memory (`commissionDecider`), the commissions in one insert, and one
 * event per commission, in the flow of the request that brought its tracking event; then refunds.
 */
export async function decideBatch(ctx: Ctx<unknown>, items: RecordedItem[]): Promise<void> {
  await update(ctx, batchStore(items), undefined, (facts) => decider.decide(items, facts));
  for (const r of refundsOf(items)) await refund(itemContext(ctx, r));
}

const decider = commissionDecider(randomUUID);

const recordedBatch: MessageHandler<Database, TrackingEventsRecordedV2> = (ctx) =>
  decideBatch(ctx, ctx.message.recorded);
/** A batch of the version before customers and codes, read as the latest. */
const recordedBatchV1: MessageHandler<Database, TrackingEventsRecorded> = (ctx) =>
  decideBatch(ctx, trackingEventsRecordedV2(ctx.message).recorded);

/**
 * A commission's campaign is known when it is calculated; its holding period travels with the
 * approval, and a hold's deadline is its review days from now (`dayMs` long: tests shorten a day).
 */
const reservedStep =
  (dayMs: number) =>
  ({ message: r, envelope }: Ctx<BudgetReserved>, terms: Map<string, CampaignTerms>): SagaStep => {
    const t = terms.get(r.campaignId);
    return {
      type: 'BudgetReserved',
      requested: r.requested,
      reserved: r.reserved,
      holdingPeriodDays: t?.holdingPeriodDays ?? 0,
      reviewBy: new Date(Date.now() + (t?.review?.reviewDays ?? 0) * dayMs).toISOString(),
      cause: { messageId: envelope.messageId, correlationId: envelope.correlationId },
    };
  };

function budgetReserved(dayMs: number): MessageHandler<Database, BudgetReserved> {
  const stepOf = reservedStep(dayMs);
  const handler: MessageHandler<Database, BudgetReserved> = async (ctx) => {
    const r = ctx.message;
    const terms = await termsOfAll(ctx.trx, [r.campaignId]);
    await update(ctx, commissionStore({ id: r.commissionId }), r.campaignId, (c) =>
      sagaDecider.decide(stepOf(ctx, terms), c),
    );
  };
  handler.many = (items) => advanceMany(items, stepOf);
  return handler;
}

/** A brand's or admin's decision on a held commission; anything else (not theirs, not held) is refused. */
const reviewCommission: MessageHandler<Database, ReviewCommission> = async (ctx) => {
  const r = ctx.message;
  const terms = (await termsOfAll(ctx.trx, [r.campaignId])).get(r.campaignId);
  await update(ctx, commissionStore({ id: r.commissionId }), r.campaignId, (c) => {
    const refusal = reviewRefusal(c, terms, r);
    if (refusal || !c)
      return {
        state: c,
        events: [
          {
            type: 'commission.ReviewRefused',
            data: { commissionId: r.commissionId, campaignId: r.campaignId, reason: refusal ?? 'NOT_FOUND' },
          },
        ],
      };
    const reason = r.decision === 'approve' ? 'APPROVED' : (r.reason ?? FRAUD);
    return sagaDecider.decide(
      {
        type: 'Reviewed',
        decision: r.decision,
        reason,
        decidedBy: r.decidedBy,
        holdingPeriodDays: terms?.holdingPeriodDays ?? 0,
      },
      c,
    );
  });
};

const rejectedStep = ({ message: r }: Ctx<BudgetReservationRejected>): SagaStep => ({
  type: 'BudgetReservationRejected',
  reason: r.reason,
});

const budgetRejected: MessageHandler<Database, BudgetReservationRejected> = async (ctx) => {
  const r = ctx.message;
  await update(ctx, commissionStore({ id: r.commissionId }), r.campaignId, (c) =>
    sagaDecider.decide(rejectedStep(ctx), c),
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
    { topic: 'commission/review-commands', handlers: { 'commission.ReviewCommission': reviewCommission } },
    // v1 until the topic is retired: what an earlier tracking recorded, read as the latest.
    { topic: 'tracking/event-batches', handlers: { 'tracking.TrackingEventsRecorded': recordedBatchV1 } },
    { topic: 'tracking/event-batches-v2', handlers: { 'tracking.TrackingEventsRecordedV2': recordedBatch } },
    {
      topic: 'campaign/events',
      handlers: {
        'campaign.CampaignCreated': campaignCreated,
        'campaign.CampaignStatusChanged': statusChanged,
        'campaign.InfluencerAccepted': accepted,
        'campaign.BudgetReserved': budgetReserved(reviewTimingFromEnv(process.env).dayMs),
        'campaign.BudgetReservationRejected': budgetRejected,
      },
    },
    { topic: 'payment/events', handlers: { 'payment.PayoutCompleted': payoutCompleted } },
  ],
  start: async (ctx) => startReviewExpiry(ctx, reviewTimingFromEnv(process.env)),
};
