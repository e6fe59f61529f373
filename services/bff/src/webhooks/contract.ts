/**
 * The webhooks slice's HTTP contract: a brand's or an influencer's endpoints (Standard Webhooks; the
 * secret is shown at creation and at rotation, never again), their delivery logs, a test delivery
 * and a redelivery. The webhook service decides and delivers; these routes send it commands and read
 * what its events say.
 */
import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '@beacon/domain';
import { accepted, endpoint, nullableString, page, Paging, text, type Endpoint } from '../http/contract.js';

/** How many endpoints one owner may hold (api.md: capped and documented). */
export const MAX_ENDPOINTS_PER_OWNER = 20;
/** How long the previous secret still signs after a rotation. */
export const ROTATION_OVERLAP_HOURS = 24;

export const WebhookBody = z
  .object({
    url: text(8, 2000).openapi({ example: 'https://hooks.example.com/beacon' }),
    events: z
      .array(z.enum(WEBHOOK_EVENT_TYPES))
      .min(1)
      .max(WEBHOOK_EVENT_TYPES.length)
      .refine((e) => new Set(e).size === e.length, 'each type once'),
  })
  .strict()
  .openapi('WebhookRequest');

const WebhookParams = z.object({ id: text(1, 128).openapi({ description: 'the endpoint id' }) });
const DeliveryParams = WebhookParams.extend({ deliveryId: text(1, 128) });

export const WebhookView = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    status: z.enum(['enabled', 'disabled']),
    disabledReason: z
      .string()
      .optional()
      .openapi({ description: 'why it was disabled (every attempt failed for 5 days)' }),
    createdAt: z.string(),
  })
  .openapi('Webhook');

export const WebhookCreatedView = WebhookView.extend({
  secret: z.string().openapi({ description: 'whsec_…: shown only here; verify each delivery with it' }),
}).openapi('WebhookCreated');

export const RotatedSecretView = z
  .object({
    id: z.string(),
    secret: z.string().openapi({ description: 'the new whsec_…; shown only here' }),
    previousSecretValidUntil: z.string().openapi({ description: 'the old secret also signs until then' }),
    correlationId: z.string(),
  })
  .openapi('RotatedSecret');

export const DeliveryView = z
  .object({
    id: z.string().openapi({ description: 'the webhook-id header, the same on every attempt' }),
    type: z.string(),
    status: z.enum(['pending', 'succeeded', 'failed', 'cancelled']),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().optional(),
    lastLatencyMs: z.number().int().optional(),
    nextAttemptAt: z.string().optional(),
    responseSnippet: z.string().optional().openapi({ description: 'the first bytes of the last answer' }),
    lastError: nullableString.optional().openapi({ description: 'why the last attempt got no answer' }),
    createdAt: z.string(),
  })
  .openapi('WebhookDelivery');

const owners = ['brand', 'influencer', 'admin'] as const;
const scope = 'the endpoint’s owner (others get 404); admin: all';

export const webhookEndpoints = {
  createWebhook: endpoint({
    method: 'post',
    path: '/api/v1/webhooks',
    summary: 'Register a webhook endpoint',
    roles: ['brand', 'influencer'],
    scope:
      'a brand: events of its campaigns; an influencer: its own commissions and payouts. https only outside ' +
      `development; at most ${MAX_ENDPOINTS_PER_OWNER} per owner`,
    body: WebhookBody,
    ok: { status: 201, description: 'the endpoint, with its secret (shown only here)', schema: WebhookCreatedView },
  }),
  listWebhooks: endpoint({
    method: 'get',
    path: '/api/v1/webhooks',
    summary: 'Webhook endpoints',
    roles: owners,
    scope: 'the caller’s own; admin: all',
    query: Paging,
    ok: { status: 200, description: 'a page of endpoints', schema: page(WebhookView, 'WebhookPage') },
  }),
  getWebhook: endpoint({
    method: 'get',
    path: '/api/v1/webhooks/{id}',
    summary: 'A webhook endpoint',
    roles: owners,
    scope,
    params: WebhookParams,
    ok: { status: 200, description: 'the endpoint', schema: WebhookView },
  }),
  deleteWebhook: endpoint({
    method: 'delete',
    path: '/api/v1/webhooks/{id}',
    summary: 'Delete a webhook endpoint (its pending deliveries are cancelled)',
    roles: owners,
    scope,
    params: WebhookParams,
    ok: accepted('`id` is the endpoint id'),
  }),
  rotateWebhookSecret: endpoint({
    method: 'post',
    path: '/api/v1/webhooks/{id}/rotate-secret',
    summary: `A new secret; the old one keeps signing for ${ROTATION_OVERLAP_HOURS} h`,
    roles: owners,
    scope,
    params: WebhookParams,
    ok: { status: 200, description: 'the new secret (shown only here)', schema: RotatedSecretView },
  }),
  testWebhook: endpoint({
    method: 'post',
    path: '/api/v1/webhooks/{id}/test',
    summary: 'Send a webhook.test delivery',
    roles: owners,
    scope,
    params: WebhookParams,
    ok: accepted('`id` is the delivery id (the webhook-id)'),
  }),
  listDeliveries: endpoint({
    method: 'get',
    path: '/api/v1/webhooks/{id}/deliveries',
    summary: 'An endpoint’s delivery log, oldest first',
    roles: owners,
    scope,
    params: WebhookParams,
    query: Paging,
    ok: { status: 200, description: 'a page of deliveries', schema: page(DeliveryView, 'WebhookDeliveryPage') },
  }),
  redeliver: endpoint({
    method: 'post',
    path: '/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
    summary: 'Attempt a finished delivery again, with the same webhook-id',
    roles: owners,
    scope,
    params: DeliveryParams,
    ok: accepted('`id` is the delivery id'),
  }),
} satisfies Record<string, Endpoint>;
