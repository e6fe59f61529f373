import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { messagingMigration, messagingRetentionMigration, outboxPayloadMigration } from '@beacon/messaging';

export const migrations: Record<string, Migration> = {
  '000_messaging': messagingMigration,
  '001_commissions': {
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE campaign_terms (id text PRIMARY KEY, brand_id text NOT NULL, currency text NOT NULL, status text NOT NULL,
        holding_period_days int NOT NULL, rules jsonb NOT NULL, accepted text[] NOT NULL DEFAULT '{}')`.execute(db);
      // One commission (or rejection) per source tracking event.
      await sql`CREATE TABLE commissions (id text PRIMARY KEY, campaign_id text NOT NULL, influencer_id text,
        source_event_id text NOT NULL UNIQUE,
        event_type text NOT NULL, amount_minor bigint, requested_minor bigint, currency text NOT NULL, status text NOT NULL, reason text,
        reverse_pending boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL DEFAULT now())`.execute(db);
      await sql`CREATE TABLE impression_counts (campaign_id text NOT NULL, influencer_id text NOT NULL, count bigint NOT NULL,
        PRIMARY KEY (campaign_id, influencer_id))`.execute(db);
    },
  },
  '002_source_event_per_campaign': {
    async up(db: Kysely<unknown>) {
      // Event ids are unique within a campaign, not across tenants: one decision per (campaign, source event).
      await sql`ALTER TABLE commissions DROP CONSTRAINT commissions_source_event_id_key`.execute(db);
      await sql`ALTER TABLE commissions ADD CONSTRAINT one_decision_per_source_event UNIQUE (campaign_id, source_event_id)`.execute(
        db,
      );
    },
  },
  '010_messaging_retention': messagingRetentionMigration,
  '020_outbox_payload_uncompressed': outboxPayloadMigration,
  '021_review': {
    // A campaign's review rules; a commission's hold reasons, deadline and the message that held it.
    async up(db: Kysely<unknown>) {
      await sql`ALTER TABLE campaign_terms ADD COLUMN review jsonb`.execute(db);
      await sql`ALTER TABLE commissions ADD COLUMN review_reasons text[] NOT NULL DEFAULT '{}',
        ADD COLUMN review_by timestamptz, ADD COLUMN hold_message_id text, ADD COLUMN hold_correlation_id text`.execute(
        db,
      );
      await sql`CREATE INDEX held_by_deadline ON commissions (review_by) WHERE status = 'held'`.execute(db);
    },
  },
};
