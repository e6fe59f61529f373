import type { ColumnType, Generated } from 'kysely';
import type { MessagingTables } from '@beacon/messaging';

export interface Database extends MessagingTables {
  campaigns: {
    id: string;
    brand_id: string;
    currency: string;
    attribution_window_days: number;
    status: string;
    landing_url: string;
  };
  tracking_events: {
    tenant: string;
    event_id: string;
    type: string;
    campaign_id: string;
    influencer_id: string | null;
    attribution: string;
    click_id: string | null;
    visitor_id: string;
    user_id: string | null;
    occurred_at: string;
    value_minor: bigint | null;
    currency: string | null;
    order_id: string | null;
    name: string | null;
    properties: ColumnType<unknown, string | null, string | null>;
    user_agent: string | null;
    ip: string | null;
    referrer: string | null;
    valid: boolean;
    reasons: ColumnType<string[], string[], string[]>;
    duplicate: boolean;
    refunded_event_id: string | null;
    received_at: string;
    recorded_at: Generated<Date>;
  };
  clicks: {
    click_id: string;
    campaign_id: string;
    influencer_id: string | null;
    visitor_id: string;
    occurred_at: string;
  };
}
