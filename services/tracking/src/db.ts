import type { ColumnType, Generated } from 'kysely';
import type { MessagingTables } from '@beacon/messaging';
import type { TrackingEventColumns } from '@beacon/contracts';

export interface Database extends MessagingTables {
  campaigns: {
    id: string;
    brand_id: string;
    currency: string;
    attribution_window_days: number;
    status: string;
    landing_url: string;
  };
  tracking_events: TrackingEventColumns & {
    tenant: string;
    properties: ColumnType<unknown, string | null, string | null>;
    user_agent: string | null;
    ip: string | null;
    referrer: string | null;
    reasons: ColumnType<string[], string[], string[]>;
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
