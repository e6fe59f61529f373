import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { messagingMigration, messagingRetentionMigration, outboxPayloadMigration } from '@beacon/messaging';

export const migrations: Record<string, Migration> = {
  '000_messaging': messagingMigration,
  '001_campaigns': {
    async up(db: Kysely<unknown>) {
      // The aggregate is stored whole (jsonb); brand_id is a column for lookups.
      await sql`CREATE TABLE campaigns (id text PRIMARY KEY, brand_id text NOT NULL, state jsonb NOT NULL,
        updated_at timestamptz NOT NULL)`.execute(db);
      await sql`CREATE TABLE evidence (id text PRIMARY KEY, campaign_id text NOT NULL REFERENCES campaigns(id), influencer_id text NOT NULL,
        type text NOT NULL, url text NOT NULL, description text, submitted_at timestamptz NOT NULL DEFAULT now())`.execute(
        db,
      );
    },
  },
  '010_messaging_retention': messagingRetentionMigration,
  '020_outbox_payload_uncompressed': outboxPayloadMigration,
  '021_reservations_beside_the_campaign': {
    // Reservations lived inside the campaign's jsonb, which every budget decision then read and
    // rewrote whole: the cost of a reservation grew with the campaign's commissions.
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE reservations (campaign_id text NOT NULL REFERENCES campaigns(id), commission_id text NOT NULL,
        amount_minor numeric NOT NULL, released boolean NOT NULL, PRIMARY KEY (campaign_id, commission_id))`.execute(
        db,
      );
      await sql`INSERT INTO reservations (campaign_id, commission_id, amount_minor, released)
        SELECT c.id, r.key, (r.value->>'amount')::numeric, (r.value->>'released')::boolean
        FROM campaigns c, jsonb_each(coalesce(c.state->'reservations', '{}'::jsonb)) r`.execute(db);
      await sql`UPDATE campaigns SET state = state - 'reservations' WHERE state ? 'reservations'`.execute(db);
    },
  },
  '022_members_beside_the_campaign': {
    // Members lived in the jsonb too, rewritten whole by every command; now rows, with a count in the state.
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE members (campaign_id text NOT NULL REFERENCES campaigns(id), influencer_id text NOT NULL,
        status text NOT NULL, PRIMARY KEY (campaign_id, influencer_id))`.execute(db);
      await sql`INSERT INTO members (campaign_id, influencer_id, status)
        SELECT c.id, m.key, m.value #>> '{}' FROM campaigns c, jsonb_each(coalesce(c.state->'influencers', '{}'::jsonb)) m`.execute(
        db,
      );
      await sql`UPDATE campaigns SET state = (state - 'influencers') ||
        jsonb_build_object('memberCount', (SELECT count(*) FROM members m WHERE m.campaign_id = campaigns.id))`.execute(
        db,
      );
    },
  },
  '023_coupons': {
    // A brand's coupon codes: one holder per code in any case, whichever of the brand's campaigns holds it.
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE coupons (
          brand_id text NOT NULL,
          code_key text NOT NULL,
          code text NOT NULL,
          campaign_id text NOT NULL REFERENCES campaigns(id),
          influencer_id text NOT NULL,
          active boolean NOT NULL,
          PRIMARY KEY (brand_id, code_key)
        )`.execute(db);
    },
  },
};
