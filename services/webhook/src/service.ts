/**
 * Webhook service: brands' and influencers' endpoints, and a delivery for each event an endpoint
 * subscribes to. Handlers decide who hears of what and write the deliveries in the event's own
 * transaction (the inbox makes a redelivered event schedule nothing twice); the sender (sender-loop.ts)
 * makes the HTTP requests from this process, outside any consumer, so a slow receiver slows no one.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type {
  CommissionApproved,
  CommissionCalculated,
  CommissionRejected,
  CommissionHeld,
  CommissionReviewed,
  CommissionReversed,
  DeleteEndpoint,
  MessageContext,
  MessageHandler,
  PayoutCompleted,
  PayoutFailed,
  Redeliver,
  RegisterEndpoint,
  RotateEndpointSecret,
  SendTestDelivery,
  TrackingEventsRecordedV2,
} from '@beacon/contracts';
import { itemContext } from '@beacon/messaging';
import { holdCategoriesOf, type WebhookEventType } from '@beacon/domain';
import type { ServiceDefinition } from '@beacon/service-kit';
import type { Database } from './db.js';
import { migrations } from './migrations.js';
import { senderOptionsFromEnv, startSender } from './sender-loop.js';
import { body, commissionView, money, trackingView } from './views.js';

type Ctx = MessageContext<Database, unknown>;

/** Who may hear of an event: a campaign's brand, and an influencer (only of a campaign it accepted). */
interface Audience {
  campaignId?: string;
  influencerId?: string | null;
}

type Role = 'brand' | 'influencer';
/** What a delivery's `data` is, built only when some endpoint subscribes (by owner role: an influencer is told less of a hold). */
type Payload = (role: Role) => unknown;

/**
 * Schedules one delivery per enabled endpoint of the audience that subscribes to `type`. One
 * statement finds them: the campaign's brand's endpoints, and the influencer's (for a campaign, only
 * if it accepted it: an influencer hears of its payouts, and of commissions of campaigns it joined).
 * With no endpoint, as for most events, nothing more is read.
 */
async function schedule(ctx: Ctx, audience: Audience, type: WebhookEventType, data: Payload): Promise<void> {
  const campaignId = audience.campaignId ?? null;
  const influencerId = audience.influencerId ?? null;
  if (campaignId === null && influencerId === null) return;
  const { rows: endpoints } = await sql<{ id: string; owner_role: string }>`
    SELECT e.id, e.owner_role FROM endpoints e
    WHERE e.status = 'enabled' AND ${type} = ANY(e.event_types) AND (
      (e.owner_role = 'brand' AND e.owner_id = (SELECT c.brand_id FROM campaigns c WHERE c.id = ${campaignId}))
      OR (e.owner_role = 'influencer' AND e.owner_id = ${influencerId} AND (${campaignId}::text IS NULL
        OR EXISTS (SELECT 1 FROM members m WHERE m.campaign_id = ${campaignId} AND m.influencer_id = ${influencerId})))
    )
    ORDER BY e.id`.execute(ctx.trx);
  const views = new Map<Role, unknown>();
  for (const e of endpoints) {
    const role: Role = e.owner_role === 'brand' ? 'brand' : 'influencer';
    if (!views.has(role)) views.set(role, await data(role));
    await insertDelivery(ctx, e.id, type, views.get(role));
  }
}

async function insertDelivery(
  ctx: Ctx,
  endpointId: string,
  type: WebhookEventType,
  data: unknown,
  id = `msg_${randomUUID().replace(/-/g, '')}`,
) {
  const endpoint = await ctx.trx
    .selectFrom('endpoints')
    .select(['owner_role', 'owner_id'])
    .where('id', '=', endpointId)
    .executeTakeFirstOrThrow();
  await ctx.trx
    .insertInto('deliveries')
    .values({
      id,
      endpoint_id: endpointId,
      type,
      body: body(type, ctx.envelope.occurredAt, ctx.envelope.correlationId, data),
      cause_message_id: ctx.envelope.messageId,
      correlation_id: ctx.envelope.correlationId,
      status: 'pending',
      next_attempt_at: new Date(),
    })
    .execute();
  await ctx.emit('webhook.DeliveryScheduled', endpointId, {
    deliveryId: id,
    endpointId,
    ownerRole: endpoint.owner_role,
    ownerId: endpoint.owner_id,
    type,
  });
}

const commissionFacts = (trx: Transaction<Database>, id: string) =>
  trx.selectFrom('commissions').selectAll().where('id', '=', id).executeTakeFirst();

const calculated: MessageHandler<Database, CommissionCalculated> = async (ctx) => {
  const c = ctx.message;
  await ctx.trx
    .insertInto('commissions')
    .values({
      id: c.commissionId,
      campaign_id: c.campaignId,
      influencer_id: c.influencerId,
      source_event_id: c.sourceEventId,
      attribution: c.attribution,
      created_at: new Date(ctx.envelope.occurredAt),
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  await schedule(ctx, c, 'commission.created', async () =>
    commissionView(c, 'pending', await commissionFacts(ctx.trx, c.commissionId), { at: ctx.envelope.occurredAt }),
  );
};

const approved: MessageHandler<Database, CommissionApproved> = async (ctx) => {
  const c = ctx.message;
  await schedule(ctx, c, 'commission.approved', async () =>
    commissionView(c, 'approved', await commissionFacts(ctx.trx, c.commissionId), {
      sourceEventId: c.sourceEventId,
      at: ctx.envelope.occurredAt,
    }),
  );
};

const rejected: MessageHandler<Database, CommissionRejected> = async (ctx) => {
  const c = ctx.message;
  await schedule(ctx, c, 'commission.rejected', async () =>
    commissionView(c, 'rejected', await commissionFacts(ctx.trx, c.commissionId), {
      reason: c.reasonDetail ?? c.reason,
      sourceEventId: c.sourceEventId,
      attribution: c.attribution,
      at: ctx.envelope.occurredAt,
    }),
  );
};

/** Held for review: the brand hears why; the influencer only the category (holdCategoriesOf). */
const held: MessageHandler<Database, CommissionHeld> = async (ctx) => {
  const c = ctx.message;
  await schedule(ctx, c, 'commission.held', async (role) => ({
    ...commissionView(c, 'held', await commissionFacts(ctx.trx, c.commissionId), {
      sourceEventId: c.sourceEventId,
      at: ctx.envelope.occurredAt,
    }),
    reasons: role === 'brand' ? c.reasons : holdCategoriesOf(c.reasons),
    reviewBy: c.reviewBy,
  }));
};

/** A held commission rejected in review is a commission.rejected (an approval arrives as CommissionApproved). */
const reviewed: MessageHandler<Database, CommissionReviewed> = async (ctx) => {
  const c = ctx.message;
  if (c.decision !== 'rejected') return;
  await schedule(ctx, c, 'commission.rejected', async () =>
    commissionView(c, 'rejected', await commissionFacts(ctx.trx, c.commissionId), {
      reason: c.reason,
      at: ctx.envelope.occurredAt,
    }),
  );
};

const reversed: MessageHandler<Database, CommissionReversed> = async (ctx) => {
  const c = ctx.message;
  await schedule(ctx, c, 'commission.reversed', async () =>
    commissionView(c, 'reversed', await commissionFacts(ctx.trx, c.commissionId), { at: ctx.envelope.occurredAt }),
  );
};

const payoutCompleted: MessageHandler<Database, PayoutCompleted> = async (ctx) => {
  const p = ctx.message;
  const payout = { id: p.payoutId, influencerId: p.influencerId, amount: money(p.amount), status: 'completed' };
  await schedule(ctx, { influencerId: p.influencerId }, 'payout.completed', () => payout);
  for (const commissionId of p.commissionIds) {
    const facts = await commissionFacts(ctx.trx, commissionId);
    if (!facts) continue;
    const c = { commissionId, campaignId: facts.campaign_id, influencerId: facts.influencer_id, amount: null };
    await schedule(ctx, c, 'commission.paid', () => commissionView(c, 'paid', facts, { at: ctx.envelope.occurredAt }));
  }
};

/**
 * Leads and conversions, to their brand: each item of a tracking batch is a delivery of its own flow.
 * Only stored, valid, first-time ones (not a duplicate order); impressions and clicks are not webhook
 * types. Set-based: one query finds every endpoint of the batch's brands, one insert writes every
 * delivery; a batch of impressions costs nothing but the loop.
 */
const trackingRecorded: MessageHandler<Database, TrackingEventsRecordedV2> = async (ctx) => {
  const items = ctx.message.recorded.flatMap((item) => {
    const e = item.event;
    const type = e.type === 'lead' ? 'lead.recorded' : e.type === 'conversion' ? 'conversion.recorded' : undefined;
    return type && e.valid && !e.duplicate && e.brandId ? [{ item, type, brandId: e.brandId }] : [];
  });
  if (items.length === 0) return;
  const endpoints = await ctx.trx
    .selectFrom('endpoints')
    .select(['id', 'owner_id', 'owner_role', 'event_types'])
    .where('status', '=', 'enabled')
    .where('owner_role', '=', 'brand')
    .where('owner_id', 'in', [...new Set(items.map((i) => i.brandId))])
    .execute();
  if (endpoints.length === 0) return;
  const deliveries = items.flatMap(({ item, type, brandId }) =>
    endpoints
      .filter((e) => e.owner_id === brandId && e.event_types.includes(type))
      .map((e) => ({ item, type, endpoint: e, id: `msg_${randomUUID().replace(/-/g, '')}` })),
  );
  if (deliveries.length === 0) return;
  await ctx.trx
    .insertInto('deliveries')
    .values(
      deliveries.map((d) => ({
        id: d.id,
        endpoint_id: d.endpoint.id,
        type: d.type,
        body: body(d.type, d.item.event.occurredAt, d.item.correlationId, trackingView(d.item.event)),
        cause_message_id: ctx.envelope.messageId,
        correlation_id: d.item.correlationId,
        status: 'pending',
        next_attempt_at: new Date(),
      })),
    )
    .execute();
  for (const d of deliveries)
    await itemContext(ctx, d.item).emit('webhook.DeliveryScheduled', d.endpoint.id, {
      deliveryId: d.id,
      endpointId: d.endpoint.id,
      ownerRole: d.endpoint.owner_role,
      ownerId: d.endpoint.owner_id,
      type: d.type,
    });
};

const payoutFailed: MessageHandler<Database, PayoutFailed> = async (ctx) => {
  const p = ctx.message;
  const payout = {
    id: p.payoutId,
    influencerId: p.influencerId,
    amount: money(p.amount),
    status: 'failed',
    reason: p.reason,
  };
  await schedule(ctx, { influencerId: p.influencerId }, 'payout.failed', () => payout);
};

/** The endpoint a command names, when its owner sent it; otherwise the command is rejected with why. */
async function ownedEndpoint(ctx: Ctx, command: string, m: { endpointId: string; ownerRole: string; ownerId: string }) {
  const e = await ctx.trx
    .selectFrom('endpoints')
    .selectAll()
    .where('id', '=', m.endpointId)
    .forUpdate()
    .executeTakeFirst();
  const reason =
    !e || e.status === 'deleted'
      ? 'UNKNOWN_ENDPOINT'
      : e.owner_role !== m.ownerRole || e.owner_id !== m.ownerId
        ? 'NOT_OWNER'
        : undefined;
  if (reason) {
    await ctx.emit('webhook.EndpointCommandRejected', m.endpointId, { endpointId: m.endpointId, command, reason });
    return undefined;
  }
  return e;
}

const register: MessageHandler<Database, RegisterEndpoint> = async (ctx) => {
  const m = ctx.message;
  const inserted = await ctx.trx
    .insertInto('endpoints')
    .values({
      id: m.endpointId,
      owner_role: m.ownerRole,
      owner_id: m.ownerId,
      url: m.url,
      event_types: m.eventTypes,
      salt: m.salt,
      status: 'enabled',
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return;
  await ctx.emit('webhook.EndpointRegistered', m.endpointId, {
    endpointId: m.endpointId,
    ownerRole: m.ownerRole,
    ownerId: m.ownerId,
    url: m.url,
    eventTypes: m.eventTypes,
  });
};

const rotate: MessageHandler<Database, RotateEndpointSecret> = async (ctx) => {
  const m = ctx.message;
  const e = await ownedEndpoint(ctx, 'RotateEndpointSecret', m);
  if (!e || e.salt === m.salt) return;
  await ctx.trx
    .updateTable('endpoints')
    .set({ previous_salt: e.salt, salt: m.salt, previous_valid_until: new Date(m.previousValidUntil) })
    .where('id', '=', e.id)
    .execute();
  await ctx.emit('webhook.EndpointSecretRotated', e.id, { endpointId: e.id, previousValidUntil: m.previousValidUntil });
};

const remove: MessageHandler<Database, DeleteEndpoint> = async (ctx) => {
  const e = await ownedEndpoint(ctx, 'DeleteEndpoint', ctx.message);
  if (!e) return;
  await ctx.trx.updateTable('endpoints').set({ status: 'deleted' }).where('id', '=', e.id).execute();
  await ctx.trx
    .updateTable('deliveries')
    .set({ status: 'cancelled', next_attempt_at: null })
    .where('endpoint_id', '=', e.id)
    .where('status', '=', 'pending')
    .execute();
  await ctx.emit('webhook.EndpointDeleted', e.id, { endpointId: e.id });
};

const sendTest: MessageHandler<Database, SendTestDelivery> = async (ctx) => {
  const e = await ownedEndpoint(ctx, 'SendTestDelivery', ctx.message);
  if (!e) return;
  const data = { endpointId: e.id, message: 'a test delivery from Beacon' };
  await insertDelivery(ctx, e.id, 'webhook.test', data, ctx.message.deliveryId);
};

const redeliver: MessageHandler<Database, Redeliver> = async (ctx) => {
  const m = ctx.message;
  const e = await ownedEndpoint(ctx, 'Redeliver', m);
  if (!e) return;
  const d = await ctx.trx
    .updateTable('deliveries')
    .set({ status: 'pending', next_attempt_at: new Date(), leased_until: null })
    .where('id', '=', m.deliveryId)
    .where('endpoint_id', '=', e.id)
    .where('status', 'in', ['succeeded', 'failed'])
    .returning(['id', 'type'])
    .executeTakeFirst();
  if (!d) {
    await ctx.emit('webhook.EndpointCommandRejected', e.id, {
      endpointId: e.id,
      command: 'Redeliver',
      reason: 'NOT_REDELIVERABLE',
    });
    return;
  }
  await ctx.emit('webhook.DeliveryScheduled', e.id, {
    deliveryId: d.id,
    endpointId: e.id,
    ownerRole: e.owner_role,
    ownerId: e.owner_id,
    type: d.type,
  });
};

export function webhookService(env: NodeJS.ProcessEnv = process.env): ServiceDefinition<Database> {
  const options = senderOptionsFromEnv(env);
  return {
    name: 'webhook',
    defaultOpsPort: 9105,
    migrations,
    subscriptions: () => [
      {
        topic: 'webhook/commands',
        handlers: {
          'webhook.RegisterEndpoint': register,
          'webhook.RotateEndpointSecret': rotate,
          'webhook.DeleteEndpoint': remove,
          'webhook.SendTestDelivery': sendTest,
          'webhook.Redeliver': redeliver,
        },
      },
      {
        topic: 'campaign/events',
        handlers: {
          'campaign.CampaignCreated': async (ctx) => {
            await ctx.trx
              .insertInto('campaigns')
              .values({ id: ctx.message.campaignId, brand_id: ctx.message.brandId })
              .onConflict((oc) => oc.doNothing())
              .execute();
          },
          'campaign.InfluencerAccepted': async (ctx) => {
            await ctx.trx
              .insertInto('members')
              .values({ campaign_id: ctx.message.campaignId, influencer_id: ctx.message.influencerId })
              .onConflict((oc) => oc.doNothing())
              .execute();
          },
          'campaign.CampaignStatusChanged': async (ctx) => {
            const m = ctx.message;
            if (m.to !== 'budget_exhausted') return;
            await schedule(ctx, { campaignId: m.campaignId }, 'campaign.budget_exhausted', () => ({
              id: m.campaignId,
              status: m.to,
              previousStatus: m.from,
            }));
          },
        },
      },
      {
        topic: 'commission/events',
        handlers: {
          'commission.CommissionCalculated': calculated,
          'commission.CommissionApproved': approved,
          'commission.CommissionRejected': rejected,
          'commission.CommissionReversed': reversed,
        },
      },
      {
        topic: 'commission/review-events',
        handlers: { 'commission.CommissionHeld': held, 'commission.CommissionReviewed': reviewed },
      },
      {
        topic: 'payment/events',
        handlers: { 'payment.PayoutCompleted': payoutCompleted, 'payment.PayoutFailed': payoutFailed },
      },
      { topic: 'tracking/event-batches-v2', handlers: { 'tracking.TrackingEventsRecordedV2': trackingRecorded } },
    ],
    start: async (ctx) => startSender(ctx, options),
  };
}
