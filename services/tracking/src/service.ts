/**
 * Tracking service: records every tracking event (valid or not) and attributes it. Events arrive in
 * batches; each batch is decided in memory (`decideBatch`) and stored in one transaction with a few
 * set-based statements, and what it recorded leaves as one message.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type {
  CampaignCreated,
  CampaignStatusChanged,
  RecordTrackingEvent,
  RecordTrackingEvents,
  TrackingEventItem,
  MessageHandler,
  MessageContext,
} from '@beacon/contracts';
import { trackingShardOf } from '@beacon/domain';
import { textArrayLiteral, type ServiceDefinition } from '@beacon/service-kit';
import { applyIsolated } from '@beacon/messaging';
import type { Database } from './db.js';
import { migrations } from './migrations.js';
import {
  decideBatch,
  seenKey,
  storable,
  tenantOf,
  type BatchFacts,
  type BatchRow,
  type CampaignReplica,
  type RecordingFacts,
} from './tracking.js';
import { defined } from '@beacon/domain';

type Trx = MessageContext<Database>['trx'];

async function campaignsOf(trx: Trx, ids: string[]): Promise<Map<string, CampaignReplica>> {
  const rows = ids.length === 0 ? [] : await trx.selectFrom('campaigns').selectAll().where('id', 'in', ids).execute();
  return new Map(
    rows.map((r) => [
      r.id,
      { id: r.id, brandId: r.brand_id, currency: r.currency, attributionWindowDays: r.attribution_window_days },
    ]),
  );
}

/** Which of the batch's (tenant, campaign, event id) triples are stored already: one statement. */
async function seenOf(trx: Trx, keys: Array<[string, string, string]>): Promise<Set<string>> {
  const rows = await sql<{
    tenant: string;
    campaign_id: string;
    event_id: string;
  }>`SELECT e.tenant, e.campaign_id, e.event_id FROM tracking_events e
    JOIN unnest(${keys.map((k) => k[0])}::text[], ${keys.map((k) => k[1])}::text[], ${keys.map((k) => k[2])}::text[]) AS k(tenant, campaign_id, event_id)
    USING (tenant, campaign_id, event_id)`.execute(trx);
  return new Set(rows.rows.map((r) => seenKey(r.tenant, r.campaign_id, r.event_id)));
}

/** What the database holds about one click, conversion or refund: its order, its click id, earlier clicks. */
async function storedFacts(trx: Trx, e: RecordTrackingEvent): Promise<Omit<RecordingFacts, 'campaign' | 'seen'>> {
  const facts: Omit<RecordingFacts, 'campaign' | 'seen'> = { orderRefunded: false };
  if (e.orderId) {
    const conversion = await trx
      .selectFrom('tracking_events')
      .select(['event_id', 'influencer_id', 'value_minor', 'currency'])
      .where('campaign_id', '=', e.campaignId)
      .where('order_id', '=', e.orderId)
      .where('type', '=', 'conversion')
      .where('valid', '=', true)
      .where('duplicate', '=', false)
      .executeTakeFirst();
    if (conversion)
      facts.conversionOfOrder = {
        eventId: conversion.event_id,
        influencerId: conversion.influencer_id,
        valueMinor: conversion.value_minor,
        currency: conversion.currency,
      };
    if (e.type === 'refund') {
      facts.orderRefunded =
        (await trx
          .selectFrom('tracking_events')
          .select('event_id')
          .where('campaign_id', '=', e.campaignId)
          .where('order_id', '=', e.orderId)
          .where('type', '=', 'refund')
          .where('valid', '=', true)
          .executeTakeFirst()) !== undefined;
    }
  }
  if (e.clickId && e.type !== 'click') {
    facts.clickInfluencer = (
      await trx
        .selectFrom('clicks')
        .select('influencer_id')
        .where('campaign_id', '=', e.campaignId)
        .where('click_id', '=', e.clickId)
        .executeTakeFirst()
    )?.influencer_id;
  }
  if (e.type === 'conversion') {
    const last = await trx
      .selectFrom('clicks')
      .select(['influencer_id', 'occurred_at'])
      .where('campaign_id', '=', e.campaignId)
      .where('visitor_id', '=', e.visitorId)
      .where('occurred_at', '<=', e.occurredAt)
      .orderBy('occurred_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (last) facts.lastClick = { influencerId: last.influencer_id, occurredAt: last.occurred_at };
  }
  if (e.type === 'click') {
    let q = trx
      .selectFrom('clicks')
      .select('occurred_at')
      .where('campaign_id', '=', e.campaignId)
      .where('visitor_id', '=', e.visitorId)
      .where('occurred_at', '<=', e.occurredAt);
    q = e.influencerId ? q.where('influencer_id', '=', e.influencerId) : q.where('influencer_id', 'is', null);
    const previous = await q.orderBy('occurred_at', 'desc').limit(1).executeTakeFirst();
    if (previous) facts.previousClickOnLink = { occurredAt: previous.occurred_at };
  }
  return facts;
}

/** Every row of the batch in one INSERT … SELECT FROM unnest(…): one statement whatever the batch size. */
async function storeEvents(trx: Trx, rows: BatchRow[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(f: (r: BatchRow) => T) => rows.map(f);
  await sql`INSERT INTO tracking_events (tenant, event_id, type, campaign_id, influencer_id, attribution, click_id, visitor_id, user_id, occurred_at,
      value_minor, currency, order_id, name, properties, user_agent, ip, referrer, valid, reasons, duplicate, refunded_event_id, received_at)
    SELECT tenant, event_id, type, campaign_id, influencer_id, attribution, click_id, visitor_id, user_id, occurred_at,
      value_minor, currency, order_id, name, properties::jsonb, user_agent, ip, referrer, valid, reasons::text[], duplicate, refunded_event_id, received_at
    FROM unnest(${col((r) => r.recording.tenant)}::text[], ${col((r) => r.event.eventId)}::text[], ${col((r) => r.event.type)}::text[],
      ${col((r) => r.event.campaignId)}::text[], ${col((r) => r.recording.recorded.influencerId)}::text[], ${col((r) => r.recording.recorded.attribution)}::text[],
      ${col((r) => r.recording.recorded.clickId)}::text[], ${col((r) => r.event.visitorId)}::text[], ${col((r) => r.event.userId)}::text[],
      ${col((r) => r.event.occurredAt)}::text[], ${col((r) => r.recording.recorded.value?.amountMinor.toString() ?? null)}::bigint[],
      ${col((r) => r.recording.recorded.value?.currency ?? null)}::text[], ${col((r) => r.event.orderId)}::text[], ${col((r) => r.event.name)}::text[],
      ${col((r) => (r.recording.properties === null ? null : JSON.stringify(r.recording.properties)))}::text[], ${col((r) => r.event.userAgent)}::text[],
      ${col((r) => r.event.ip)}::text[], ${col((r) => r.event.referrer)}::text[], ${col((r) => r.recording.valid)}::bool[],
      ${col((r) => textArrayLiteral(r.recording.reasons))}::text[], ${col((r) => r.recording.duplicate)}::bool[],
      ${col((r) => r.recording.recorded.refundedEventId)}::text[], ${col((r) => r.event.receivedAt)}::text[])
    AS t(tenant, event_id, type, campaign_id, influencer_id, attribution, click_id, visitor_id, user_id, occurred_at, value_minor, currency, order_id,
      name, properties, user_agent, ip, referrer, valid, reasons, duplicate, refunded_event_id, received_at)`.execute(
    trx,
  );
  const clicks = rows.flatMap((r) => (r.recording.click ? [{ event: r.event, click: r.recording.click }] : []));
  if (clicks.length > 0) {
    await trx
      .insertInto('clicks')
      .values(
        clicks.map((r) => ({
          campaign_id: r.event.campaignId,
          click_id: r.click.clickId,
          influencer_id: r.click.influencerId,
          visitor_id: r.event.visitorId,
          occurred_at: r.event.occurredAt,
        })),
      )
      .onConflict((oc) => oc.columns(['campaign_id', 'click_id']).doNothing())
      .execute();
  }
}

/** Records a batch: facts in a few statements, the decision in memory, the rows in one, one message out. */
export async function recordBatch(ctx: MessageContext<Database>, items: TrackingEventItem[]): Promise<void> {
  if (items.length === 0) return;
  const reasonsOf = new Map<number, string[]>();
  const cleaned = items.map((item, index) => {
    const { event, reasons } = storable(item.event);
    if (reasons.length > 0) reasonsOf.set(index, reasons);
    return { correlationId: item.correlationId, event };
  });
  const campaigns = await campaignsOf(ctx.trx, [...new Set(cleaned.map((i) => i.event.campaignId))]);
  const seen = await seenOf(
    ctx.trx,
    cleaned.map((i) => [tenantOf(i.event, campaigns.get(i.event.campaignId)), i.event.campaignId, i.event.eventId]),
  );
  const facts: BatchFacts = { campaigns, seen, stored: new Map() };
  for (const [index, { event }] of cleaned.entries()) {
    const campaign = campaigns.get(event.campaignId);
    const owned = campaign !== undefined && tenantOf(event, campaign) === campaign.brandId;
    if (owned && event.type !== 'impression' && event.type !== 'custom')
      facts.stored.set(index, await storedFacts(ctx.trx, event));
  }
  const decision = decideBatch(cleaned, facts, randomUUID, reasonsOf);
  await storeEvents(ctx.trx, decision.rows);
  await ctx.emit(
    'tracking.TrackingEventsRecorded',
    trackingShardOf(defined(items[0], 'a batch item').event.campaignId),
    {
      recorded: decision.recorded,
      ignored: decision.ignored,
    },
  );
  ctx.log.info(
    {
      items: items.length,
      recorded: decision.recorded.length,
      ignored: decision.ignored.length,
      invalid: decision.rows.filter((r) => !r.recording.valid).length,
    },
    'tracking batch recorded',
  );
}

/**
 * A batch carries many tenants' events: one that cannot be stored is reported ignored with the reason
 * (its flow settles, the BFF shows why) and never fails the others (applyIsolated).
 */
const recordEvents: MessageHandler<Database, RecordTrackingEvents> = (ctx) =>
  applyIsolated(
    ctx.trx,
    ctx.message.items,
    (some) => recordBatch(ctx, some),
    async ({ correlationId, event }, error) => {
      ctx.log.error(
        { eventId: event.eventId, campaignId: event.campaignId, err: error.message },
        'an event could not be stored',
      );
      await ctx.emit('tracking.TrackingEventsRecorded', trackingShardOf(event.campaignId), {
        recorded: [],
        ignored: [
          {
            correlationId,
            event: {
              eventId: event.eventId,
              campaignId: event.campaignId,
              reason: `UNSTORABLE: ${error.message}`.slice(0, 500),
            },
          },
        ],
      });
    },
  );

const campaignCreated: MessageHandler<Database, CampaignCreated> = async ({ trx, message: c }) => {
  await trx
    .insertInto('campaigns')
    .values({
      id: c.campaignId,
      brand_id: c.brandId,
      currency: c.budget.currency,
      attribution_window_days: c.attributionWindowDays,
      status: c.status,
      landing_url: c.landingUrl,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
};

const statusChanged: MessageHandler<Database, CampaignStatusChanged> = async ({ trx, message: c }) => {
  await trx.updateTable('campaigns').set({ status: c.to }).where('id', '=', c.campaignId).execute();
};

export const trackingService: ServiceDefinition<Database> = {
  name: 'tracking',
  defaultOpsPort: 9102,
  migrations,
  subscriptions: () => [
    { topic: 'tracking/command-batches', handlers: { 'tracking.RecordTrackingEvents': recordEvents } },
    {
      topic: 'campaign/events',
      handlers: { 'campaign.CampaignCreated': campaignCreated, 'campaign.CampaignStatusChanged': statusChanged },
    },
  ],
};
