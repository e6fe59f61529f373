/** Tracking service: records every tracking event (valid or not), attributes it, keeps rollups. */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { CampaignCreated, CampaignStatusChanged, RecordTrackingEvent, TrackingEventRecorded } from '@beacon/contracts';
import type { Handler } from '@beacon/messaging';
import type { ServiceDefinition } from '@beacon/service-kit';
import type { Database } from './db.js';
import { migrations } from './migrations.js';
import { activityRow, attribute, rollupIncrement, validate, windowOf, type AttributionFacts } from './tracking.js';

const record: Handler<Database, RecordTrackingEvent> = async ({ trx, message: e, emit, log }) => {
  const seen = await trx.selectFrom('tracking_events').select('event_id').where('event_id', '=', e.eventId).executeTakeFirst();
  if (seen) {
    await emit('tracking.TrackingEventIgnored', e.campaignId, { eventId: e.eventId, campaignId: e.campaignId, reason: 'DUPLICATE_EVENT_ID' });
    return;
  }
  const row = await trx.selectFrom('campaigns').selectAll().where('id', '=', e.campaignId).executeTakeFirst();
  const campaign = row && { id: row.id, brandId: row.brand_id, currency: row.currency, attributionWindowDays: row.attribution_window_days };
  const conversionOfOrder = e.orderId
    ? await trx.selectFrom('tracking_events').select(['event_id', 'influencer_id', 'value_minor', 'currency'])
        .where('campaign_id', '=', e.campaignId).where('order_id', '=', e.orderId).where('type', '=', 'conversion')
        .where('valid', '=', true).where('duplicate', '=', false).executeTakeFirst()
    : undefined;
  const reasons = validate(e, campaign, e.type === 'refund' ? conversionOfOrder?.event_id : undefined);
  const valid = reasons.length === 0;
  const duplicate = valid && e.type === 'conversion' && conversionOfOrder !== undefined;

  const facts: AttributionFacts = {};
  if (e.clickId && e.type !== 'click') {
    facts.clickInfluencer = (await trx.selectFrom('clicks').select('influencer_id').where('click_id', '=', e.clickId).executeTakeFirst())?.influencer_id;
  }
  if (e.type === 'conversion') {
    const last = await trx.selectFrom('clicks').select(['influencer_id', 'occurred_at'])
      .where('campaign_id', '=', e.campaignId).where('visitor_id', '=', e.visitorId).where('occurred_at', '<=', e.occurredAt)
      .orderBy('occurred_at', 'desc').limit(1).executeTakeFirst();
    if (last) facts.lastClick = { influencerId: last.influencer_id, occurredAt: last.occurred_at };
  }
  if (e.type === 'refund') facts.refundedInfluencer = conversionOfOrder?.influencer_id ?? null;
  const { influencerId, attribution } = attribute(e, facts, campaign?.attributionWindowDays ?? 30);

  const clickId = e.type === 'click' ? (e.clickId ?? randomUUID()) : e.clickId;
  if (e.type === 'click' && valid) {
    await trx.insertInto('clicks').values({ click_id: clickId!, campaign_id: e.campaignId, influencer_id: influencerId, visitor_id: e.visitorId, occurred_at: e.occurredAt })
      .onConflict((oc) => oc.column('click_id').doNothing()).execute();
  }
  // Refunds carry the refunded conversion's value, so revenue can be netted.
  const value = e.type === 'refund' && conversionOfOrder?.value_minor != null ? { amountMinor: conversionOfOrder.value_minor, currency: conversionOfOrder.currency! } : e.value;
  const refundedEventId = e.type === 'refund' && valid ? (conversionOfOrder?.event_id ?? null) : null;
  await trx.insertInto('tracking_events').values({
    event_id: e.eventId, type: e.type, campaign_id: e.campaignId, influencer_id: influencerId, attribution, click_id: clickId,
    visitor_id: e.visitorId, user_id: e.userId, occurred_at: e.occurredAt, value_minor: value?.amountMinor ?? null, currency: value?.currency ?? null,
    order_id: e.orderId, name: e.name, properties: reasons.includes('MALFORMED_PROPERTIES') ? JSON.stringify({ raw: e.properties }) : e.properties,
    user_agent: e.userAgent, ip: e.ip, referrer: e.referrer, valid, reasons, duplicate, refunded_event_id: refundedEventId, received_at: e.receivedAt,
  }).execute();

  const inc = rollupIncrement({ type: e.type, name: e.name, influencerId, occurredAt: e.occurredAt, valid, duplicate, valueMinor: value?.amountMinor ?? null });
  await sql`INSERT INTO rollups VALUES (${e.campaignId}, ${inc.influencerId}, ${inc.day}, ${inc.name}, ${inc.count}, ${inc.valid}, ${inc.invalid}, ${inc.revenueMinor}, ${inc.refundedMinor})
    ON CONFLICT (campaign_id, influencer_id, day, name) DO UPDATE SET count = rollups.count + 1, valid = rollups.valid + EXCLUDED.valid,
    invalid = rollups.invalid + EXCLUDED.invalid, revenue_minor = rollups.revenue_minor + EXCLUDED.revenue_minor,
    refunded_minor = rollups.refunded_minor + EXCLUDED.refunded_minor`.execute(trx);

  if (!reasons.includes('INVALID_OCCURRED_AT')) await countInWindow(trx, e.userId ?? e.visitorId, windowOf(e.occurredAt), e.type);

  const recorded: TrackingEventRecorded = {
    eventId: e.eventId, type: e.type, campaignId: e.campaignId, influencerId, attribution, clickId, visitorId: e.visitorId, userId: e.userId,
    occurredAt: e.occurredAt, value, orderId: e.orderId, name: e.name, properties: e.properties, valid, reasons, duplicate,
    refundedEventId, brandId: campaign?.brandId ?? null,
  };
  await emit('tracking.TrackingEventRecorded', e.campaignId, recorded);
  log.info({ eventId: e.eventId, type: e.type, valid, duplicate, attribution }, 'tracking event recorded');
};

/** Adds one event to its activity window (the inbox makes this once per message). */
async function countInWindow(trx: Parameters<Handler<Database>>[0]['trx'], subject: string, window: { start: string; end: string }, type: string): Promise<void> {
  await sql`INSERT INTO activity_windows VALUES (${subject}, ${window.start}, ${window.end}, 1, jsonb_build_object(${type}::text, 1))
    ON CONFLICT (subject, window_start) DO UPDATE SET events = activity_windows.events + 1,
    by_type = jsonb_set(activity_windows.by_type, ARRAY[${type}::text], to_jsonb(coalesce((activity_windows.by_type->>${type}::text)::int, 0) + 1))`.execute(trx);
}

/** Rebuilds one activity window from its stored events: gives the row the increments built, so a repair is safe. */
export async function recomputeWindow(trx: Parameters<Handler<Database>>[0]['trx'], subject: string, window: { start: string; end: string }): Promise<void> {
  const events = await trx.selectFrom('tracking_events').select('type')
    .where(sql<string>`coalesce(user_id, visitor_id)`, '=', subject).where('occurred_at', '>=', window.start).where('occurred_at', '<', window.end).execute();
  const row = activityRow(subject, window, events);
  await trx.insertInto('activity_windows')
    .values({ subject, window_start: row.windowStart, window_end: row.windowEnd, events: row.events, by_type: JSON.stringify(row.byType) })
    .onConflict((oc) => oc.columns(['subject', 'window_start']).doUpdateSet({ events: row.events, by_type: JSON.stringify(row.byType) }))
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
