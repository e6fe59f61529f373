/**
 * Webhook endpoints: registered, rotated, tested, redelivered and deleted as webhook commands; read
 * from rm_webhook_endpoints and rm_webhook_deliveries. A secret is derived from the key this BFF
 * shares with the webhook service and the endpoint's salt (@beacon/domain's webhooks.ts), so it is
 * shown here and stored nowhere.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Kysely, Selectable } from 'kysely';
import type { z } from 'zod';
import { INFLUENCER_EVENT_TYPES, webhookSecretOf, webhookUrlProblem } from '@beacon/domain';
import { acceptCommand, followOperation, type Publisher } from '../command-gateway.js';
import type { Database } from '../db.js';
import { mount } from '../http/endpoint.js';
import { fetchPage, pageParams } from '../http/paging.js';
import { Problem } from '../http/problems.js';
import { ownedEndpoint, ownerRoleOf, scopeEndpoints, type EndpointRow } from './access.js';
import {
  MAX_ENDPOINTS_PER_OWNER,
  ROTATION_OVERLAP_HOURS,
  webhookEndpoints,
  type DeliveryView,
  type WebhookView,
} from './contract.js';

const view = (e: EndpointRow): z.input<typeof WebhookView> => ({
  id: e.id,
  url: e.url,
  events: e.event_types,
  status: e.status === 'disabled' ? 'disabled' : 'enabled',
  ...(e.disabled_reason ? { disabledReason: e.disabled_reason } : {}),
  createdAt: e.created_at.toISOString(),
});

const deliveryView = (d: Selectable<Database['rm_webhook_deliveries']>): z.input<typeof DeliveryView> => ({
  id: d.id,
  type: d.type,
  status: d.status as z.input<typeof DeliveryView>['status'],
  attempts: d.attempts,
  ...(d.last_status_code !== null ? { lastStatusCode: d.last_status_code } : {}),
  ...(d.last_latency_ms !== null ? { lastLatencyMs: d.last_latency_ms } : {}),
  ...(d.next_attempt_at ? { nextAttemptAt: d.next_attempt_at.toISOString() } : {}),
  ...(d.response_snippet !== null ? { responseSnippet: d.response_snippet } : {}),
  ...(d.last_error !== null ? { lastError: d.last_error } : {}),
  createdAt: d.created_at.toISOString(),
});

const invalid = (path: string, message: string) =>
  new Problem(400, 'Bad Request', 'the request is not valid', [{ path, message }]);

const newSalt = () => randomBytes(16).toString('base64url');

export function webhookRoutes(
  db: Kysely<Database>,
  publisher: Publisher,
  options: { key: string; development: boolean },
) {
  const router = Router();
  const owner = (e: EndpointRow) => ({ endpointId: e.id, ownerRole: e.owner_role, ownerId: e.owner_id });

  mount(router, webhookEndpoints.createWebhook, async ({ body }, req, res) => {
    const ownerRole = ownerRoleOf(req);
    const problem = webhookUrlProblem(body.url, { allowPrivate: options.development });
    if (problem) throw invalid('url', `not a webhook URL: ${problem}`);
    const foreign = ownerRole === 'influencer' ? body.events.filter((t) => !INFLUENCER_EVENT_TYPES.includes(t)) : [];
    if (foreign.length > 0) throw invalid('events', `an influencer's endpoint cannot receive ${foreign.join(', ')}`);
    const held = await db
      .selectFrom('rm_webhook_endpoints')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('owner_role', '=', ownerRole)
      .where('owner_id', '=', req.caller.sub)
      .where('status', '<>', 'deleted')
      .executeTakeFirstOrThrow();
    if (Number(held.n) >= MAX_ENDPOINTS_PER_OWNER)
      throw new Problem(409, 'Conflict', `at most ${MAX_ENDPOINTS_PER_OWNER} webhook endpoints per owner`);
    const endpointId = `wh_${randomUUID().replace(/-/g, '')}`;
    const salt = newSalt();
    const command = { endpointId, ownerRole, ownerId: req.caller.sub, url: body.url, eventTypes: body.events, salt };
    const envelope = await publisher.send(req, 'webhook.RegisterEndpoint', endpointId, command);
    // Listed at once, before the webhook service has it: the row its EndpointRegistered writes, with the
    // same time (the command's, which the event's projection reads from the command's step), whichever is first.
    await db
      .insertInto('rm_webhook_endpoints')
      .values({
        id: endpointId,
        owner_role: ownerRole,
        owner_id: req.caller.sub,
        url: body.url,
        event_types: body.events,
        status: 'enabled',
        created_at: new Date(envelope.occurredAt),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    const row = await db
      .selectFrom('rm_webhook_endpoints')
      .selectAll()
      .where('id', '=', endpointId)
      .executeTakeFirstOrThrow();
    followOperation(res, envelope.correlationId);
    return { ...view(row), secret: webhookSecretOf(options.key, endpointId, salt) };
  });

  mount(router, webhookEndpoints.listWebhooks, async ({ query }, req) => {
    const { limit, after } = pageParams(query);
    return fetchPage(
      scopeEndpoints(req, db.selectFrom('rm_webhook_endpoints').selectAll()).where('seq', '>', after),
      limit,
      view,
    );
  });

  mount(router, webhookEndpoints.getWebhook, async ({ params }, req) => view(await ownedEndpoint(db, req, params.id)));

  mount(router, webhookEndpoints.deleteWebhook, async ({ params }, req, res) => {
    const e = await ownedEndpoint(db, req, params.id);
    return acceptCommand(publisher, req, res, { type: 'webhook.DeleteEndpoint', key: e.id, value: owner(e) });
  });

  mount(router, webhookEndpoints.rotateWebhookSecret, async ({ params }, req, res) => {
    const e = await ownedEndpoint(db, req, params.id);
    const salt = newSalt();
    const previousValidUntil = new Date(Date.now() + ROTATION_OVERLAP_HOURS * 3_600_000).toISOString();
    const envelope = await publisher.send(req, 'webhook.RotateEndpointSecret', e.id, {
      ...owner(e),
      salt,
      previousValidUntil,
    });
    followOperation(res, envelope.correlationId);
    return {
      id: e.id,
      secret: webhookSecretOf(options.key, e.id, salt),
      previousSecretValidUntil: previousValidUntil,
      correlationId: envelope.correlationId,
    };
  });

  mount(router, webhookEndpoints.testWebhook, async ({ params }, req, res) => {
    const e = await ownedEndpoint(db, req, params.id);
    const deliveryId = `msg_${randomUUID().replace(/-/g, '')}`;
    return acceptCommand(publisher, req, res, {
      type: 'webhook.SendTestDelivery',
      key: e.id,
      value: { ...owner(e), deliveryId },
      id: deliveryId,
    });
  });

  mount(router, webhookEndpoints.listDeliveries, async ({ params, query }, req) => {
    const e = await ownedEndpoint(db, req, params.id);
    const { limit, after } = pageParams(query);
    const q = db
      .selectFrom('rm_webhook_deliveries')
      .selectAll()
      .where('endpoint_id', '=', e.id)
      .where('seq', '>', after);
    return fetchPage(q, limit, deliveryView);
  });

  mount(router, webhookEndpoints.redeliver, async ({ params }, req, res) => {
    const e = await ownedEndpoint(db, req, params.id);
    const d = await db
      .selectFrom('rm_webhook_deliveries')
      .select(['id', 'status'])
      .where('id', '=', params.deliveryId)
      .where('endpoint_id', '=', e.id)
      .executeTakeFirst();
    if (!d) throw new Problem(404, 'Not Found', `delivery ${params.deliveryId}`);
    if (d.status === 'pending' || d.status === 'cancelled')
      throw new Problem(409, 'Conflict', `the delivery is ${d.status}; only a finished one is redelivered`);
    return acceptCommand(publisher, req, res, {
      type: 'webhook.Redeliver',
      key: e.id,
      value: { ...owner(e), deliveryId: d.id },
      id: d.id,
    });
  });

  return router;
}
