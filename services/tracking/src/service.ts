/**
 * Tracking service: records every tracking event (valid or not) and attributes it. Events arrive in
 * batches; each batch is decided in memory (`trackingDecider`, tracking.ts) on the facts its store
 * reads (store.ts), stored in one transaction, and what it recorded leaves as one message.
 */
import { randomUUID } from 'node:crypto';
import {
  recordTrackingEventsV2,
  type CampaignCreated,
  type CampaignStatusChanged,
  type CouponCreated,
  type CouponDeactivated,
  type RecordTrackingEvents,
  type RecordTrackingEventsV2,
  type TrackingEventItemV2 as TrackingEventItem,
  type MessageHandler,
  type MessageContext,
} from '@beacon/contracts';
import { trackingShardOf } from '@beacon/domain';
import type { ServiceDefinition } from '@beacon/service-kit';
import { applyIsolated, itemContext, update } from '@beacon/messaging';
import type { Database } from './db.js';
import { migrations } from './migrations.js';
import { batchStore, keepCampaign, keepCampaignStatus, keepCoupon, keepCouponDeactivated } from './store.js';
import { cleanItem, trackingDecider } from './tracking.js';
import { defined } from '@beacon/domain';

/** Records a batch: its facts in a few statements, the decision in memory, the rows in one, one message out. */
export async function recordBatch(ctx: MessageContext<Database>, items: TrackingEventItem[]): Promise<void> {
  if (items.length === 0) return;
  const batch = items.map(cleanItem);
  const shard = trackingShardOf(defined(items[0], 'a batch item').event.campaignId);
  const [event] = await update(ctx, batchStore(batch), shard, (facts) => decider.decide(batch, facts));
  const { recorded, ignored } = defined(event, 'the batch event').data;
  ctx.log.info(
    {
      items: items.length,
      recorded: recorded.length,
      ignored: ignored.length,
      invalid: recorded.filter((r) => !r.event.valid).length,
    },
    'tracking batch recorded',
  );
}

const decider = trackingDecider(randomUUID);

/**
 * A batch carries many tenants' events: one that cannot be stored is reported ignored with the reason
 * (its flow settles, the BFF shows why) and never fails the others (applyIsolated).
 */
const recordEvents: MessageHandler<Database, RecordTrackingEventsV2> = (ctx) =>
  applyIsolated(
    ctx.trx,
    ctx.message.items,
    (some) => recordBatch(ctx, some),
    (item, error) => reportUnstorable(itemContext(ctx, item), error),
  );

/** A batch of the version before customers and codes, read as the latest. */
const recordEventsV1: MessageHandler<Database, RecordTrackingEvents> = (ctx) =>
  recordEvents({ ...ctx, message: recordTrackingEventsV2(ctx.message) });

async function reportUnstorable(ctx: MessageContext<Database, TrackingEventItem>, error: Error): Promise<void> {
  const { event } = ctx.message;
  ctx.log.error(
    { eventId: event.eventId, campaignId: event.campaignId, err: error.message },
    'an event could not be stored',
  );
  await ctx.emit('tracking.TrackingEventsRecordedV2', trackingShardOf(event.campaignId), {
    recorded: [],
    ignored: [
      {
        correlationId: ctx.message.correlationId,
        event: {
          eventId: event.eventId,
          campaignId: event.campaignId,
          reason: `UNSTORABLE: ${error.message}`.slice(0, 500),
        },
      },
    ],
  });
}

const campaignCreated: MessageHandler<Database, CampaignCreated> = ({ trx, message }) => keepCampaign(trx, message);
const couponCreated: MessageHandler<Database, CouponCreated> = ({ trx, message }) => keepCoupon(trx, message);
const couponDeactivated: MessageHandler<Database, CouponDeactivated> = ({ trx, message }) =>
  keepCouponDeactivated(trx, message);
const statusChanged: MessageHandler<Database, CampaignStatusChanged> = ({ trx, message }) =>
  keepCampaignStatus(trx, message);

/** The campaign context's terms and codes as tracking keeps them: what `npm run rebuild -- tracking` rebuilds. */
const CAMPAIGN_REPLICA = {
  tables: ['campaigns', 'coupons'],
  topics: [
    {
      topic: 'campaign/events',
      handlers: { 'campaign.CampaignCreated': campaignCreated, 'campaign.CampaignStatusChanged': statusChanged },
    },
    {
      topic: 'campaign/coupon-events',
      handlers: { 'campaign.CouponCreated': couponCreated, 'campaign.CouponDeactivated': couponDeactivated },
    },
  ],
};

export const trackingService: ServiceDefinition<Database> = {
  name: 'tracking',
  defaultOpsPort: 9102,
  migrations,
  subscriptions: () => [
    // v1 until the topic is retired: what an earlier BFF sent, read as the latest.
    { topic: 'tracking/command-batches', handlers: { 'tracking.RecordTrackingEvents': recordEventsV1 } },
    { topic: 'tracking/command-batches-v2', handlers: { 'tracking.RecordTrackingEventsV2': recordEvents } },
    ...CAMPAIGN_REPLICA.topics,
  ],
  readModel: CAMPAIGN_REPLICA,
};
