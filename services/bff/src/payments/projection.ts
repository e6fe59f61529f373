/**
 * The payments read models — commissions (rm_commissions, and their figures in rm_commission_stats),
 * the ledger (rm_ledger) and payouts (rm_payouts) — fed by commission and payment events.
 */
import { sql } from 'kysely';
import { column, TupleMap } from '@beacon/domain';
import type { MessageContext, MessageTypes } from '@beacon/contracts';
import type { Database } from '../db.js';
import { dayOf, lastBy, type ManyProjections, type Projections } from '../projection-kit.js';

async function addStats(
  ctx: MessageContext<Database, unknown>,
  campaignId: string,
  influencerId: string | null,
  at: string,
  column: 'commissions_minor',
  by: bigint,
) {
  const day = dayOf(at);
  await sql`INSERT INTO rm_commission_stats (campaign_id, influencer_id, day, ${sql.ref(column)})
    VALUES (${campaignId}, ${influencerId ?? ''}, ${day}, ${by})
    ON CONFLICT (campaign_id, influencer_id,
      day) DO UPDATE SET ${sql.ref(column)} = rm_commission_stats.${sql.ref(column)} + ${by}`.execute(ctx.trx);
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
    /** the step that attributed the source event; null when the message does not say (the saga's rejections) */
    attribution: string | null;
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
    attribution: c.attribution,
    created_at: new Date(occurredAt),
  });
  await (
    c.status === 'rejected'
      ? insert.onConflict((oc) =>
          oc.column('id').doUpdateSet(() => ({ status: 'rejected', reason: c.reason, ...arrivedFirst })),
        )
      : insert.onConflict((oc) => oc.column('id').doUpdateSet(arrivedFirst))
  ).execute();
}

/**
 * A commission's row is made by whichever of its events the BFF gets first: CommissionHeld travels on
 * another topic, and may come before its calculation. What the row keeps does not depend on that
 * order (a rebuild, reading in publish order, gets the same row): the first step that named its
 * attribution, and the time of its earliest event.
 */
const arrivedFirst = {
  attribution: sql<string | null>`coalesce(rm_commissions.attribution, excluded.attribution)`,
  created_at: sql<Date>`least(rm_commissions.created_at, excluded.created_at)`,
};

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

export const paymentProjections: Projections = {
  'commission.CommissionCalculated': ({ trx, message: c, envelope }) =>
    recordCommission(trx, { ...c, status: 'pending', reason: null }, envelope.occurredAt),
  'commission.CommissionApproved': (ctx) =>
    countCommission(ctx, { status: 'approved', amount_minor: ctx.message.amount.amountMinor }, 1n),
  // A rejection may arrive for a commission first calculated (the budget refused it): it wins.
  // A reason newer than the message's symbols travels in reasonDetail; `reason` then approximates it.
  'commission.CommissionRejected': ({ trx, message: c, envelope }) =>
    recordCommission(trx, { ...c, status: 'rejected', reason: c.reasonDetail ?? c.reason }, envelope.occurredAt),
  'commission.CommissionReversed': (ctx) => countCommission(ctx, { status: 'reversed' }, -1n),
  // Held, on its own topic: it may come before its calculation (then it makes the row) or after its
  // approval (then it keeps why it was held, and the status stays: a decided commission is never held again).
  'commission.CommissionHeld': async ({ trx, message: c, envelope }) => {
    const held = {
      status: 'held',
      reasons: c.reasons,
      review_by: new Date(c.reviewBy),
      amount_minor: c.amount.amountMinor,
    };
    const stillPending = sql<boolean>`rm_commissions.status = 'pending'`;
    await trx
      .insertInto('rm_commissions')
      .values({
        id: c.commissionId,
        campaign_id: c.campaignId,
        influencer_id: c.influencerId,
        source_event_id: c.sourceEventId,
        currency: c.amount.currency,
        reason: null,
        attribution: null,
        created_at: new Date(envelope.occurredAt),
        ...held,
      })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          ...arrivedFirst,
          reasons: c.reasons,
          review_by: new Date(c.reviewBy),
          status: sql<string>`CASE WHEN ${stillPending} THEN 'held' ELSE rm_commissions.status END`,
          amount_minor: sql<bigint>`CASE WHEN ${stillPending} THEN ${c.amount.amountMinor} ELSE rm_commissions.amount_minor END`,
        }),
      )
      .execute();
  },
  // An approval's status comes with CommissionApproved (commission/events); its reason comes here.
  'commission.CommissionReviewed': async ({ trx, message: c }) => {
    const rejected = c.decision === 'rejected';
    await trx
      .updateTable('rm_commissions')
      .set(rejected ? { status: 'rejected', reason: c.reason } : { reason: c.reason })
      .where('id', '=', c.commissionId)
      .where('status', 'in', rejected ? ['pending', 'held'] : ['pending', 'held', 'approved', 'paid'])
      .execute();
  },
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

/**
 * A hot key's events, projected many at once with the effect of one at a time: multi-row inserts,
 * one update per row touched, counters summed per (campaign, influencer, day) row.
 */
export const paymentManyProjections: ManyProjections = {
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
          attribution: c.attribution,
          created_at: new Date(envelope.occurredAt),
        })),
      )
      .onConflict((oc) => oc.column('id').doUpdateSet(arrivedFirst))
      .execute();
  },
  'commission.CommissionApproved': async (items) => {
    const trx = items[0]?.trx;
    if (!trx) return;
    const latest = lastBy(items, (i) => i.message.commissionId);
    await sql`UPDATE rm_commissions c SET status = 'approved', amount_minor = t.amount
      FROM unnest(${latest.map((i) => i.message.commissionId)}::text[],
        ${latest.map((i) => i.message.amount.amountMinor.toString())}::bigint[]) AS t(id, amount)
      WHERE c.id = t.id`.execute(trx);
    const sums = new TupleMap<[string, string, string], bigint>();
    for (const { message: c, envelope } of items) {
      const k: [string, string, string] = [c.campaignId, c.influencerId, dayOf(envelope.occurredAt)];
      sums.set(k, (sums.get(k) ?? 0n) + c.amount.amountMinor);
    }
    const rows = sums.sorted();
    const keys = rows.map(([k]) => k);
    await sql`INSERT INTO rm_commission_stats (campaign_id, influencer_id, day, commissions_minor)
      SELECT * FROM unnest(${column(keys, 0)}::text[], ${column(keys, 1)}::text[],
        ${column(keys, 2)}::text[], ${rows.map(([, amount]) => amount.toString())}::numeric[])
      ON CONFLICT (campaign_id, influencer_id,
        day) DO UPDATE SET commissions_minor = rm_commission_stats.commissions_minor + EXCLUDED.commissions_minor`.execute(
      trx,
    );
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
