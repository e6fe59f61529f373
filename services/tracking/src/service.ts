/**
 * Tracking service: records every tracking event (valid or not) and attributes it. Events arrive in
 * batches; each batch is decided in memory (`decideBatch`, tracking.ts) on the facts the store reads
 * (store.ts), stored in one transaction, and what it recorded leaves as one message.
 */
import { randomUUID } from 'node:crypto';
import type {
  CampaignCreated,
  CampaignStatusChanged,
  RecordTrackingEvents,
  TrackingEventItem,
  MessageHandler,
  MessageContext,
} from '@beacon/contracts';
import { trackingShardOf } from '@beacon/domain';
import type { ServiceDefinition } from '@beacon/service-kit';
import { applyIsolated } from '@beacon/messaging';
import type { Database } from './db.js';
import { migrations } from './migrations.js';
import { campaignsOf, keepCampaign, keepCampaignStatus, seenOf, storedFacts, storeEvents } from './store.js';
import { decideBatch, storable, tenantOf, type BatchFacts } from './tracking.js';
import { defined } from '@beacon/domain';

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

const campaignCreated: MessageHandler<Database, CampaignCreated> = ({ trx, message }) => keepCampaign(trx, message);
const statusChanged: MessageHandler<Database, CampaignStatusChanged> = ({ trx, message }) =>
  keepCampaignStatus(trx, message);

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
