import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { messagingMigration, messagingRetentionMigration, outboxPayloadMigration } from '@beacon/messaging';

/** The BFF's own database: read models fed by events, operation timelines, idempotency keys. */
export const migrations: Record<string, Migration> = {
  '000_messaging': messagingMigration,
  '001_read_models': {
    async up(db: Kysely<unknown>) {
      const statements = [
        sql`CREATE TABLE rm_campaigns (seq bigserial UNIQUE, id text PRIMARY KEY, brand_id text NOT NULL,
          name text NOT NULL, landing_url text NOT NULL,
          status text NOT NULL, budget_minor bigint NOT NULL, currency text NOT NULL,
            spent_minor bigint NOT NULL DEFAULT 0, rules jsonb NOT NULL,
          visibility text NOT NULL, attribution_window_days int NOT NULL, holding_period_days int NOT NULL,
          created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)`,
        sql`CREATE TABLE rm_campaign_influencers (campaign_id text NOT NULL, influencer_id text NOT NULL,
          status text NOT NULL, PRIMARY KEY (campaign_id, influencer_id))`,
        sql`CREATE TABLE rm_tracking_events (seq bigserial UNIQUE, event_id text PRIMARY KEY,
          campaign_id text NOT NULL, brand_id text, type text NOT NULL,
          influencer_id text, attribution text NOT NULL, click_id text, visitor_id text NOT NULL, user_id text, occurred_at text NOT NULL,
          value_minor bigint, currency text, order_id text, name text, valid boolean NOT NULL,
            reasons text[] NOT NULL, duplicate boolean NOT NULL)`,
        sql`CREATE INDEX rm_events_campaign ON rm_tracking_events (campaign_id, seq)`,
        sql`CREATE TABLE rm_stats (campaign_id text NOT NULL, influencer_id text NOT NULL, day text NOT NULL,
          impressions bigint NOT NULL DEFAULT 0,
          clicks bigint NOT NULL DEFAULT 0, conversions bigint NOT NULL DEFAULT 0, invalid_events bigint NOT NULL DEFAULT 0,
          revenue_minor bigint NOT NULL DEFAULT 0, commissions_minor bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (campaign_id, influencer_id, day))`,
        sql`CREATE TABLE rm_activity (subject text NOT NULL, window_start text NOT NULL, type text NOT NULL, count bigint NOT NULL,
          PRIMARY KEY (subject, window_start, type))`,
        sql`CREATE TABLE rm_commissions (seq bigserial UNIQUE, id text PRIMARY KEY, campaign_id text NOT NULL,
          influencer_id text, source_event_id text NOT NULL,
          amount_minor bigint, currency text NOT NULL, status text NOT NULL, reason text, created_at timestamptz NOT NULL)`,
        sql`CREATE TABLE rm_ledger (entry_id text PRIMARY KEY, influencer_id text NOT NULL, currency text NOT NULL, kind text NOT NULL,
          amount_minor bigint NOT NULL, available_at timestamptz NOT NULL)`,
        sql`CREATE TABLE rm_payouts (seq bigserial UNIQUE, id text PRIMARY KEY, influencer_id text NOT NULL,
          amount_minor bigint NOT NULL, currency text NOT NULL,
          method text NOT NULL, destination text NOT NULL, status text NOT NULL, reason text,
            created_at timestamptz NOT NULL, completed_at timestamptz)`,
        sql`CREATE TABLE operations (correlation_id text PRIMARY KEY, started_by text NOT NULL,
          command_type text NOT NULL, status text NOT NULL,
          reason text, created_at timestamptz NOT NULL DEFAULT clock_timestamp(), completed_at timestamptz)`,
        sql`CREATE TABLE operation_steps (message_id text PRIMARY KEY, correlation_id text NOT NULL,
          causation_id text NOT NULL, kind text NOT NULL,
          type text NOT NULL, service text NOT NULL, occurred_at text NOT NULL, seen_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
        sql`CREATE INDEX operation_steps_by_flow ON operation_steps (correlation_id)`,
        sql`CREATE TABLE idempotency_keys (caller text NOT NULL, key text NOT NULL, request_hash text NOT NULL, status int NOT NULL,
          body jsonb NOT NULL, location text, created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (caller, key))`,
      ];
      for (const statement of statements) await statement.execute(db);
    },
  },
  '002_tenants_and_idempotency': {
    async up(db: Kysely<unknown>) {
      const statements = [
        // Idempotency keys are reserved before the request runs (state in_progress), then filled in.
        sql`ALTER TABLE idempotency_keys ADD COLUMN state text NOT NULL DEFAULT 'done',
          ALTER COLUMN status DROP NOT NULL, ALTER COLUMN body DROP NOT NULL`,
        // Events are identified within a campaign and a tenant, never globally ('' = admin only).
        sql`UPDATE rm_tracking_events SET brand_id = '' WHERE brand_id IS NULL`,
        sql`ALTER TABLE rm_tracking_events ALTER COLUMN brand_id SET NOT NULL, ALTER COLUMN brand_id SET DEFAULT ''`,
        sql`ALTER TABLE rm_tracking_events DROP CONSTRAINT rm_tracking_events_pkey`,
        sql`ALTER TABLE rm_tracking_events ADD PRIMARY KEY (campaign_id, brand_id, event_id)`,
        sql`CREATE INDEX rm_events_brand ON rm_tracking_events (brand_id, seq)`,
        // Activity windows per tenant: a brand sees only what its own events add up to.
        sql`ALTER TABLE rm_activity ADD COLUMN brand_id text NOT NULL DEFAULT ''`,
        sql`ALTER TABLE rm_activity DROP CONSTRAINT rm_activity_pkey`,
        sql`ALTER TABLE rm_activity ADD PRIMARY KEY (brand_id, subject, window_start, type)`,
        sql`CREATE INDEX rm_activity_subject ON rm_activity (subject, window_start)`,
      ];
      for (const statement of statements) await statement.execute(db);
    },
  },
  '010_messaging_retention': messagingRetentionMigration,
  '011_retention_indexes': {
    async up(db: Kysely<unknown>) {
      await sql`CREATE INDEX IF NOT EXISTS operations_created_at ON operations (created_at)`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS operation_steps_seen_at ON operation_steps (seen_at)`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at)`.execute(db);
    },
  },
  '012_batched_tracking': {
    async up(db: Kysely<unknown>) {
      const statements = [
        sql`ALTER TABLE operations ADD COLUMN expected int NOT NULL DEFAULT 0, ADD COLUMN settled int NOT NULL DEFAULT 0`,
        // A tracking flow's timeline is read back from here: which batches carried and recorded each item.
        sql`ALTER TABLE rm_tracking_events ADD COLUMN correlation_id text, ADD COLUMN command_message_id text,
          ADD COLUMN recorded_message_id text, ADD COLUMN recorded_at text`,
        sql`CREATE INDEX rm_events_by_flow ON rm_tracking_events (correlation_id)`,
        sql`CREATE TABLE rm_ignored_events (correlation_id text NOT NULL, campaign_id text NOT NULL,
          event_id text NOT NULL, reason text NOT NULL,
          command_message_id text NOT NULL, recorded_message_id text NOT NULL, recorded_at text NOT NULL,
            seen_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
        sql`CREATE INDEX rm_ignored_by_flow ON rm_ignored_events (correlation_id)`,
        sql`CREATE INDEX rm_ignored_seen_at ON rm_ignored_events (seen_at)`,
      ];
      for (const statement of statements) await statement.execute(db);
    },
  },
  '020_outbox_payload_uncompressed': outboxPayloadMigration,
  '021_dead_letters': {
    // What the dead-letter watcher saw: the admin console's counts and peek. The messages themselves stay in Pulsar.
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE dead_letters (topic text NOT NULL, service text NOT NULL, message_id text NOT NULL, message_type text NOT NULL,
        correlation_id text NOT NULL, seen_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (topic, service, message_id))`.execute(
        db,
      );
      await sql`CREATE INDEX dead_letters_seen_at ON dead_letters (seen_at)`.execute(db);
    },
  },
  '022_rate_limits': {
    // rate-limiter-flexible's counters (http/rate-limits.ts), shared by BFF replicas. `expire` is float8, not the
    // library's int8: this process reads int8 as bigint, which the library cannot do arithmetic with.
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE rate_limits (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0,
        expire double precision)`.execute(db);
      await sql`CREATE INDEX rate_limits_expire ON rate_limits (expire)`.execute(db);
    },
  },
  '023_campaign_windows': {
    // The stats' 4-hour chart, kept up to date as events arrive (tracking/projection.ts) instead of being
    // counted from rm_tracking_events on every read; filled once here from the events already stored.
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE rm_campaign_windows (campaign_id text NOT NULL, window_start text NOT NULL,
        impressions bigint NOT NULL DEFAULT 0, clicks bigint NOT NULL DEFAULT 0, conversions bigint NOT NULL DEFAULT 0,
        revenue_minor bigint NOT NULL DEFAULT 0, PRIMARY KEY (campaign_id, window_start))`.execute(db);
      await sql`INSERT INTO rm_campaign_windows (campaign_id, window_start, impressions, clicks, conversions, revenue_minor)
        SELECT e.campaign_id,
          to_char(to_timestamp(floor(extract(epoch FROM e.occurred_at::timestamptz) / 14400) * 14400) AT TIME ZONE 'UTC',
                 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          count(*) FILTER (WHERE e.type = 'impression'), count(*) FILTER (WHERE e.type = 'click'),
          count(*) FILTER (WHERE e.type = 'conversion'),
          coalesce(sum(CASE WHEN e.currency = c.currency AND e.type = 'conversion' THEN e.value_minor
                            WHEN e.currency = c.currency AND e.type = 'refund' THEN -e.value_minor END), 0)
        FROM rm_tracking_events e LEFT JOIN rm_campaigns c ON c.id = e.campaign_id
        WHERE e.valid AND NOT e.duplicate AND e.type IN ('impression', 'click', 'conversion', 'refund')
        GROUP BY 1, 2`.execute(db);
    },
  },
  '024_sums_that_cannot_overflow': {
    // A conversion may carry up to 2^63 - 1 minor units; two of them overflowed a bigint sum and failed
    // the whole batch they travelled in. Sums are numeric: no sum of allowed values overflows.
    async up(db: Kysely<unknown>) {
      await sql`ALTER TABLE rm_stats ALTER COLUMN revenue_minor TYPE numeric, ALTER COLUMN commissions_minor TYPE numeric`.execute(
        db,
      );
      await sql`ALTER TABLE rm_campaign_windows ALTER COLUMN revenue_minor TYPE numeric`.execute(db);
    },
  },
  '025_unapplied_events': {
    // An event of a batch that could not be projected, kept aside so the events beside it apply (applyIsolated).
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE rm_unapplied_events (recorded_message_id text NOT NULL, event_id text NOT NULL, campaign_id text NOT NULL,
        correlation_id text NOT NULL, reason text NOT NULL, seen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (recorded_message_id, campaign_id, event_id))`.execute(db);
    },
  },
  '026_commission_stats': {
    // Commission figures in a table of their own: the tracking and commission projections upserted the same
    // hot (campaign, influencer, day) row of rm_stats and waited on each other's row lock (97 ms per upsert at
    // 200 conversions/s). Additive: rm_stats keeps its column (what was counted there, and what a replica of
    // the previous release still counts during a rolling deploy), and rm_figures reads both.
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE rm_commission_stats (campaign_id text NOT NULL, influencer_id text NOT NULL, day text NOT NULL,
        commissions_minor numeric NOT NULL DEFAULT 0, PRIMARY KEY (campaign_id, influencer_id, day))`.execute(db);
      await sql`CREATE VIEW rm_figures AS
        SELECT campaign_id, influencer_id, day, impressions, clicks, conversions, invalid_events, revenue_minor, commissions_minor
        FROM rm_stats
        UNION ALL
        SELECT campaign_id, influencer_id, day, 0, 0, 0, 0, 0, commissions_minor
        FROM rm_commission_stats`.execute(db);
    },
  },
  '027_funnel': {
    // Leads, customers and coupon codes: the events' customer and code, the funnel's figures, the
    // brands' customers and codes, and the step that attributed each commission. Additive.
    async up(db: Kysely<unknown>) {
      await sql`ALTER TABLE rm_tracking_events ADD COLUMN customer_id text, ADD COLUMN coupon_code text,
        ADD COLUMN notes text[] NOT NULL DEFAULT '{}'`.execute(db);
      await sql`ALTER TABLE rm_stats ADD COLUMN leads bigint NOT NULL DEFAULT 0, ADD COLUMN customers bigint NOT NULL DEFAULT 0,
        ADD COLUMN converted_leads bigint NOT NULL DEFAULT 0`.execute(db);
      await sql`CREATE OR REPLACE VIEW rm_figures AS
        SELECT campaign_id, influencer_id, day, impressions, clicks, conversions, invalid_events, revenue_minor, commissions_minor,
          leads, customers, converted_leads
        FROM rm_stats
        UNION ALL
        SELECT campaign_id, influencer_id, day, 0, 0, 0, 0, 0, commissions_minor, 0, 0, 0
        FROM rm_commission_stats`.execute(db);
      await sql`ALTER TABLE rm_commissions ADD COLUMN attribution text`.execute(db);
      await sql`ALTER TABLE rm_campaigns ADD COLUMN attribution_model text NOT NULL DEFAULT 'last_click'`.execute(db);
      await sql`CREATE TABLE rm_customers (
          brand_id text NOT NULL,
          customer_id text NOT NULL,
          campaign_id text NOT NULL,
          influencer_id text NOT NULL,
          attribution text NOT NULL,
          bound_at text NOT NULL,
          sales bigint NOT NULL DEFAULT 0,
          revenue_minor numeric NOT NULL DEFAULT 0,
          PRIMARY KEY (brand_id, customer_id)
        )`.execute(db);
      await sql`CREATE INDEX rm_customers_by_campaign ON rm_customers (campaign_id, influencer_id)`.execute(db);
      await sql`CREATE TABLE rm_coupons (
          brand_id text NOT NULL,
          code_key text NOT NULL,
          code text NOT NULL,
          campaign_id text NOT NULL,
          influencer_id text NOT NULL,
          active boolean NOT NULL,
          created_at timestamptz NOT NULL,
          PRIMARY KEY (brand_id, code_key)
        )`.execute(db);
      await sql`CREATE INDEX rm_coupons_by_campaign ON rm_coupons (campaign_id)`.execute(db);
      await sql`CREATE INDEX rm_coupons_by_influencer ON rm_coupons (influencer_id)`.execute(db);
    },
  },
  '028_webhooks': {
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE rm_webhook_endpoints (
          seq bigserial UNIQUE, id text PRIMARY KEY, owner_role text NOT NULL, owner_id text NOT NULL,
          url text NOT NULL, event_types text[] NOT NULL, status text NOT NULL, disabled_reason text,
          created_at timestamptz NOT NULL
        )`.execute(db);
      await sql`CREATE INDEX rm_webhook_endpoints_by_owner ON rm_webhook_endpoints (owner_role, owner_id, seq)`.execute(
        db,
      );
      await sql`CREATE TABLE rm_webhook_deliveries (
          seq bigserial UNIQUE, id text PRIMARY KEY, endpoint_id text NOT NULL, type text NOT NULL,
          status text NOT NULL, attempts int NOT NULL DEFAULT 0, last_status_code int, last_latency_ms int,
          next_attempt_at timestamptz, response_snippet text, last_error text, created_at timestamptz NOT NULL
        )`.execute(db);
      await sql`CREATE INDEX rm_webhook_deliveries_by_endpoint ON rm_webhook_deliveries (endpoint_id, seq)`.execute(db);
    },
  },
  '029_review': {
    // A campaign's review rules; a held commission's reasons and review deadline.
    async up(db: Kysely<unknown>) {
      await sql`ALTER TABLE rm_campaigns ADD COLUMN review jsonb`.execute(db);
      await sql`ALTER TABLE rm_commissions ADD COLUMN reasons text[] NOT NULL DEFAULT '{}', ADD COLUMN review_by timestamptz`.execute(
        db,
      );
      await sql`CREATE INDEX rm_commissions_held ON rm_commissions (campaign_id, seq) WHERE status = 'held'`.execute(
        db,
      );
    },
  },
  '030_simulations': {
    // Backtests a brand ran: the BFF's own jobs (not a read model: no topic holds them), pruned with operations.
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE simulations (
          seq bigserial UNIQUE, id text PRIMARY KEY, campaign_id text NOT NULL, brand_id text NOT NULL,
          requested_by text NOT NULL, correlation_id text NOT NULL, status text NOT NULL, progress real NOT NULL DEFAULT 0,
          terms jsonb NOT NULL, from_at timestamptz NOT NULL, to_at timestamptz NOT NULL,
          result jsonb, error text, created_at timestamptz NOT NULL DEFAULT now(), heartbeat_at timestamptz, completed_at timestamptz
        )`.execute(db);
      await sql`CREATE INDEX simulations_by_campaign ON simulations (campaign_id, seq)`.execute(db);
      await sql`CREATE INDEX simulations_queued ON simulations (created_at) WHERE status = 'queued'`.execute(db);
    },
  },
};
