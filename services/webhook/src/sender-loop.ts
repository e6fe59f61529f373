/**
 * The sender: takes due deliveries (a lease, so a second replica or a restart after kill -9 takes
 * over a delivery whose sender died), makes one attempt each, and records the outcome with its
 * DeliveryAttempted event in one transaction. A delivery is sent at least once; its webhook-id is the
 * same on every attempt, so a receiver that deduplicates on it sees it once.
 */
import { sql, type Transaction } from 'kysely';
import { webhookHeaders, webhookKeyFromEnv, webhookSecretOf } from '@beacon/domain';
import { buildMessage, enqueue, type CommittedRow } from '@beacon/messaging';
import { connect, type ServiceContext } from '@beacon/service-kit';
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
  /** the sender's own connections: its bookkeeping never takes the consumers' pool */
  poolSize: number;
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
    poolSize: 4,
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
  // Its own pool: 32 requests in flight must not leave the consumers waiting for a connection.
  const { db, pool } = connect<Database>(ctx.config.databaseUrl, options.poolSize);
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
        e.url, e.salt, e.previous_salt, e.previous_valid_until`.execute(db);
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

  /** One attempt's row, its delivery's state and its event (written to `written`), in the caller's transaction. */
  const recordOne = async (trx: Transaction<Database>, d: Due, attempt: Attempt, at: Date, written: CommittedRow[]) => {
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
      await enqueue(trx, message, written);
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
    // The endpoint's row is written only when its failing streak starts or ends: deliveries to one
    // endpoint do not queue on its row lock while it keeps succeeding (or keeps failing).
    if (attempt.ok) {
      await trx
        .updateTable('endpoints')
        .set({ failing_since: null })
        .where('id', '=', d.endpoint_id)
        .where('failing_since', 'is not', null)
        .execute();
      return;
    }
    await trx
      .updateTable('endpoints')
      .set({ failing_since: at })
      .where('id', '=', d.endpoint_id)
      .where('failing_since', 'is', null)
      .execute();
    const endpoint = await trx
      .selectFrom('endpoints')
      .select(['status', 'failing_since'])
      .where('id', '=', d.endpoint_id)
      .executeTakeFirstOrThrow();
    if (endpoint.status === 'enabled' && disabledAt(endpoint.failing_since, at, options.scale)) {
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
  };

  /**
   * Attempts are recorded in groups, one transaction at a time (a group commit): a transaction per
   * attempt made the commit, not the receiver, the limit. A group that fails leaves its deliveries
   * leased; their leases run out and they are sent again, under the same webhook-id.
   */
  const queue: Array<{ d: Due; attempt: Attempt; at: Date; done: (error?: unknown) => void }> = [];
  let recording = false;
  const flush = async () => {
    if (recording) return;
    recording = true;
    try {
      while (queue.length > 0) {
        const group = queue.splice(0, 100);
        const written: CommittedRow[] = [];
        try {
          await db.transaction().execute(async (trx) => {
            for (const g of group) await recordOne(trx, g.d, g.attempt, g.at, written);
          });
          for (const g of group) g.done();
          // Committed rows: the relay sends them (and its poll, whatever this send does not).
          if (written.length > 0) void ctx.relay.sendCommitted(written);
        } catch (error) {
          for (const g of group) g.done(error);
        }
      }
    } finally {
      recording = false;
    }
  };
  const record = (d: Due, attempt: Attempt, at: Date) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ d, attempt, at, done: (error) => (error ? reject(error as Error) : resolve()) });
      void flush();
    });

  /** Resolved when a slot frees up, so a full sender claims again at once rather than after a poll. */
  let slotFreed: () => void = () => undefined;
  const tick = async () => {
    while (!stopped) {
      const room = options.concurrency - inFlight;
      if (room === 0) {
        await new Promise<void>((resolve) => (slotFreed = resolve));
        continue;
      }
      const due = await claim(room).catch((error: unknown) => {
        ctx.logger.warn({ err: (error as Error).message }, 'claiming deliveries failed');
        return [];
      });
      for (const d of due) {
        inFlight += 1;
        const p = deliver(d)
          .catch((error: unknown) =>
            ctx.logger.warn({ err: (error as Error).message, delivery: d.id }, 'delivery failed'),
          )
          .finally(() => {
            inFlight -= 1;
            running.delete(p);
            slotFreed();
          });
        running.add(p);
      }
      if (due.length === 0) await new Promise((r) => setTimeout(r, options.pollMs));
    }
  };
  const loop = tick();
  return async () => {
    stopped = true;
    slotFreed();
    await loop;
    await Promise.allSettled([...running]);
    await pool.end();
  };
}
