/**
 * The commission service's SQL: the campaign-terms replica, commissions (locked, saved, inserted, and
 * as the saga's store), impression counts, and which events already have a commission.
 */
import { sql } from 'kysely';
import type {
  CampaignCreated,
  CampaignStatusChanged,
  InfluencerAccepted,
  MessageContext,
  PayoutCompleted,
  ReviewRules,
  TrackingEventRecordedV2 as TrackingEventRecorded,
} from '@beacon/contracts';
import { column, TupleMap, TupleSet } from '@beacon/domain';
import { reviveAmounts, toJsonText } from '@beacon/money';
import type { Store } from '@beacon/messaging';
import type { Database } from './db.js';
import {
  candidatesOf,
  countedOf,
  rulesOfCampaign,
  type CampaignTerms,
  type CommissionBatch,
  type CommissionRule,
  type NewCommission,
} from './rules.js';
import type { Commission, CommissionStatus } from './saga.js';

export type Trx = MessageContext<Database>['trx'];

/** The terms of these campaigns, in one query. */
export async function termsOfAll(trx: Trx, campaignIds: string[]): Promise<Map<string, CampaignTerms>> {
  const rows =
    campaignIds.length === 0
      ? []
      : await trx.selectFrom('campaign_terms').selectAll().where('id', 'in', campaignIds).execute();
  return new Map(
    rows.map((t) => [
      t.id,
      {
        id: t.id,
        brandId: t.brand_id,
        currency: t.currency,
        status: t.status,
        holdingPeriodDays: t.holding_period_days,
        // Rules kept before customer durations had none: every sale earns, as it did.
        rules: reviveAmounts<CommissionRule[]>(t.rules).map((r) => ({
          ...r,
          customerDurationMonths: r.customerDurationMonths ?? null,
        })),
        accepted: t.accepted,
        review: t.review ? reviveAmounts<ReviewRules>(t.review) : null,
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
  review_reasons: string[];
  review_by: Date | null;
  hold_message_id: string | null;
  hold_correlation_id: string | null;
}

export const commissionOf = (row: CommissionRow): Commission => ({
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
  reviewReasons: row.review_reasons,
  reviewBy: row.review_by?.toISOString() ?? null,
  holdCause:
    row.hold_message_id && row.hold_correlation_id
      ? { messageId: row.hold_message_id, correlationId: row.hold_correlation_id }
      : null,
});

/** These commissions, locked for this transaction in id order (so concurrent batches never deadlock). */
export async function lockCommissions(trx: Trx, ids: string[]): Promise<Map<string, Commission>> {
  const rows = await trx
    .selectFrom('commissions')
    .selectAll()
    .where('id', 'in', ids)
    .orderBy('id')
    .forUpdate()
    .execute();
  return new Map(rows.map((row) => [row.id, commissionOf(row)]));
}

/** Changed commissions saved in one statement. */
export async function saveCommissions(trx: Trx, saved: Commission[]): Promise<void> {
  if (saved.length === 0) return;
  await sql`UPDATE commissions c SET status = t.status, amount_minor = t.amount_minor, reason = t.reason,
    reverse_pending = t.reverse_pending, review_by = t.review_by, hold_message_id = t.hold_message_id,
    hold_correlation_id = t.hold_correlation_id
      FROM unnest(${saved.map((c) => c.id)}::text[], ${saved.map((c) => c.status)}::text[],
        ${saved.map((c) => c.amountMinor?.toString() ?? null)}::bigint[],
        ${saved.map((c) => c.reason)}::text[], ${saved.map((c) => c.reversePending)}::boolean[],
        ${saved.map((c) => c.reviewBy)}::timestamptz[], ${saved.map((c) => c.holdCause?.messageId ?? null)}::text[],
        ${saved.map((c) => c.holdCause?.correlationId ?? null)}::text[]) AS t(id, status,
          amount_minor, reason, reverse_pending, review_by, hold_message_id, hold_correlation_id)
      WHERE c.id = t.id`.execute(trx);
}

/** A commission, as the saga's store: locked for this transaction, found by its id or by the event it was for. */
export function commissionStore(
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
      if (c) await saveCommissions(trx, [c]);
    },
  };
}

/** The rows a set-based lookup finds for these keys; no statement at all for none. */
async function rowsFor<K, R>(keys: K[], lookup: (keys: K[]) => Promise<{ rows: R[] }>): Promise<R[]> {
  return keys.length === 0 ? [] : (await lookup(keys)).rows;
}

/** The impression counts of these (campaign, influencer) pairs, locked: one statement, none for no pairs. */
export async function impressionCountsOf(
  trx: Trx,
  counted: Array<[string, string]>,
): Promise<TupleMap<[string, string], bigint>> {
  type Count = { campaign_id: string; influencer_id: string; count: bigint };
  const before = await rowsFor(counted, (keys) =>
    sql<Count>`
      SELECT campaign_id, influencer_id, count
      FROM impression_counts
      WHERE (campaign_id, influencer_id) IN (SELECT * FROM unnest(${column(keys, 0)}::text[], ${column(keys, 1)}::text[]))
      ORDER BY campaign_id, influencer_id
      FOR UPDATE`.execute(trx),
  );
  return new TupleMap(before.map((b) => [[b.campaign_id, b.influencer_id], b.count]));
}

/** Which of these (campaign, event) pairs already have a commission decided: one statement, none for none. */
export async function decidedOf(trx: Trx, lookups: Array<[string, string]>): Promise<TupleSet<[string, string]>> {
  const decided = await rowsFor(lookups, (keys) =>
    sql<{ campaign_id: string; source_event_id: string }>`
      SELECT c.campaign_id, c.source_event_id
      FROM commissions c
      JOIN unnest(${column(keys, 0)}::text[], ${column(keys, 1)}::text[]) AS k(campaign_id, source_event_id)
        USING (campaign_id, source_event_id)`.execute(trx),
  );
  return new TupleSet(decided.map((d) => [d.campaign_id, d.source_event_id]));
}

/** Impressions counted per (campaign, influencer), added in one upsert in key order. */
export async function addImpressions(trx: Trx, impressionsAdded: TupleMap<[string, string], bigint>): Promise<void> {
  if (impressionsAdded.size === 0) return;
  const added = impressionsAdded.sorted();
  const keys = added.map(([k]) => k);
  await sql`
    INSERT INTO impression_counts (campaign_id, influencer_id, count)
    SELECT * FROM unnest(${column(keys, 0)}::text[], ${column(keys, 1)}::text[], ${added.map(([, n]) => n.toString())}::bigint[])
    ON CONFLICT (campaign_id, influencer_id) DO UPDATE SET count = impression_counts.count + EXCLUDED.count`.execute(
    trx,
  );
}

/** New commissions in one insert. */
export async function insertCommissions(trx: Trx, commissions: NewCommission[]): Promise<void> {
  if (commissions.length === 0) return;
  await trx
    .insertInto('commissions')
    .values(
      commissions.map((c) => ({
        id: c.id,
        campaign_id: c.campaignId,
        influencer_id: c.influencerId,
        source_event_id: c.sourceEventId,
        event_type: c.eventType,
        currency: c.currency,
        reverse_pending: false,
        amount_minor: c.amountMinor,
        requested_minor: c.amountMinor,
        status: c.status,
        reason: c.reason,
        review_reasons: c.reviewReasons,
      })),
    )
    .execute();
}

/**
 * A batch of recorded tracking events' store: the terms of its campaigns, its impression counts
 * (locked) and which of the events that may earn were decided before; then what the batch added.
 */
export const batchStore = (items: Array<{ event: TrackingEventRecorded }>): Store<Database, CommissionBatch> => ({
  async load(trx) {
    const terms = await termsOfAll(trx, [...new Set(items.map((i) => i.event.campaignId))]);
    const impressions = await impressionCountsOf(trx, countedOf(items));
    const decided = await decidedOf(trx, candidatesOf(items, impressions));
    return { facts: { terms, decided, impressions }, impressionsAdded: new TupleMap(), commissions: [] };
  },
  async save(trx, next) {
    await addImpressions(trx, next.impressionsAdded);
    await insertCommissions(trx, next.commissions);
  },
});

/** A campaign's terms as commission needs them: owner, currency, status, holding period, rules, who accepted. */
export async function keepTerms(trx: Trx, c: CampaignCreated): Promise<void> {
  await trx
    .insertInto('campaign_terms')
    .values({
      id: c.campaignId,
      brand_id: c.brandId,
      currency: c.budget.currency,
      status: c.status,
      holding_period_days: c.holdingPeriodDays,
      rules: toJsonText(rulesOfCampaign(c)),
      accepted: [],
      review: c.review ? toJsonText(c.review) : null,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export async function keepTermsStatus(trx: Trx, c: CampaignStatusChanged): Promise<void> {
  await trx.updateTable('campaign_terms').set({ status: c.to }).where('id', '=', c.campaignId).execute();
}

export async function keepAccepted(trx: Trx, a: InfluencerAccepted): Promise<void> {
  await sql`UPDATE campaign_terms SET accepted = array_append(accepted,
    ${a.influencerId}) WHERE id = ${a.campaignId} AND NOT (${a.influencerId} = ANY(accepted))`.execute(trx);
}

/** The approved commissions a completed payout settled become paid. */
export async function markPaid(trx: Trx, p: PayoutCompleted): Promise<void> {
  if (p.commissionIds.length === 0) return;
  await trx
    .updateTable('commissions')
    .set({ status: 'paid' })
    .where('id', 'in', p.commissionIds)
    .where('status', '=', 'approved')
    .execute();
}
