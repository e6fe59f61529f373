/**
 * The sender: takes due deliveries (a lease, so a second replica or a restart after kill -9 takes
 * over a delivery whose sender died), makes one attempt each, and records the outcome with its
 * DeliveryAttempted event in one transaction. A delivery is sent at least once; its webhook-id is the
 * same on every attempt, so a receiver that deduplicates on it sees it once.
 */
import { sql } from 'kysely';
import { webhookHeaders, webhookKeyFromEnv, webhookSecretOf } from '@beacon/domain';
import { buildMessage, enqueue } from '@beacon/messaging';
import type { ServiceContext } from '@beacon/service-kit';
import type { Database } from './db.js';
import { disabledAt, nextAttemptAt } from './schedule.js';
import { send, type Attempt, type SendOptions } from './sender.js';

export interface SenderOptions extends SendOptions {
  key: string;
  /** shortens every retry delay and the 5-day disabling (tests set it; production leaves 1) */
  scale: number;
  pollMs: number;
  /** at most this many deliveries in flight per replica */
  concurrency: number;
  leaseMs: number;
}

export function senderOptionsFromEnv(env: NodeJS.ProcessEnv): SenderOptions {
  const development = env.BEACON_ENV === 'development';
  const scale = Number(env.WEBHOOK_RETRY_SCALE ?? 1);
  if (!(scale > 0 && scale <= 1)) throw new Error('WEBHOOK_RETRY_SCALE must be in (0, 1]');
  if (scale !== 1 && !development) throw new Error('WEBHOOK_RETRY_SCALE is for development only');
  const timeoutMs = Number(env.WEBHOOK_TIMEOUT_MS ?? 10_000);
  return {
    key: webhookKeyFromEnv(env),
    allowPrivate: development,
    timeoutMs,
    maxResponseBytes: 1024,
    scale,
    pollMs: 100,
    concurrency: 32,
    leaseMs: timeoutMs * 3,
  };
}

type Due = {
  id: string;
  endpoint_id: string;
  body: string;
  attempts: number;
  cause_message_id: string;
  correlation_id: string;
  url: string;
  salt: string;
  previous_salt: string | null;
  previous_valid_until: Date | null;
};

export function startSender(ctx: ServiceContext<Database>, options: SenderOptions): () => Promise<void> {
  let stopped = false;
  let inFlight = 0;
  const running = new Set<Promise<void>>();

  const claim = async (limit: number): Promise<Due[]> => {
    const { rows } = await sql<Due>`
      UPDATE deliveries d SET leased_until = now() + ${`${options.leaseMs} milliseconds`}::interval
      FROM (SELECT id FROM deliveries
              WHERE status = 'pending' AND next_attempt_at <= now() AND (leased_until IS NULL OR leased_until < now())
              ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED) due,
           endpoints e
      WHERE d.id = due.id AND e.id = d.endpoint_id
      RETURNING d.id, d.endpoint_id, d.body, d.attempts, d.cause_message_id, d.correlation_id,
        e.url, e.salt, e.previous_salt, e.previous_valid_until`.execute(ctx.db);
    return rows;
  };

  const secretsOf = (d: Due, now: Date) => [
    webhookSecretOf(options.key, d.endpoint_id, d.salt),
    ...(d.previous_salt && d.previous_valid_until && d.previous_valid_until > now
      ? [webhookSecretOf(options.key, d.endpoint_id, d.previous_salt)]
      : []),
  ];

  const deliver = async (d: Due) => {
    const now = new Date();
    const headers = webhookHeaders(d.id, Math.floor(now.getTime() / 1000), d.body, secretsOf(d, now));
    const attempt = await send(d.url, headers, d.body, options);
    await record(d, attempt, new Date());
  };

  const record = (d: Due, attempt: Attempt, at: Date) =>
    ctx.db.transaction().execute(async (trx) => {
      const number = d.attempts + 1;
      const next = attempt.ok ? undefined : nextAttemptAt(number, at, options.scale);
      const status = attempt.ok ? 'succeeded' : next ? 'pending' : 'failed';
      // Only the sender that holds the lease records: a delivery taken over meanwhile is the other's.
      const held = await trx
        .updateTable('deliveries')
        .set({ status, attempts: number, next_attempt_at: next ?? null, leased_until: null })
        .where('id', '=', d.id)
        .where('status', '=', 'pending')
        .where('attempts', '=', d.attempts)
        .returning('id')
        .executeTakeFirst();
      if (!held) return;
      await trx
        .insertInto('attempts')
        .values({
          delivery_id: d.id,
          attempt: number,
          at,
          status_code: attempt.statusCode ?? null,
          latency_ms: attempt.latencyMs,
          response_snippet: attempt.snippet,
          error: attempt.error ?? null,
        })
        .execute();
      const emit = async (messageType: 'webhook.DeliveryAttempted' | 'webhook.EndpointDisabled', value: unknown) => {
        const cause = { messageId: d.cause_message_id, correlationId: d.correlation_id };
        const { message } = buildMessage(ctx.codecs, {
          messageType,
          key: d.endpoint_id,
          value,
          producer: 'webhook',
          cause,
        });
        await enqueue(trx, message);
      };
      await emit('webhook.DeliveryAttempted', {
        deliveryId: d.id,
        endpointId: d.endpoint_id,
        attempt: number,
        status,
        statusCode: attempt.statusCode ?? null,
        latencyMs: attempt.latencyMs,
        nextAttemptAt: next?.toISOString() ?? null,
        responseSnippet: attempt.snippet,
        error: attempt.error ?? null,
      });
      const endpoint = await trx
        .updateTable('endpoints')
        .set(attempt.ok ? { failing_since: null } : { failing_since: sql`coalesce(failing_since, ${at})` })
        .where('id', '=', d.endpoint_id)
        .returning(['status', 'failing_since'])
        .executeTakeFirstOrThrow();
      if (endpoint.status === 'enabled' && !attempt.ok && disabledAt(endpoint.failing_since, at, options.scale)) {
        const reason = `every attempt failed since ${endpoint.failing_since?.toISOString()}; last: ${
          attempt.error ?? `HTTP ${attempt.statusCode}`
        }`;
        await trx
          .updateTable('endpoints')
          .set({ status: 'disabled', disabled_reason: reason })
          .where('id', '=', d.endpoint_id)
          .execute();
        await trx
          .updateTable('deliveries')
          .set({ status: 'failed', next_attempt_at: null })
          .where('endpoint_id', '=', d.endpoint_id)
          .where('status', '=', 'pending')
          .execute();
        await emit('webhook.EndpointDisabled', { endpointId: d.endpoint_id, reason });
      }
    });

  const tick = async () => {
    while (!stopped) {
      const room = options.concurrency - inFlight;
      const due =
        room > 0
          ? await claim(room).catch((error: unknown) => {
              ctx.logger.warn({ err: (error as Error).message }, 'claiming deliveries failed');
              return [];
            })
          : [];
      for (const d of due) {
        inFlight += 1;
        const p = deliver(d)
          .catch((error: unknown) =>
            ctx.logger.warn({ err: (error as Error).message, delivery: d.id }, 'delivery failed'),
          )
          .finally(() => {
            inFlight -= 1;
            running.delete(p);
          });
        running.add(p);
      }
      if (due.length === 0) await new Promise((r) => setTimeout(r, options.pollMs));
    }
  };
  const loop = tick();
  return async () => {
    stopped = true;
    await loop;
    await Promise.allSettled([...running]);
  };
}
