import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { messagingMigration, messagingRetentionMigration, outboxPayloadMigration } from '@beacon/messaging';

export const migrations: Record<string, Migration> = {
  '000_messaging': messagingMigration,
  '001_campaigns': {
    async up(db: Kysely<unknown>) {
      // The aggregate is stored whole (jsonb); brand_id is a column for lookups.
      await sql`CREATE TABLE campaigns (id text PRIMARY KEY, brand_id text NOT NULL, state jsonb NOT NULL, updated_at timestamptz NOT NULL)`.execute(db);
      await sql`CREATE TABLE evidence (id text PRIMARY KEY, campaign_id text NOT NULL REFERENCES campaigns(id), influencer_id text NOT NULL,
        type text NOT NULL, url text NOT NULL, description text, submitted_at timestamptz NOT NULL DEFAULT now())`.execute(db);
    },
  },
  '010_messaging_retention': messagingRetentionMigration,
  '020_outbox_payload_uncompressed': outboxPayloadMigration,
};
