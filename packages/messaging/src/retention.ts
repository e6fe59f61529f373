/**
 * Bounded tables. An outbox row is deleted once sent (outbox.ts); rows marked published by earlier
 * releases are pruned past the window below. An inbox claim is needed only
 * as long as the same message could arrive again. Redeliveries come from a lost ack or a relay that
 * died before marking its rows: both within minutes, so the windows below are far longer than any
 * redelivery. Unpublished outbox rows are never pruned, however old.
 */
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { MessagingTables } from './schema.js';

export const RETENTION = { publishedOutboxHours: 24, inboxDays: 7 };

/** Indexes the pruning walks (added after the first messaging migration, so existing databases get them). */
export const messagingRetentionMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`CREATE INDEX IF NOT EXISTS outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL`.execute(
      db,
    );
    await sql`CREATE INDEX IF NOT EXISTS inbox_processed_at ON inbox (processed_at)`.execute(db);
  },
};

/** Deletes in bounded batches (short transactions, no long locks); returns how many rows went. */
export async function deleteInBatches(
  db: Kysely<unknown>,
  statement: (limit: number) => ReturnType<typeof sql>,
  batch = 5_000,
): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await statement(batch).execute(db);
    const n = Number(result.numAffectedRows ?? 0n);
    total += n;
    if (n < batch) return total;
  }
}

export async function pruneMessaging(
  db: Kysely<MessagingTables>,
  retention = RETENTION,
): Promise<{ outbox: number; inbox: number }> {
  const plain = db as unknown as Kysely<unknown>;
  const outbox = await deleteInBatches(
    plain,
    (limit) => sql`DELETE FROM outbox WHERE id IN (SELECT id FROM outbox
    WHERE published_at IS NOT NULL AND published_at < now() - make_interval(hours => ${retention.publishedOutboxHours}) LIMIT ${limit})`,
  );
  const inbox = await deleteInBatches(
    plain,
    (limit) => sql`DELETE FROM inbox WHERE ctid IN (SELECT ctid FROM inbox
    WHERE processed_at < now() - make_interval(days => ${retention.inboxDays}) LIMIT ${limit})`,
  );
  return { outbox, inbox };
}
