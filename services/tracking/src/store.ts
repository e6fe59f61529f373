/**
 * The tracking service's SQL: the campaign replica, which of a batch's events are stored already, what
 * the database knows about one click, conversion or refund, and a decided batch's rows.
 */
import { sql } from 'kysely';
import type { CampaignCreated, CampaignStatusChanged, MessageContext, RecordTrackingEvent } from '@beacon/contracts';
import { textArrayLiteral } from '@beacon/service-kit';
import type { Database } from './db.js';
import { seenKey, type BatchRow, type CampaignReplica, type RecordingFacts } from './tracking.js';

export type Trx = MessageContext<Database>['trx'];

export async function campaignsOf(trx: Trx, ids: string[]): Promise<Map<string, CampaignReplica>> {
  const rows = ids.length === 0 ? [] : await trx.selectFrom('campaigns').selectAll().where('id', 'in', ids).execute();
  return new Map(
    rows.map((r) => [
      r.id,
      { id: r.id, brandId: r.brand_id, currency: r.currency, attributionWindowDays: r.attribution_window_days },
    ]),
  );
}

/** Which of the batch's (tenant, campaign, event id) triples are stored already: one statement. */
export async function seenOf(trx: Trx, keys: Array<[string, string, string]>): Promise<Set<string>> {
  const rows = await sql<{
    tenant: string;
    campaign_id: string;
    event_id: string;
  }>`SELECT e.tenant, e.campaign_id, e.event_id FROM tracking_events e
    JOIN unnest(${keys.map((k) => k[0])}::text[], ${keys.map((k) => k[1])}::text[],
      ${keys.map((k) => k[2])}::text[]) AS k(tenant, campaign_id, event_id)
    USING (tenant, campaign_id, event_id)`.execute(trx);
  return new Set(rows.rows.map((r) => seenKey(r.tenant, r.campaign_id, r.event_id)));
}

/** What the database holds about one click, conversion or refund: its order, its click id, earlier clicks. */
export async function storedFacts(
  trx: Trx,
  e: RecordTrackingEvent,
): Promise<Omit<RecordingFacts, 'campaign' | 'seen'>> {
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
export async function storeEvents(trx: Trx, rows: BatchRow[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(f: (r: BatchRow) => T) => rows.map(f);
  await sql`INSERT INTO tracking_events (tenant, event_id, type, campaign_id, influencer_id, attribution, click_id,
    visitor_id, user_id, occurred_at,
      value_minor, currency, order_id, name, properties, user_agent, ip, referrer, valid, reasons, duplicate,
        refunded_event_id, received_at)
    SELECT tenant, event_id, type, campaign_id, influencer_id, attribution, click_id, visitor_id, user_id, occurred_at,
      value_minor, currency, order_id, name, properties::jsonb, user_agent, ip, referrer, valid, reasons::text[],
        duplicate, refunded_event_id, received_at
    FROM unnest(${col((r) => r.recording.tenant)}::text[], ${col((r) => r.event.eventId)}::text[], ${col((r) => r.event.type)}::text[],
      ${col((r) => r.event.campaignId)}::text[], ${col((r) => r.recording.recorded.influencerId)}::text[],
        ${col((r) => r.recording.recorded.attribution)}::text[],
      ${col((r) => r.recording.recorded.clickId)}::text[], ${col((r) => r.event.visitorId)}::text[], ${col((r) => r.event.userId)}::text[],
      ${col((r) => r.event.occurredAt)}::text[], ${col((r) => r.recording.recorded.value?.amountMinor.toString() ?? null)}::bigint[],
      ${col((r) => r.recording.recorded.value?.currency ?? null)}::text[], ${col((r) => r.event.orderId)}::text[],
        ${col((r) => r.event.name)}::text[],
      ${col((r) => (r.recording.properties === null ? null : JSON.stringify(r.recording.properties)))}::text[],
        ${col((r) => r.event.userAgent)}::text[],
      ${col((r) => r.event.ip)}::text[], ${col((r) => r.event.referrer)}::text[], ${col((r) => r.recording.valid)}::bool[],
      ${col((r) => textArrayLiteral(r.recording.reasons))}::text[], ${col((r) => r.recording.duplicate)}::bool[],
      ${col((r) => r.recording.recorded.refundedEventId)}::text[], ${col((r) => r.event.receivedAt)}::text[])
    AS t(tenant, event_id, type, campaign_id, influencer_id, attribution, click_id, visitor_id, user_id, occurred_at,
      value_minor, currency, order_id,
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

/** A campaign as tracking needs it: its owner, currency, attribution window and status. */
export async function keepCampaign(trx: Trx, c: CampaignCreated): Promise<void> {
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
}

export async function keepCampaignStatus(trx: Trx, c: CampaignStatusChanged): Promise<void> {
  await trx.updateTable('campaigns').set({ status: c.to }).where('id', '=', c.campaignId).execute();
}
