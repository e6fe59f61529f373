import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { messagingMigration, messagingRetentionMigration, outboxPayloadMigration } from '@beacon/messaging';

export const migrations: Record<string, Migration> = {
  '000_messaging': messagingMigration,
  '001_tracking': {
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE campaigns (id text PRIMARY KEY, brand_id text NOT NULL, currency text NOT NULL,
        attribution_window_days int NOT NULL, status text NOT NULL, landing_url text NOT NULL)`.execute(db);
      // Append-only: rows are inserted, never updated.
      await sql`CREATE TABLE tracking_events (event_id text PRIMARY KEY, type text NOT NULL, campaign_id text NOT NULL,
        influencer_id text, attribution text NOT NULL, click_id text, visitor_id text NOT NULL, user_id text,
        occurred_at text NOT NULL, value_minor bigint, currency text, order_id text, name text, properties jsonb,
        user_agent text, ip text, referrer text, valid boolean NOT NULL, reasons text[] NOT NULL, duplicate boolean NOT NULL,
        refunded_event_id text, received_at text NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())`.execute(db);
      // One earning conversion per (campaign, order id); later ones are stored flagged duplicate.
      await sql`CREATE UNIQUE INDEX one_conversion_per_order ON tracking_events (campaign_id, order_id)
        WHERE type = 'conversion' AND valid AND NOT duplicate`.execute(db);
      await sql`CREATE INDEX events_by_subject ON tracking_events ((coalesce(user_id, visitor_id)), occurred_at)`.execute(
        db,
      );
      await sql`CREATE TABLE clicks (click_id text PRIMARY KEY, campaign_id text NOT NULL, influencer_id text,
        visitor_id text NOT NULL, occurred_at text NOT NULL)`.execute(db);
      await sql`CREATE INDEX clicks_by_visitor ON clicks (campaign_id, visitor_id, occurred_at)`.execute(db);
      await sql`CREATE TABLE rollups (campaign_id text NOT NULL, influencer_id text NOT NULL, day text NOT NULL, name text NOT NULL,
        count bigint NOT NULL, valid bigint NOT NULL, invalid bigint NOT NULL, revenue_minor bigint NOT NULL,
          refunded_minor bigint NOT NULL,
        PRIMARY KEY (campaign_id, influencer_id, day, name))`.execute(db);
      await sql`CREATE TABLE activity_windows (subject text NOT NULL, window_start text NOT NULL, window_end text NOT NULL,
        events int NOT NULL, by_type jsonb NOT NULL, PRIMARY KEY (subject, window_start))`.execute(db);
    },
  },
  '002_tenants': {
    async up(db: Kysely<unknown>) {
      const statements = [
        // Event ids are deduplicated within a campaign and a tenant, never across tenants.
        sql`ALTER TABLE tracking_events ADD COLUMN tenant text NOT NULL DEFAULT ''`,
        sql`UPDATE tracking_events t SET tenant = c.brand_id FROM campaigns c WHERE c.id = t.campaign_id`,
        sql`ALTER TABLE tracking_events DROP CONSTRAINT tracking_events_pkey`,
        sql`ALTER TABLE tracking_events ADD PRIMARY KEY (tenant, campaign_id, event_id)`,
        sql`ALTER TABLE tracking_events ALTER COLUMN properties DROP NOT NULL`,
        // One valid refund per order.
        sql`CREATE UNIQUE INDEX one_refund_per_order ON tracking_events (campaign_id, order_id) WHERE type = 'refund' AND valid`,
        // A click id names a click within its campaign only.
        sql`ALTER TABLE clicks DROP CONSTRAINT clicks_pkey`,
        sql`ALTER TABLE clicks ADD PRIMARY KEY (campaign_id, click_id)`,
        sql`CREATE INDEX clicks_by_link ON clicks (campaign_id, visitor_id, influencer_id, occurred_at)`,
        sql`ALTER TABLE activity_windows ADD COLUMN tenant text NOT NULL DEFAULT ''`,
        sql`ALTER TABLE activity_windows DROP CONSTRAINT activity_windows_pkey`,
        sql`ALTER TABLE activity_windows ADD PRIMARY KEY (tenant, subject, window_start)`,
      ];
      for (const statement of statements) await statement.execute(db);
    },
  },
  '010_messaging_retention': messagingRetentionMigration,
  '011_figures_have_one_owner': {
    // Rollups and activity windows were computed here and again in the BFF, which serves them: the BFF keeps them.
    async up(db: Kysely<unknown>) {
      await sql`DROP TABLE IF EXISTS rollups`.execute(db);
      await sql`DROP TABLE IF EXISTS activity_windows`.execute(db);
    },
  },
  '012_no_subject_index': {
    // The index served activity windows recomputed here; the BFF owns them now. One index fewer per stored event.
    async up(db: Kysely<unknown>) {
      await sql`DROP INDEX IF EXISTS events_by_subject`.execute(db);
    },
  },
  '020_outbox_payload_uncompressed': outboxPayloadMigration,
  '021_funnel': {
    // Leads, customers and coupon codes: the campaign's click model, the brands' codes and customers.
    async up(db: Kysely<unknown>) {
      await sql`ALTER TABLE campaigns ADD COLUMN attribution_model text NOT NULL DEFAULT 'last_click'`.execute(db);
      await sql`ALTER TABLE tracking_events ADD COLUMN customer_id text, ADD COLUMN coupon_code text`.execute(db);
      await sql`CREATE TABLE coupons (
          brand_id text NOT NULL,
          code_key text NOT NULL,
          code text NOT NULL,
          campaign_id text NOT NULL,
          influencer_id text NOT NULL,
          active boolean NOT NULL,
          PRIMARY KEY (brand_id, code_key)
        )`.execute(db);
      await sql`CREATE TABLE customers (
          tenant text NOT NULL,
          customer_id text NOT NULL,
          influencer_id text NOT NULL,
          campaign_id text NOT NULL,
          bound_at text NOT NULL,
          bound_by text NOT NULL,
          attribution text NOT NULL,
          sales integer NOT NULL,
          has_lead boolean NOT NULL,
          PRIMARY KEY (tenant, customer_id)
        )`.execute(db);
    },
  },
  '022_review_signals': {
    // SHARED_IP counts a campaign's valid conversions from one IP in a window (signals.ts).
    async up(db: Kysely<unknown>) {
      await sql`CREATE INDEX conversions_by_ip ON tracking_events (campaign_id, ip, occurred_at)
        WHERE type = 'conversion' AND valid AND NOT duplicate AND ip IS NOT NULL`.execute(db);
    },
  },
};
