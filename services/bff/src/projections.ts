/** Read models, fed by every context's events, in the same transaction as the inbox claim. */
import { sql } from 'kysely';
import { toJsonText } from '@beacon/money';
import type { MessageContext, MessageHandler, MessageHandlers, MessageType, MessageTypes } from '@beacon/contracts';
import { MESSAGE_TOPICS } from '@beacon/contracts';
import type { Database } from './db.js';
import { observeEvent, observeEvents } from './operations/operations.js';
import { projectTrackingBatch } from './tracking/projection.js';

type Projection<T extends keyof MessageTypes> = (ctx: MessageContext<Database, MessageTypes[T]>) => Promise<void>;

async function addStats(
  ctx: MessageContext<Database, unknown>,
  campaignId: string,
  influencerId: string | null,
  at: string,
  column: 'commissions_minor',
  by: bigint,
) {
  const day = (Number.isNaN(Date.parse(at)) ? new Date() : new Date(at)).toISOString().slice(0, 10);
  await sql`INSERT INTO rm_commission_stats (campaign_id, influencer_id, day, ${sql.ref(column)})
    VALUES (${campaignId}, ${influencerId ?? ''}, ${day}, ${by})
    ON CONFLICT (campaign_id, influencer_id, day) DO UPDATE SET ${sql.ref(column)} = rm_commission_stats.${sql.ref(column)} + ${by}`.execute(
    ctx.trx,
  );
}

/** An approval counts the commission's amount in the stats; a reversal takes it back out. */
async function countCommission(
  ctx: MessageContext<
    Database,
    { commissionId: string; campaignId: string; influencerId: string; amount: { amountMinor: bigint } }
  >,
  set: { status: 'approved' | 'reversed'; amount_minor?: bigint },
  sign: 1n | -1n,
): Promise<void> {
  const c = ctx.message;
  await ctx.trx.updateTable('rm_commissions').set(set).where('id', '=', c.commissionId).execute();
  const amount = sign * c.amount.amountMinor;
  await addStats(ctx, c.campaignId, c.influencerId, ctx.envelope.occurredAt, 'commissions_minor', amount);
}

/** A commission as calculated (pending) or rejected; a rejection overrides an earlier pending row. */
async function recordCommission(
  trx: MessageContext<Database>['trx'],
  c: {
    commissionId: string;
    campaignId: string;
    influencerId: string | null;
    sourceEventId: string;
    amount: { amountMinor: bigint; currency: string } | null;
    status: 'pending' | 'rejected';
    reason: string | null;
  },
  occurredAt: string,
): Promise<void> {
  const insert = trx.insertInto('rm_commissions').values({
    id: c.commissionId,
    campaign_id: c.campaignId,
    influencer_id: c.influencerId,
    source_event_id: c.sourceEventId,
    amount_minor: c.amount?.amountMinor ?? null,
    currency: c.amount?.currency ?? 'USD',
    status: c.status,
    reason: c.reason,
    created_at: new Date(occurredAt),
  });
  await (
    c.status === 'rejected'
      ? insert.onConflict((oc) => oc.column('id').doUpdateSet({ status: 'rejected', reason: c.reason }))
      : insert.onConflict((oc) => oc.column('id').doNothing())
  ).execute();
}

/** Ledger entries as payment recorded them, in one insert (a redelivered entry is already there). */
async function recordLedger(
  trx: MessageContext<Database>['trx'],
  entries: Array<MessageTypes['payment.LedgerEntryRecorded']>,
): Promise<void> {
  await trx
    .insertInto('rm_ledger')
    .values(
      entries.map((e) => ({
        entry_id: e.entryId,
        influencer_id: e.influencerId,
        currency: e.amount.currency,
        kind: e.kind,
        amount_minor: e.amount.amountMinor,
        available_at: new Date(e.availableAt),
      })),
    )
    .onConflict((oc) => oc.column('entry_id').doNothing())
    .execute();
}

/** A payout as its first event tells it (requested, or rejected at once); later events update it. */
async function insertPayout(
  trx: MessageContext<Database>['trx'],
  p: {
    payoutId: string;
    influencerId: string;
    amount: { amountMinor: bigint; currency: string };
    method: string;
    destination: string;
    status: 'requested' | 'rejected';
    reason: string | null;
  },
  occurredAt: string,
): Promise<void> {
  await trx
    .insertInto('rm_payouts')
    .values({
      id: p.payoutId,
      influencer_id: p.influencerId,
      amount_minor: p.amount.amountMinor,
      currency: p.amount.currency,
      method: p.method,
      destination: p.destination,
      status: p.status,
      reason: p.reason,
      created_at: new Date(occurredAt),
      completed_at: null,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/** A reservation or a release: the campaign's spent budget as the campaign service now counts it. */
async function spent({
  trx,
  message: b,
  envelope,
}: MessageContext<Database, { campaignId: string; spent: { amountMinor: bigint } }>) {
  await trx
    .updateTable('rm_campaigns')
    .set({ spent_minor: b.spent.amountMinor, updated_at: new Date(envelope.occurredAt) })
    .where('id', '=', b.campaignId)
    .execute();
}

/** Influencers invited to a campaign (kept as they are when already there: accepted stays accepted). */
async function invite(trx: MessageContext<Database>['trx'], campaignId: string, influencerIds: string[]) {
  if (influencerIds.length === 0) return;
  await trx
    .insertInto('rm_campaign_influencers')
    .values(
      influencerIds.map((influencerId) => ({
        campaign_id: campaignId,
        influencer_id: influencerId,
        status: 'invited',
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** A payout's new status (and what comes with it), when it is still `from` if that is given. */
async function payoutChanged(
  trx: MessageContext<Database>['trx'],
  payoutId: string,
  change: { status: string; reason?: string; completed_at?: Date },
  from?: string,
): Promise<void> {
  let update = trx.updateTable('rm_payouts').set(change).where('id', '=', payoutId);
  if (from) update = update.where('status', '=', from);
  await update.execute();
}

const projections: { [T in keyof MessageTypes]?: Projection<T> } = {
  'campaign.CampaignCreated': async ({ trx, message: c, envelope }) => {
    const at = new Date(envelope.occurredAt);
    await trx
      .insertInto('rm_campaigns')
      .values({
        id: c.campaignId,
        brand_id: c.brandId,
        name: c.name,
        landing_url: c.landingUrl,
        status: c.status,
        budget_minor: c.budget.amountMinor,
        currency: c.budget.currency,
        rules: toJsonText(c.commissionRules),
        visibility: c.visibility,
        attribution_window_days: c.attributionWindowDays,
        holding_period_days: c.holdingPeriodDays,
        created_at: at,
        updated_at: at,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    await invite(trx, c.campaignId, c.invitedInfluencerIds);
  },
  'campaign.CampaignStatusChanged': async ({ trx, message: c, envelope }) => {
    await trx
      .updateTable('rm_campaigns')
      .set({ status: c.to, updated_at: new Date(envelope.occurredAt) })
      .where('id', '=', c.campaignId)
      .execute();
  },
  'campaign.InfluencersInvited': async ({ trx, message: c }) => {
    await invite(trx, c.campaignId, c.influencerIds);
  },
  'campaign.InfluencerAccepted': async ({ trx, message: c }) => {
    await trx
      .insertInto('rm_campaign_influencers')
      .values({ campaign_id: c.campaignId, influencer_id: c.influencerId, status: 'accepted' })
      .onConflict((oc) => oc.columns(['campaign_id', 'influencer_id']).doUpdateSet({ status: 'accepted' }))
      .execute();
  },
  'campaign.BudgetReserved': (ctx) => spent(ctx),
  'campaign.BudgetReleased': (ctx) => spent(ctx),
  'tracking.TrackingEventsRecorded': (ctx) => projectTrackingBatch(ctx, ctx.message.recorded, ctx.message.ignored),
  // Single-event messages of earlier releases: projected as batches of one.
  'tracking.TrackingEventRecorded': (ctx) =>
    projectTrackingBatch(ctx, [{ correlationId: ctx.envelope.correlationId, event: ctx.message }], []),
  'tracking.TrackingEventIgnored': (ctx) =>
    projectTrackingBatch(ctx, [], [{ correlationId: ctx.envelope.correlationId, event: ctx.message }]),
  'commission.CommissionCalculated': ({ trx, message: c, envelope }) =>
    recordCommission(trx, { ...c, status: 'pending', reason: null }, envelope.occurredAt),
  'commission.CommissionApproved': (ctx) =>
    countCommission(ctx, { status: 'approved', amount_minor: ctx.message.amount.amountMinor }, 1n),
  // A rejection may arrive for a commission first calculated (the budget refused it): it wins.
  'commission.CommissionRejected': ({ trx, message: c, envelope }) =>
    recordCommission(trx, { ...c, status: 'rejected', reason: c.reason }, envelope.occurredAt),
  'commission.CommissionReversed': (ctx) => countCommission(ctx, { status: 'reversed' }, -1n),
  'payment.LedgerEntryRecorded': ({ trx, message: e }) => recordLedger(trx, [e]),
  'payment.PayoutRequested': ({ trx, message: p, envelope }) =>
    insertPayout(trx, { ...p, status: 'requested', reason: null }, envelope.occurredAt),
  'payment.PayoutRejected': ({ trx, message: p, envelope }) =>
    insertPayout(trx, { ...p, method: '', destination: '', status: 'rejected', reason: p.reason }, envelope.occurredAt),
  // Only a requested payout moves to processing: a late PayoutProcessing does not undo a settled one.
  'payment.PayoutProcessing': ({ trx, message: p }) =>
    payoutChanged(trx, p.payoutId, { status: 'processing' }, 'requested'),
  'payment.PayoutCompleted': async ({ trx, message: p, envelope }) => {
    await payoutChanged(trx, p.payoutId, { status: 'completed', completed_at: new Date(envelope.occurredAt) });
    if (p.commissionIds.length > 0)
      await trx
        .updateTable('rm_commissions')
        .set({ status: 'paid' })
        .where('id', 'in', p.commissionIds)
        .where('status', '=', 'approved')
        .execute();
  },
  'payment.PayoutFailed': ({ trx, message: p }) =>
    payoutChanged(trx, p.payoutId, { status: 'failed', reason: p.reason }),
};

type Many<T extends keyof MessageTypes> = (items: Array<MessageContext<Database, MessageTypes[T]>>) => Promise<void>;

const dayOf = (at: string) => (Number.isNaN(Date.parse(at)) ? new Date() : new Date(at)).toISOString().slice(0, 10);

/** The last item per key, in the order of their last appearance: what a run of overwrites leaves. */
function lastBy<T>(items: T[], key: (item: T) => string): T[] {
  const last = new Map<string, T>();
  for (const item of items) {
    last.delete(key(item));
    last.set(key(item), item);
  }
  return [...last.values()];
}

/**
 * A hot key's events, projected many at once with the effect of one at a time: multi-row inserts,
 * one update per row touched, counters summed per (campaign, influencer, day) row.
 */
const manyProjections: { [T in keyof MessageTypes]?: Many<T> } = {
  'commission.CommissionCalculated': async (items) => {
    const trx = items[0]?.trx;
    if (!trx) return;
    await trx
      .insertInto('rm_commissions')
      .values(
        items.map(({ message: c, envelope }) => ({
          id: c.commissionId,
          campaign_id: c.campaignId,
          influencer_id: c.influencerId,
          source_event_id: c.sourceEventId,
          amount_minor: c.amount.amountMinor,
          currency: c.amount.currency,
          status: 'pending',
          reason: null,
          created_at: new Date(envelope.occurredAt),
        })),
      )
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  },
  'commission.CommissionApproved': async (items) => {
    const trx = items[0]?.trx;
    if (!trx) return;
    const latest = lastBy(items, (i) => i.message.commissionId);
    await sql`UPDATE rm_commissions c SET status = 'approved', amount_minor = t.amount
      FROM unnest(${latest.map((i) => i.message.commissionId)}::text[], ${latest.map((i) => i.message.amount.amountMinor.toString())}::bigint[]) AS t(id, amount)
      WHERE c.id = t.id`.execute(trx);
    const sums = new Map<string, { campaignId: string; influencerId: string; day: string; amount: bigint }>();
    for (const { message: c, envelope } of items) {
      const day = dayOf(envelope.occurredAt);
      const k = `${c.campaignId}\u0000${c.influencerId}\u0000${day}`;
      const row = sums.get(k) ?? { campaignId: c.campaignId, influencerId: c.influencerId, day, amount: 0n };
      row.amount += c.amount.amountMinor;
      sums.set(k, row);
    }
    const rows = [...sums.values()];
    await sql`INSERT INTO rm_commission_stats (campaign_id, influencer_id, day, commissions_minor)
      SELECT * FROM unnest(${rows.map((r) => r.campaignId)}::text[], ${rows.map((r) => r.influencerId)}::text[], ${rows.map((r) => r.day)}::text[], ${rows.map((r) => r.amount.toString())}::numeric[])
      ON CONFLICT (campaign_id, influencer_id, day) DO UPDATE SET commissions_minor = rm_commission_stats.commissions_minor + EXCLUDED.commissions_minor`.execute(
      trx,
    );
  },
  'campaign.BudgetReserved': async (items) => {
    // Each sets the campaign's spent budget as the campaign service counts it: the last one stands.
    for (const ctx of lastBy(items, (i) => i.message.campaignId)) await spent(ctx);
  },
  'payment.LedgerEntryRecorded': async (items) => {
    const trx = items[0]?.trx;
    if (trx)
      await recordLedger(
        trx,
        items.map((i) => i.message),
      );
  },
};

/** Tracking batches are not steps of their own: a tracking flow's timeline is read back from the read model. */
const DERIVED_STEPS = new Set(['tracking.TrackingEventsRecorded']);

/** Every event of every context updates the timeline; those with a projection update a read model too. */
export function projectionHandlers(topic: string): MessageHandlers<Database> {
  const handlers: Partial<Record<MessageType, MessageHandler<Database, unknown>>> = {};
  for (const [type, schema] of Object.entries(MESSAGE_TOPICS) as Array<[MessageType, string]>) {
    if (schema !== topic) continue;
    // Looked up by the same type the runner routed by: the message is this projection's own.
    const project = projections[type] as MessageHandler<Database, unknown> | undefined;
    const reasonOf = (message: unknown) => {
      const reason = (message as { reason?: unknown }).reason;
      return typeof reason === 'string' ? reason : undefined;
    };
    const handler: MessageHandler<Database, unknown> = async (ctx) => {
      if (project) await project(ctx);
      if (DERIVED_STEPS.has(type)) return;
      await observeEvent(ctx.trx, ctx.envelope, reasonOf(ctx.message));
    };
    const projectMany = manyProjections[type] as Many<MessageType> | undefined;
    handler.many = async (items) => {
      const first = items[0];
      if (!first) return;
      if (projectMany) await projectMany(items as Parameters<Many<MessageType>>[0]);
      else if (project) for (const ctx of items) await project(ctx);
      if (DERIVED_STEPS.has(type)) return;
      await observeEvents(
        first.trx,
        items.map((ctx) => ({ envelope: ctx.envelope, reason: reasonOf(ctx.message) })),
      );
    };
    handlers[type] = handler;
  }
  return handlers;
}
