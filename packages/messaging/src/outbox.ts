/**
 * Transactional outbox. A handler writes its state change and the messages it emits in one
 * PostgreSQL transaction; the relay publishes unpublished rows to Pulsar, in order per key, a window
 * at a time without waiting for each acknowledgement, and marks them sent in one statement. It wakes on LISTEN/NOTIFY and polls as a fallback. A transaction-scoped
 * advisory lock lets only one relay of a database publish at a time, so replicas never publish a
 * row twice; a relay that dies after publishing but before committing leaves rows that are sent
 * again, which the consumers' inbox absorbs (same message-id).
 */
import pg from 'pg';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { MessageBus, OutgoingMessage } from './bus.js';
import { Header } from './envelope.js';
import type { MessagingTables } from './schema.js';

export const OUTBOX_CHANNEL = 'beacon_outbox';
/** Arbitrary constant: each service has its own database, so one lock id per database is enough. */
const RELAY_LOCK_ID = 724_311_001;

export async function enqueue<DB extends MessagingTables>(
  executor: Transaction<DB> | Kysely<DB>,
  message: OutgoingMessage,
): Promise<void> {
  const trx = executor as unknown as Kysely<MessagingTables>;
  const messageId = message.properties[Header.messageId];
  if (!messageId) throw new Error('outbox messages need a message-id property');
  await trx
    .insertInto('outbox')
    .values({
      message_id: messageId,
      topic: message.topic,
      key: message.key,
      payload: message.payload,
      properties: JSON.stringify(message.properties),
      published_at: null,
      last_error: null,
    })
    .execute();
  await sql`SELECT pg_notify(${OUTBOX_CHANNEL}, '')`.execute(trx);
}

export interface OutboxRelayOptions<DB extends MessagingTables = MessagingTables> {
  db: Kysely<DB>;
  /** Connection string for the LISTEN connection (a pooled connection cannot hold LISTEN). */
  connectionString: string;
  bus: MessageBus;
  logger?: Logger;
  pollIntervalMs?: number;
  batchSize?: number;
  onPublished?: (count: number) => void;
}

export interface OutboxStats {
  backlog: number;
  oldestAgeSeconds: number;
}

export interface OutboxRelay {
  /** Publishes one batch now; returns how many rows were published. */
  flushOnce(): Promise<number>;
  stats(): Promise<OutboxStats>;
  /** Stops waking up, then publishes what is pending for at most `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

interface Row {
  id: string;
  message_id: string;
  topic: string;
  key: string;
  payload: Buffer;
  properties: Record<string, string>;
}

interface PassResult {
  published: number;
  full: boolean;
  failed: number;
}

/**
 * One pass of the relay, under the database's relay lock: the oldest unpublished rows, sent at once,
 * and the rows before each key's first failure marked published in one statement.
 */
async function publishPass(db: Kysely<MessagingTables>, bus: MessageBus, batchSize: number): Promise<PassResult> {
  return db.transaction().execute(async (trx) => {
    const lock = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK_ID}) AS ok`.execute(trx);
    if (!lock.rows[0]?.ok) return { published: 0, full: false, failed: 0 };
    const rows = (await trx
      .selectFrom('outbox')
      .select(['id', 'message_id', 'topic', 'key', 'payload', 'properties'])
      .where('published_at', 'is', null)
      .orderBy('id')
      .limit(batchSize)
      .execute()) as Row[];
    if (rows.length === 0) return { published: 0, full: false, failed: 0 };

    const byKey = new Map<string, Row[]>();
    for (const row of rows) {
      const group = byKey.get(`${row.topic}\u0000${row.key}`) ?? [];
      group.push(row);
      byKey.set(`${row.topic}\u0000${row.key}`, group);
    }
    const sent: string[] = [];
    const failed: Array<{ id: string; error: string }> = [];
    // Pipelined: every row is sent at once, in order (one producer socket per topic keeps it), and
    // the acknowledgements are awaited together. Per key, only the rows before its first failure
    // count as sent; the failed row and everything after it go again, in order, on the next pass
    // (any of those the broker did store are duplicates the consumers' inbox absorbs).
    await Promise.all(
      [...byKey.values()].map(async (group) => {
        const outcomes = await Promise.allSettled(
          group.map((row) =>
            bus.publish({ topic: row.topic, key: row.key, payload: row.payload, properties: row.properties }),
          ),
        );
        for (const [i, row] of group.entries()) {
          const outcome = outcomes[i];
          if (outcome?.status === 'rejected') {
            failed.push({ id: row.id, error: (outcome.reason as Error).message });
            return;
          }
          sent.push(row.id);
        }
      }),
    );
    if (sent.length > 0) {
      await trx.updateTable('outbox').set({ published_at: new Date() }).where('id', 'in', sent).execute();
    }
    for (const f of failed) {
      await trx
        .updateTable('outbox')
        .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: f.error }))
        .where('id', '=', f.id)
        .execute();
    }
    return { published: sent.length, full: rows.length === batchSize, failed: failed.length };
  });
}

/**
 * Holds LISTEN on a connection of its own (a pooled one cannot) and calls `onNotify` for each
 * notification; reconnects a second after losing it, until `stopped()`. Returns the way to end it.
 */
function listenForOutbox(
  connectionString: string,
  onNotify: () => void,
  stopped: () => boolean,
  logger?: Logger,
): { end(): Promise<void> } {
  let listener: pg.Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  const listen = async (): Promise<void> => {
    if (stopped()) return;
    const client = new pg.Client({ connectionString });
    const retry = () => {
      if (listener === client) listener = undefined;
      client.end().catch(() => undefined);
      if (!stopped()) retryTimer = setTimeout(() => void listen(), 1000);
    };
    client.on('error', (error) => {
      logger?.warn({ err: error.message }, 'outbox LISTEN connection lost; reconnecting');
      retry();
    });
    client.on('notification', onNotify);
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      listener = client;
    } catch (error) {
      logger?.warn({ err: (error as Error).message }, 'outbox LISTEN failed; polling only until it reconnects');
      retry();
    }
  };
  void listen();
  return {
    async end() {
      clearTimeout(retryTimer);
      await listener?.end().catch(() => undefined);
    },
  };
}

/** How long the relay waits before its next pass: its poll interval, doubling per failed pass up to 30 s. */
export function retryDelay(failures: number, pollIntervalMs: number): number {
  return failures > 0 ? Math.min(30_000, pollIntervalMs * 2 ** Math.min(failures, 5)) : pollIntervalMs;
}

/** A sleep that `wake` ends early (a NOTIFY, a stop). */
function wakeableSleep(ms: number): { done: Promise<void>; wake: () => void } {
  let wake: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { done, wake };
}

/** Rows not yet published, and the age of the oldest (for the backlog metrics). */
async function outboxStats(db: Kysely<MessagingTables>): Promise<{ backlog: number; oldestAgeSeconds: number }> {
  const row = await db
    .selectFrom('outbox')
    .select([(eb) => eb.fn.countAll<string>().as('backlog'), (eb) => eb.fn.min('created_at').as('oldest')])
    .where('published_at', 'is', null)
    .executeTakeFirst();
  const oldest = row?.oldest ? new Date(row.oldest as unknown as string).getTime() : undefined;
  return { backlog: Number(row?.backlog ?? 0), oldestAgeSeconds: oldest ? (Date.now() - oldest) / 1000 : 0 };
}

export function startOutboxRelay<DB extends MessagingTables>(options: OutboxRelayOptions<DB>): OutboxRelay {
  const { bus, logger } = options;
  const db = options.db as unknown as Kysely<MessagingTables>;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const batchSize = options.batchSize ?? 200;
  let stopped = false;
  let wake: (() => void) | undefined;
  let failures = 0;

  async function loop(): Promise<void> {
    while (!stopped) {
      let again = false;
      try {
        const result = await publishPass(db, bus, batchSize);
        if (result.published > 0) options.onPublished?.(result.published);
        if (result.failed > 0) {
          failures++;
          logger?.warn({ failed: result.failed }, 'outbox: some messages could not be published; will retry');
        } else {
          failures = 0;
        }
        again = result.full && result.failed === 0;
      } catch (error) {
        failures++;
        logger?.error({ err: (error as Error).message }, 'outbox relay pass failed');
      }
      if (again) continue;
      const nap = wakeableSleep(retryDelay(failures, pollIntervalMs));
      wake = nap.wake;
      await nap.done;
      wake = undefined;
    }
  }

  // Only wake when not in backoff: a notify must not defeat retry spacing after failures.
  const listening = listenForOutbox(
    options.connectionString,
    () => {
      if (failures === 0) wake?.();
    },
    () => stopped,
    logger,
  );
  const running = loop();

  return {
    async flushOnce() {
      return (await publishPass(db, bus, batchSize)).published;
    },

    stats: () => outboxStats(db),

    async stop(timeoutMs = 5000) {
      stopped = true;
      wake?.();
      await running;
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const result = await publishPass(db, bus, batchSize).catch(() => ({ published: 0, full: false, failed: 1 }));
        if (!result.full || result.failed > 0) break;
      }
      await listening.end();
    },
  };
}
