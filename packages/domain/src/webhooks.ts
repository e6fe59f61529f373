/**
 * Webhooks in the Standard Webhooks format (standardwebhooks.com): what an endpoint may subscribe to,
 * how its secret is made, and how a delivery is signed. The BFF (which shows a secret once) and the
 * webhook service (which signs with it) derive an endpoint's secret from one key they share and the
 * endpoint's salt: no secret is stored in a database or carried in a message.
 */
import { createHmac } from 'node:crypto';

export { INFLUENCER_EVENT_TYPES, WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-types.js';

export const SECRET_PREFIX = 'whsec_';

/** The secret of an endpoint's generation `salt`: `whsec_` and 32 bytes of HMAC-SHA256, base64. */
export function webhookSecretOf(key: string, endpointId: string, salt: string): string {
  return SECRET_PREFIX + createHmac('sha256', key).update(`${endpointId}.${salt}`).digest('base64');
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the secret's bytes (the base64 after `whsec_`). */
export function webhookSignatureOf(secret: string, id: string, timestampSeconds: number, body: string): string {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('a webhook secret starts with whsec_');
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** The headers of one attempt: every valid secret signs it (during a rotation's overlap, two). */
export function webhookHeaders(
  id: string,
  timestampSeconds: number,
  body: string,
  secrets: readonly string[],
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'Beacon-Webhooks/1.0',
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((s) => webhookSignatureOf(s, id, timestampSeconds, body)).join(' '),
  };
}

/** The development key: refused anywhere but development, where it is the default. */
export const DEV_WEBHOOK_KEY = 'dev-webhook-key-change-me-0123456789';

/** WEBHOOK_SECRET_KEY, which the BFF and the webhook service share: at least 32 characters outside development. */
export function webhookKeyFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const key = env.WEBHOOK_SECRET_KEY;
  if (env.BEACON_ENV === 'development') return key || DEV_WEBHOOK_KEY;
  if (!key || key.length < 32 || key === DEV_WEBHOOK_KEY)
    throw new Error('WEBHOOK_SECRET_KEY must be set to a secret of at least 32 characters outside development');
  return key;
}
