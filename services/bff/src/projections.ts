/**
 * Read models, fed by every context's events, in the same transaction as the inbox claim. Each slice
 * owns its projection (`<slice>/projection.ts`); here they are gathered, and every event also becomes
 * a step of its flow's timeline (operations/).
 */
import type { MessageHandler, MessageHandlers, MessageType } from '@beacon/contracts';
import { MESSAGE_TOPICS } from '@beacon/contracts';
import { campaignManyProjections, campaignProjections } from './campaigns/projection.js';
import type { Database } from './db.js';
import { observeEvent, observeEvents } from './operations/settle.js';
import { paymentManyProjections, paymentProjections } from './payments/projection.js';
import type { ManyProjection, ManyProjections, Projections } from './projection-kit.js';
import { trackingProjections } from './tracking/projection.js';
import { webhookProjections } from './webhooks/projection.js';

const projections: Projections = {
  ...campaignProjections,
  ...trackingProjections,
  ...paymentProjections,
  ...webhookProjections,
};
const manyProjections: ManyProjections = { ...campaignManyProjections, ...paymentManyProjections };

/** Tracking batches are not steps of their own: a tracking flow's timeline is read back from the read model. */
const DERIVED_STEPS = new Set(['tracking.TrackingEventsRecorded', 'tracking.TrackingEventsRecordedV2']);

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
    const projectMany = manyProjections[type] as ManyProjection<MessageType> | undefined;
    handler.many = async (items) => {
      const first = items[0];
      if (!first) return;
      if (projectMany) await projectMany(items as Parameters<ManyProjection<MessageType>>[0]);
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
