/** The webhooks read models, fed by the webhook service's events: endpoints' state and each delivery's latest attempt. */
import type { Projections } from '../projection-kit.js';

export const webhookProjections: Projections = {
  'webhook.EndpointRegistered': async ({ trx, message: e, envelope }) => {
    // Created when the BFF sent the command (the route lists it with that time); the event's own time
    // only when the command's step is gone (pruned after the operations' retention).
    const command = await trx
      .selectFrom('operation_steps')
      .select('occurred_at')
      .where('message_id', '=', envelope.causationId)
      .where('kind', '=', 'command')
      .executeTakeFirst();
    await trx
      .insertInto('rm_webhook_endpoints')
      .values({
        id: e.endpointId,
        owner_role: e.ownerRole,
        owner_id: e.ownerId,
        url: e.url,
        event_types: e.eventTypes,
        status: 'enabled',
        created_at: new Date(command?.occurred_at ?? envelope.occurredAt),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  },
  'webhook.EndpointDeleted': async ({ trx, message: e }) => {
    await trx.updateTable('rm_webhook_endpoints').set({ status: 'deleted' }).where('id', '=', e.endpointId).execute();
    await trx
      .updateTable('rm_webhook_deliveries')
      .set({ status: 'cancelled', next_attempt_at: null })
      .where('endpoint_id', '=', e.endpointId)
      .where('status', '=', 'pending')
      .execute();
  },
  'webhook.EndpointDisabled': async ({ trx, message: e }) => {
    await trx
      .updateTable('rm_webhook_endpoints')
      .set({ status: 'disabled', disabled_reason: e.reason })
      .where('id', '=', e.endpointId)
      .where('status', '=', 'enabled')
      .execute();
    // As the webhook service does: a disabled endpoint's pending deliveries are given up.
    await trx
      .updateTable('rm_webhook_deliveries')
      .set({ status: 'failed', next_attempt_at: null })
      .where('endpoint_id', '=', e.endpointId)
      .where('status', '=', 'pending')
      .execute();
  },
  'webhook.DeliveryScheduled': async ({ trx, message: d, envelope }) => {
    // A redelivery schedules a known delivery again: pending once more, its attempts kept.
    await trx
      .insertInto('rm_webhook_deliveries')
      .values({
        id: d.deliveryId,
        endpoint_id: d.endpointId,
        type: d.type,
        status: 'pending',
        created_at: new Date(envelope.occurredAt),
      })
      .onConflict((oc) => oc.column('id').doUpdateSet({ status: 'pending', next_attempt_at: null }))
      .execute();
  },
  'webhook.DeliveryAttempted': async ({ trx, message: a }) => {
    // Attempts of one delivery are keyed by its endpoint, so they arrive in order; an older one never overwrites.
    await trx
      .updateTable('rm_webhook_deliveries')
      .set({
        status: a.status,
        attempts: a.attempt,
        last_status_code: a.statusCode,
        last_latency_ms: a.latencyMs,
        next_attempt_at: a.nextAttemptAt ? new Date(a.nextAttemptAt) : null,
        response_snippet: a.responseSnippet,
        last_error: a.error,
      })
      .where('id', '=', a.deliveryId)
      .where('attempts', '<=', a.attempt)
      .execute();
  },
};
