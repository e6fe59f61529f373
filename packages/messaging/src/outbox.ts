/**
 * Transactional outbox. A handler writes its state change and the messages it emits in one
 * PostgreSQL transaction. Two ways out, one table:
 *
 * - On commit (the common case): the consumer that wrote the rows sends them itself as soon as its
 *   transaction has committed, in order per key, and awaits the broker before it takes the key's next
 *   batch; their rows are deleted (marked sent) a few milliseconds later, many in one statement. No
 *   NOTIFY, no wake-up, no re-read of what the process already holds.
 * - The relay (the fallback): rows nobody sent — a process that died between commit and send, a
 *   send still failing, a row written outside a consumer (a script, a scheduled job) — are found by
 *   polling, oldest first, a window at a time without waiting for each acknowledgement, and marked
 *   sent in one statement. It wakes on LISTEN/NOTIFY for rows written outside a consumer; the rows a
 *   consumer sends on commit are left alone for a grace period, so the two paths rarely both send one.
 *   A transaction-scoped advisory lock lets only one relay of a database poll at a time.
 *
 * A sent row is deleted, not marked: the table holds only what is still to send, so it stays small,
 * autovacuum (which a small table's few dead rows trigger) keeps the poll's index walk short, and
 * nothing is pruned later. (Marking rows published kept a day of live rows, so autovacuum's 20%
 * threshold came rarely, and every poll walked the dead index entries of every row sent since.)
 *
 * A row sent twice (a crash before marking, the grace period passed during a slow send) carries the
 * same message-id both times, and the consumers' inbox absorbs the second.
 */
import pg from 'pg';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { MessageBus, OutgoingMessage } from './bus.js';
import { Header } from './envelope.js';
import type { MessagingTables } from './schema.js';
import { chunkForPacks, pack, type PackLimits } from './pack.js';
import { TupleMap } from '@beacon/domain';

export const OUTBOX_CHANNEL = 'beacon_outbox';
/** Arbitrary constant: each service has its own database, so one lock id per database is enough. */
const RELAY_LOCK_ID = 724_311_001;

/** A row its writer will send once its transaction commits (see `OutboxRelay.sendCommitted`). */
export interface CommittedRow {
  id: string;
  message: OutgoingMessage;
}

/**
 * Writes a message to the outbox in the caller's transaction. With `written`, the caller sends it
 * after the commit (`sendCommitted`) and the row joins that list; without, the relay is woken by
 * a NOTIFY when the transaction commits.
 */
export async function enqueue<DB extends MessagingTables>(
  executor: Transaction<DB> | Kysely<DB>,
  message: OutgoingMessage,
  written?: CommittedRow[],
): Promise<void> {
  const trx = executor as unknown as Kysely<MessagingTables>;
  const messageId = message.properties[Header.messageId];
  if (!messageId) throw new Error('outbox messages need a message-id property');
  const row = await trx
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
    .returning('id')
    .executeTakeFirstOrThrow();
  if (written) written.push({ id: row.id, message });
  else await sql`SELECT pg_notify(${OUTBOX_CHANNEL}, '')`.execute(trx);
}

export interface OutboxRelayOptions<DB extends MessagingTables = MessagingTables> {
  db: Kysely<DB>;
  /** Connection string for the LISTEN connection (a pooled connection cannot hold LISTEN). */
  connectionString: string;
  bus: MessageBus;
  logger?: Logger;
  pollIntervalMs?: number;
  batchSize?: number;
  /** Rows younger than this are left to the consumer that wrote them, unless a NOTIFY says otherwise (default 2 s). */
  graceMs?: number;
  /** Rows sent on commit are deleted (marked sent) at most this long after their send (default 10 ms). */
  markEveryMs?: number;
  onPublished?: (count: number) => void;
  /** Consecutive rows of one topic and key go as packs within these limits (default: one message each). */
  pack?: PackLimits;
}

export interface OutboxStats {
  backlog: number;
  oldestAgeSeconds: number;
}

export interface OutboxRelay {
  /**
   * Sends rows whose transaction has just committed, in order per key; resolves once the broker
   * has every one (retrying, in order, what failed), or when the relay stops — then the relay's
   * poll sends the rest. Never rejects: the rows are committed, so they will go out either way.
   */
  sendCommitted(rows: CommittedRow[]): Promise<void>;
  /**
   * Sends on commit stop retrying and return at once (shutdown: consumers must finish their
   * in-flight work even with the broker away; the poll, or the next start, sends what is left).
   */
  stopSending(): void;
  /** Publishes one batch now, rows of any age; returns how many rows were published. */
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
 * Sends rows (oldest first) all at once, in order per key: one producer socket per topic keeps the
 * order, and the acknowledgements are awaited together. A key's consecutive rows go as packs (see
 * pack.ts) within `limits`. Per key, only the rows before its first failed send count as sent; the
 * rows of that send and every later row of its key must go again, in order (any of those the broker
 * did store are duplicates the consumers' inbox absorbs).
 */
async function sendInOrder(
  bus: MessageBus,
  rows: CommittedRow[],
  limits: PackLimits,
): Promise<{ sent: string[]; failed: Array<{ id: string; error: string }>; unsent: CommittedRow[] }> {
  const byKey = new TupleMap<[string, string], CommittedRow[]>();
  for (const row of rows) {
    const k: [string, string] = [row.message.topic, row.message.key];
    const group = byKey.get(k);
    if (group) group.push(row);
    else byKey.set(k, [row]);
  }
  const sent: string[] = [];
  const failed: Array<{ id: string; error: string }> = [];
  const unsent: CommittedRow[] = [];
  await Promise.all(
    byKey.values().map(async (group) => {
      const chunks = chunkForPacks(group, (row) => row.message, limits);
      const outcomes = await Promise.allSettled(chunks.map((chunk) => bus.publish(pack(chunk.map((r) => r.message)))));
      const firstFailure = outcomes.findIndex((o) => o.status === 'rejected');
      const cut = firstFailure < 0 ? chunks.length : firstFailure;
      for (const chunk of chunks.slice(0, cut)) for (const row of chunk) sent.push(row.id);
      const failure = outcomes[firstFailure];
      if (failure?.status === 'rejected') {
        const error = (failure.reason as Error).message;
        for (const row of chunks[firstFailure] ?? []) failed.push({ id: row.id, error });
        unsent.push(...chunks.slice(cut).flat());
      }
    }),
  );
  return { sent, failed, unsent };
}

const toCommitted = (row: Row): CommittedRow => ({
  id: row.id,
  message: { topic: row.topic, key: row.key, payload: row.payload, properties: row.properties },
});

/**
 * One pass of the relay, under the database's relay lock: the oldest unpublished rows (at least
 * `minAgeMs` old), sent at once, and the rows before each key's first failure deleted (marked sent) in
 * one statement.
 */
async function publishPass(
  db: Kysely<MessagingTables>,
  bus: MessageBus,
  batchSize: number,
  limits: PackLimits,
  minAgeMs = 0,
): Promise<PassResult> {
  return db.transaction().execute(async (trx) => {
    const lock = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK_ID}) AS ok`.execute(trx);
    if (!lock.rows[0]?.ok) return { published: 0, full: false, failed: 0 };
    let query = trx
      .selectFrom('outbox')
      .select(['id', 'message_id', 'topic', 'key', 'payload', 'properties'])
      .where('published_at', 'is', null);
    if (minAgeMs > 0)
      query = query.where('created_at', '<', sql<Date>`now() - make_interval(secs => ${minAgeMs / 1000})`);
    const rows = (await query.orderBy('id').limit(batchSize).execute()) as Row[];
    if (rows.length === 0) return { published: 0, full: false, failed: 0 };

    const { sent, failed } = await sendInOrder(bus, rows.map(toCommitted), limits);
    if (sent.length > 0) {
      await trx.deleteFrom('outbox').where('id', 'in', sent).execute();
    }
    if (failed.length > 0) {
      await trx
        .updateTable('outbox')
        .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: failed[0]?.error ?? null }))
        .where(
          'id',
          'in',
          failed.map((f) => f.id),
        )
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
  const graceMs = options.graceMs ?? 2000;
  const markEveryMs = options.markEveryMs ?? 10;
  const limits = options.pack ?? { maxMessages: 1, maxBytes: Number.MAX_SAFE_INTEGER };
  let stopped = false;
  let sendingStopped = false;
  let wake: (() => void) | undefined;
  let failures = 0;
  // A NOTIFY means a row was written for the relay itself: the next pass takes rows of any age.
  let notified = false;

  // Ids sent on commit, marked published together a few milliseconds later.
  let toMark: string[] = [];
  let markTimer: NodeJS.Timeout | undefined;
  let marking: Promise<void> = Promise.resolve();
  const markNow = (): Promise<void> => {
    clearTimeout(markTimer);
    markTimer = undefined;
    const ids = toMark;
    toMark = [];
    if (ids.length === 0) return marking;
    marking = marking
      .then(() => db.deleteFrom('outbox').where('id', 'in', ids).execute())
      .then(
        () => undefined,
        // Unmarked rows are sent again by the poll once their grace has passed: duplicates the inbox absorbs.
        (error: unknown) => logger?.warn({ err: (error as Error).message, rows: ids.length }, 'outbox: marking failed'),
      );
    return marking;
  };
  const markLater = (ids: string[]) => {
    toMark.push(...ids);
    if (toMark.length >= batchSize) void markNow();
    else markTimer ??= setTimeout(() => void markNow(), markEveryMs);
  };

  async function loop(): Promise<void> {
    while (!stopped) {
      let again = false;
      try {
        const minAge = notified ? 0 : graceMs;
        notified = false;
        const result = await publishPass(db, bus, batchSize, limits, minAge);
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
      notified = true;
      if (failures === 0) wake?.();
    },
    () => stopped,
    logger,
  );
  const running = loop();

  return {
    async sendCommitted(rows) {
      let pending = rows;
      for (let attempt = 0; pending.length > 0 && !stopped && !sendingStopped; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, retryDelay(attempt, 100)));
        const { sent, failed, unsent } = await sendInOrder(bus, pending, limits);
        if (sent.length > 0) {
          markLater(sent);
          options.onPublished?.(sent.length);
        }
        if (failed.length > 0)
          logger?.warn({ failed: failed.length, err: failed[0]?.error }, 'outbox: send on commit failed; retrying');
        pending = unsent;
      }
    },

    stopSending() {
      sendingStopped = true;
    },

    async flushOnce() {
      return (await publishPass(db, bus, batchSize, limits)).published;
    },

    stats: () => outboxStats(db),

    async stop(timeoutMs = 5000) {
      stopped = true;
      wake?.();
      await running;
      await markNow();
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const result = await publishPass(db, bus, batchSize, limits).catch(() => ({
          published: 0,
          full: false,
          failed: 1,
        }));
        if (!result.full || result.failed > 0) break;
      }
      await listening.end();
    },
  };
}
