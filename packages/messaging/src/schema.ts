/**
 * The messaging tables every service owns in its own database: the transactional outbox and the
 * idempotent inbox. Services add `messagingMigration` to their migrations and `MessagingTables`
 * to their Kysely Database interface.
 */
import { sql, type ColumnType, type Generated, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export interface OutboxTable {
  id: Generated<string>;
  message_id: string;
  topic: string;
  key: string;
  payload: Buffer;
  properties: ColumnType<Record<string, string>, string, string>;
  created_at: Generated<Date>;
  published_at: Date | null;
  attempts: Generated<number>;
  last_error: string | null;
}

export interface InboxTable {
  subscription: string;
  message_id: string;
  message_type: string;
  processed_at: Generated<Date>;
}

export interface MessagingTables {
  outbox: OutboxTable;
  inbox: InboxTable;
}

export const messagingMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('outbox')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('message_id', 'uuid', (c) => c.notNull().unique())
      .addColumn('topic', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('payload', 'bytea', (c) => c.notNull())
      .addColumn('properties', 'jsonb', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('published_at', 'timestamptz')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_error', 'text')
      .execute();
    await sql`CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL`.execute(db);
    await db.schema
      .createTable('inbox')
      .addColumn('subscription', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('message_type', 'text', (c) => c.notNull())
      .addColumn('processed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('inbox_pk', ['subscription', 'message_id'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('inbox').execute();
    await db.schema.dropTable('outbox').execute();
  },
};

/**
 * Outbox payloads are Avro already, up to a few hundred kilobytes for a tracking batch: stored out
 * of line without PostgreSQL's compression, which cost CPU on every batch for little space.
 */
export const outboxPayloadMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`ALTER TABLE outbox ALTER COLUMN payload SET STORAGE EXTERNAL`.execute(db);
  },
};
