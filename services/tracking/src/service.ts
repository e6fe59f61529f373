/** Tracking service: records every tracking event (valid or not), attributes it, keeps rollups. */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { CampaignCreated, CampaignStatusChanged, RecordTrackingEvent } from '@beacon/contracts';
import type { Handler, HandlerContext } from '@beacon/messaging';
import type { ServiceDefinition } from '@beacon/service-kit';
import type { Database } from './db.js';
import { migrations } from './migrations.js';
import { activityRow, decideRecording, storable, tenantOf, type RecordingFacts } from './tracking.js';

type Trx = HandlerContext<Database>['trx'];

/** Loads the facts `decideRecording` needs, all within the event's campaign (and tenant, for its id). */
async function factsFor(trx: Trx, e: RecordTrackingEvent): Promise<RecordingFacts> {
  const row = await trx.selectFrom('campaigns').selectAll().where('id', '=', e.campaignId).executeTakeFirst();
  const campaign = row && { id: row.id, brandId: row.brand_id, currency: row.currency, attributionWindowDays: row.attribution_window_days };
  const tenant = tenantOf(e, campaign);
  const seen = await trx.selectFrom('tracking_events').select('event_id')
    .where('tenant', '=', tenant).where('campaign_id', '=', e.campaignId).where('event_id', '=', e.eventId).executeTakeFirst();
  const facts: RecordingFacts = { campaign, seen: seen !== undefined, orderRefunded: false };
  if (seen || !campaign || tenant !== campaign.brandId) return facts;
  if (e.orderId) {
    const conversion = await trx.selectFrom('tracking_events').select(['event_id', 'influencer_id', 'value_minor', 'currency'])
      .where('campaign_id', '=', e.campaignId).where('order_id', '=', e.orderId).where('type', '=', 'conversion')
      .where('valid', '=', true).where('duplicate', '=', false).executeTakeFirst();
    if (conversion) facts.conversionOfOrder = { eventId: conversion.event_id, influencerId: conversion.influencer_id, valueMinor: conversion.value_minor, currency: conversion.currency };
    if (e.type === 'refund') {
      facts.orderRefunded = (await trx.selectFrom('tracking_events').select('event_id').where('campaign_id', '=', e.campaignId)
        .where('order_id', '=', e.orderId).where('type', '=', 'refund').where('valid', '=', true).executeTakeFirst()) !== undefined;
    }
  }
  if (e.clickId && e.type !== 'click') {
    facts.clickInfluencer = (await trx.selectFrom('clicks').select('influencer_id').where('campaign_id', '=', e.campaignId).where('click_id', '=', e.clickId).executeTakeFirst())?.influencer_id;
  }
  if (e.type === 'conversion') {
    const last = await trx.selectFrom('clicks').select(['influencer_id', 'occurred_at'])
      .where('campaign_id', '=', e.campaignId).where('visitor_id', '=', e.visitorId).where('occurred_at', '<=', e.occurredAt)
      .orderBy('occurred_at', 'desc').limit(1).executeTakeFirst();
    if (last) facts.lastClick = { influencerId: last.influencer_id, occurredAt: last.occurred_at };
  }
  if (e.type === 'click') {
    let q = trx.selectFrom('clicks').select('occurred_at').where('campaign_id', '=', e.campaignId).where('visitor_id', '=', e.visitorId).where('occurred_at', '<=', e.occurredAt);
    q = e.influencerId ? q.where('influencer_id', '=', e.influencerId) : q.where('influencer_id', 'is', null);
    const previous = await q.orderBy('occurred_at', 'desc').limit(1).executeTakeFirst();
    if (previous) facts.previousClickOnLink = { occurredAt: previous.occurred_at };
  }
  return facts;
}

const record: Handler<Database, RecordTrackingEvent> = async ({ trx, message, emit, log }) => {
  const { event: e, reasons: textReasons } = storable(message);
  const facts = await factsFor(trx, e);
  if (facts.seen) {
    await emit('tracking.TrackingEventIgnored', e.campaignId, { eventId: e.eventId, campaignId: e.campaignId, reason: 'DUPLICATE_EVENT_ID' });
    return;
  }
  const r = decideRecording(e, facts, randomUUID(), textReasons);
  const out = r.recorded;
  if (r.click) {
    await trx.insertInto('clicks').values({ campaign_id: e.campaignId, click_id: r.click.clickId, influencer_id: r.click.influencerId, visitor_id: e.visitorId, occurred_at: e.occurredAt })
      .onConflict((oc) => oc.columns(['campaign_id', 'click_id']).doNothing()).execute();
  }
  await trx.insertInto('tracking_events').values({
    tenant: r.tenant, event_id: e.eventId, type: e.type, campaign_id: e.campaignId, influencer_id: out.influencerId, attribution: out.attribution, click_id: out.clickId,
    visitor_id: e.visitorId, user_id: e.userId, occurred_at: e.occurredAt, value_minor: out.value?.amountMinor ?? null, currency: out.value?.currency ?? null,
    order_id: e.orderId, name: e.name, properties: r.properties === null ? null : JSON.stringify(r.properties),
    user_agent: e.userAgent, ip: e.ip, referrer: e.referrer, valid: r.valid, reasons: r.reasons, duplicate: r.duplicate, refunded_event_id: out.refundedEventId,
    received_at: e.receivedAt,
  }).execute();
  if (r.rollup) {
    const inc = r.rollup;
    await sql`INSERT INTO rollups VALUES (${e.campaignId}, ${inc.influencerId}, ${inc.day}, ${inc.name}, ${inc.count}, ${inc.valid}, ${inc.invalid}, ${inc.revenueMinor}, ${inc.refundedMinor})
      ON CONFLICT (campaign_id, influencer_id, day, name) DO UPDATE SET count = rollups.count + 1, valid = rollups.valid + EXCLUDED.valid,
      invalid = rollups.invalid + EXCLUDED.invalid, revenue_minor = rollups.revenue_minor + EXCLUDED.revenue_minor,
      refunded_minor = rollups.refunded_minor + EXCLUDED.refunded_minor`.execute(trx);
  }
  if (r.window) await countInWindow(trx, r.tenant, e.userId ?? e.visitorId, r.window, e.type);
  await emit('tracking.TrackingEventRecorded', e.campaignId, out);
  log.info({ eventId: e.eventId, type: e.type, valid: r.valid, reasons: r.reasons, duplicate: r.duplicate, attribution: out.attribution }, 'tracking event recorded');
};

/** Adds one event to its activity window (the inbox makes this once per message). */
async function countInWindow(trx: Trx, tenant: string, subject: string, window: { start: string; end: string }, type: string): Promise<void> {
  await sql`INSERT INTO activity_windows (tenant, subject, window_start, window_end, events, by_type) VALUES (${tenant}, ${subject}, ${window.start}, ${window.end}, 1, jsonb_build_object(${type}::text, 1))
    ON CONFLICT (tenant, subject, window_start) DO UPDATE SET events = activity_windows.events + 1,
    by_type = jsonb_set(activity_windows.by_type, ARRAY[${type}::text], to_jsonb(coalesce((activity_windows.by_type->>${type}::text)::int, 0) + 1))`.execute(trx);
}

/** Rebuilds one activity window from its stored events: gives the row the increments built, so a repair is safe. */
export async function recomputeWindow(trx: Trx, tenant: string, subject: string, window: { start: string; end: string }): Promise<void> {
  const events = await trx.selectFrom('tracking_events').select('type').where('tenant', '=', tenant)
    .where(sql<string>`coalesce(user_id, visitor_id)`, '=', subject).where('occurred_at', '>=', window.start).where('occurred_at', '<', window.end).execute();
  const row = activityRow(subject, window, events);
  await trx.insertInto('activity_windows')
    .values({ tenant, subject, window_start: row.windowStart, window_end: row.windowEnd, events: row.events, by_type: JSON.stringify(row.byType) })
    .onConflict((oc) => oc.columns(['tenant', 'subject', 'window_start']).doUpdateSet({ events: row.events, by_type: JSON.stringify(row.byType) }))
    .execute();
}

const campaignCreated: Handler<Database, CampaignCreated> = async ({ trx, message: c }) => {
  await trx.insertInto('campaigns')
    .values({ id: c.campaignId, brand_id: c.brandId, currency: c.budget.currency, attribution_window_days: c.attributionWindowDays, status: c.status, landing_url: c.landingUrl })
    .onConflict((oc) => oc.column('id').doNothing()).execute();
};

const statusChanged: Handler<Database, CampaignStatusChanged> = async ({ trx, message: c }) => {
  await trx.updateTable('campaigns').set({ status: c.to }).where('id', '=', c.campaignId).execute();
};

export const trackingService: ServiceDefinition<Database> = {
  name: 'tracking',
  defaultOpsPort: 9102,
  migrations,
  subscriptions: () => [
    { topic: 'tracking/commands', handlers: { 'tracking.RecordTrackingEvent': record } },
    { topic: 'campaign/events', handlers: { 'campaign.CampaignCreated': campaignCreated, 'campaign.CampaignStatusChanged': statusChanged } },
  ],
};
