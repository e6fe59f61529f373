import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { messagingMigration, messagingRetentionMigration, outboxPayloadMigration } from '@beacon/messaging';

export const migrations: Record<string, Migration> = {
  '000_messaging': messagingMigration,
  '001_ledger': {
    async up(db: Kysely<unknown>) {
      // (kind, reference) unique: a redelivered approval or reversal never books twice.
      await sql`CREATE TABLE ledger_entries (id text PRIMARY KEY, influencer_id text NOT NULL, currency text NOT NULL, kind text NOT NULL,
        amount_minor bigint NOT NULL, reference text NOT NULL, available_at timestamptz NOT NULL,
          created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        settled boolean NOT NULL DEFAULT false, UNIQUE (kind, reference))`.execute(db);
      await sql`CREATE INDEX ledger_by_owner ON ledger_entries (influencer_id, currency)`.execute(db);
      await sql`CREATE TABLE payouts (id text PRIMARY KEY, influencer_id text NOT NULL, currency text NOT NULL,
        amount_minor bigint NOT NULL,
        method text NOT NULL, destination text NOT NULL, status text NOT NULL, reason text, created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz)`.execute(db);
    },
  },
  '002_provider_payments': {
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE provider_payments (payout_id text PRIMARY KEY, amount_minor bigint NOT NULL, currency text NOT NULL,
        destination text NOT NULL, result jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT clock_timestamp())`.execute(
        db,
      );
    },
  },
  '010_messaging_retention': messagingRetentionMigration,
  '020_outbox_payload_uncompressed': outboxPayloadMigration,
};
