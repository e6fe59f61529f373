import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { messagingMigration, messagingRetentionMigration, outboxPayloadMigration } from '@beacon/messaging';

export const migrations: Record<string, Migration> = {
  '000_messaging': messagingMigration,
  '001_webhooks': {
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE campaigns (id text PRIMARY KEY, brand_id text NOT NULL)`.execute(db);
      await sql`CREATE TABLE members (campaign_id text NOT NULL, influencer_id text NOT NULL,
        PRIMARY KEY (campaign_id, influencer_id))`.execute(db);
      await sql`CREATE TABLE commissions (id text PRIMARY KEY, campaign_id text NOT NULL, influencer_id text,
        source_event_id text NOT NULL, attribution text, created_at timestamptz NOT NULL)`.execute(db);
      await sql`CREATE TABLE endpoints (id text PRIMARY KEY, owner_role text NOT NULL, owner_id text NOT NULL,
        url text NOT NULL, event_types text[] NOT NULL, salt text NOT NULL, previous_salt text,
        previous_valid_until timestamptz, status text NOT NULL, disabled_reason text, failing_since timestamptz,
        created_at timestamptz NOT NULL DEFAULT now())`.execute(db);
      await sql`CREATE INDEX endpoints_by_owner ON endpoints (owner_role, owner_id) WHERE status = 'enabled'`.execute(
        db,
      );
      await sql`CREATE TABLE deliveries (id text PRIMARY KEY, endpoint_id text NOT NULL REFERENCES endpoints (id),
        type text NOT NULL, body text NOT NULL, cause_message_id text NOT NULL, correlation_id text NOT NULL,
        status text NOT NULL, attempts int NOT NULL DEFAULT 0, next_attempt_at timestamptz, leased_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now())`.execute(db);
      // The sender's queue: only what is due, in the order it fell due.
      await sql`CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending'`.execute(db);
      await sql`CREATE TABLE attempts (delivery_id text NOT NULL REFERENCES deliveries (id), attempt int NOT NULL,
        at timestamptz NOT NULL, status_code int, latency_ms int NOT NULL, response_snippet text NOT NULL, error text,
        PRIMARY KEY (delivery_id, attempt))`.execute(db);
    },
  },
  '010_messaging_retention': messagingRetentionMigration,
  '020_outbox_payload_uncompressed': outboxPayloadMigration,
};
