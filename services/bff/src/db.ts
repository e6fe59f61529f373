import type { ColumnType, Generated } from 'kysely';
import type { MessagingTables } from '@beacon/messaging';
import type { TrackingEventColumns } from '@beacon/contracts';

type Json<T> = ColumnType<T, string, string>;

/** The figures of one (campaign, influencer, day). */
interface StatsRow {
  campaign_id: string;
  influencer_id: string;
  day: string;
  impressions: bigint;
  clicks: bigint;
  conversions: bigint;
  invalid_events: bigint;
  revenue_minor: bigint;
  commissions_minor: bigint;
  /** leads that were not duplicates */
  leads: Generated<bigint>;
  /** customers bound (by their first attributed lead or sale) */
  customers: Generated<bigint>;
  /** customers bound by a lead whose first sale came: the numerator of the lead-to-sale rate */
  converted_leads: Generated<bigint>;
}

export interface Database extends MessagingTables {
  rm_campaigns: {
    seq: Generated<bigint>;
    id: string;
    brand_id: string;
    name: string;
    landing_url: string;
    status: string;
    budget_minor: bigint;
    currency: string;
    spent_minor: Generated<bigint>;
    rules: Json<unknown[]>;
    visibility: string;
    attribution_window_days: number;
    attribution_model: Generated<string>;
    holding_period_days: number;
    /** the review rules (ReviewRules, money as JSON text), or null */
    review: ColumnType<unknown, string | null, string | null>;
    created_at: Date;
    updated_at: Date;
  };
  rm_campaign_influencers: { campaign_id: string; influencer_id: string; status: string };
  rm_tracking_events: TrackingEventColumns & {
    seq: Generated<bigint>;
    brand_id: string;
    reasons: string[];
    customer_id: string | null;
    coupon_code: string | null;
    notes: Generated<string[]>;
    correlation_id: string | null;
    command_message_id: string | null;
    recorded_message_id: string | null;
    recorded_at: string | null;
  };
  /** Tracking items refused as already recorded: kept for their flow's timeline, pruned with operations. */
  rm_unapplied_events: {
    correlation_id: string;
    campaign_id: string;
    event_id: string;
    reason: string;
    recorded_message_id: string;
    seen_at: Generated<Date>;
  };
  rate_limits: {
    key: string;
    points: number;
    expire: number | null;
  };
  dead_letters: {
    topic: string;
    service: string;
    message_id: string;
    message_type: string;
    correlation_id: string;
    seen_at: Generated<Date>;
  };
  rm_ignored_events: {
    correlation_id: string;
    campaign_id: string;
    event_id: string;
    reason: string;
    command_message_id: string;
    recorded_message_id: string;
    recorded_at: string;
    seen_at: Generated<Date>;
  };
  /** Commission figures were counted here (commissions_minor) before migration 026; in rm_commission_stats since. */
  rm_stats: StatsRow;
  /** Commissions approved (less reversals) per (campaign, influencer, day). */
  rm_commission_stats: {
    campaign_id: string;
    influencer_id: string;
    day: string;
    commissions_minor: bigint;
  };
  /** A view: the rows of rm_stats and rm_commission_stats together, to be summed. */
  rm_figures: StatsRow;
  rm_campaign_windows: {
    campaign_id: string;
    window_start: string;
    impressions: bigint;
    clicks: bigint;
    conversions: bigint;
    revenue_minor: bigint;
  };
  rm_activity: { brand_id: string; subject: string; window_start: string; type: string; count: bigint };
  rm_commissions: {
    seq: Generated<bigint>;
    id: string;
    campaign_id: string;
    influencer_id: string | null;
    source_event_id: string;
    amount_minor: bigint | null;
    currency: string;
    status: string;
    reason: string | null;
    /** the step that attributed the source event */
    attribution: string | null;
    /** why it is held (THRESHOLD and review signals); kept once decided */
    reasons: ColumnType<string[], string[] | undefined, string[]>;
    review_by: Date | null;
    created_at: Date;
  };
  /** A brand's customers: the influencer each is bound to, and its sales (revenue in the campaign's currency). */
  rm_customers: {
    brand_id: string;
    customer_id: string;
    campaign_id: string;
    influencer_id: string;
    attribution: string;
    bound_at: string;
    sales: bigint;
    revenue_minor: bigint;
  };
  /** A brand's coupon codes (unique per brand ignoring case: `code_key` is the code in lower case). */
  rm_coupons: {
    brand_id: string;
    code_key: string;
    code: string;
    campaign_id: string;
    influencer_id: string;
    active: boolean;
    created_at: Date;
  };
  rm_ledger: {
    entry_id: string;
    influencer_id: string;
    currency: string;
    kind: string;
    amount_minor: bigint;
    available_at: Date;
  };
  rm_payouts: {
    seq: Generated<bigint>;
    id: string;
    influencer_id: string;
    amount_minor: bigint;
    currency: string;
    method: string;
    destination: string;
    status: string;
    reason: string | null;
    created_at: Date;
    completed_at: Date | null;
  };
  operations: {
    correlation_id: string;
    started_by: string;
    command_type: string;
    status: string;
    reason: string | null;
    created_at: Generated<Date>;
    completed_at: Date | null;
    /** tracking flows: items the flow waits for, and items recorded or ignored so far */
    expected: Generated<number>;
    settled: Generated<number>;
  };
  operation_steps: {
    message_id: string;
    correlation_id: string;
    causation_id: string;
    kind: string;
    type: string;
    service: string;
    occurred_at: string;
    seen_at: Generated<Date>;
  };
  idempotency_keys: {
    caller: string;
    key: string;
    request_hash: string;
    state: 'in_progress' | 'done';
    status: number | null;
    body: ColumnType<unknown, string | null, string | null>;
    location: string | null;
    created_at: Generated<Date>;
  };
  /** Webhook endpoints, from the route that registers them and the webhook service's events. */
  rm_webhook_endpoints: {
    seq: Generated<bigint>;
    id: string;
    owner_role: string;
    owner_id: string;
    url: string;
    event_types: ColumnType<string[], string[], string[]>;
    status: string;
    disabled_reason: string | null;
    created_at: Date;
  };
  /** Backtests (simulations/): the BFF's own jobs, queued by the route and run by its worker. */
  simulations: {
    seq: Generated<bigint>;
    id: string;
    campaign_id: string;
    brand_id: string;
    requested_by: string;
    /** the operation that follows it (operations), settled when it ends */
    correlation_id: string;
    status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
    progress: Generated<number>;
    terms: Json<unknown>;
    from_at: Date;
    to_at: Date;
    result: ColumnType<unknown, string | null, string | null>;
    error: string | null;
    created_at: Generated<Date>;
    /** refreshed while a worker runs it: a running row whose worker died is taken again */
    heartbeat_at: Date | null;
    completed_at: Date | null;
  };
  /** Each delivery's latest state, from DeliveryScheduled and DeliveryAttempted. */
  rm_webhook_deliveries: {
    seq: Generated<bigint>;
    id: string;
    endpoint_id: string;
    type: string;
    status: string;
    attempts: Generated<number>;
    last_status_code: number | null;
    last_latency_ms: number | null;
    next_attempt_at: Date | null;
    response_snippet: string | null;
    last_error: string | null;
    created_at: Date;
  };
}
