import type { ColumnType, Generated } from 'kysely';
import type { MessagingTables } from '@beacon/messaging';
import type { TrackingEventColumns } from '@beacon/contracts';

export interface Database extends MessagingTables {
  campaigns: {
    id: string;
    brand_id: string;
    currency: string;
    attribution_window_days: number;
    attribution_model: Generated<string>;
    status: string;
    landing_url: string;
  };
  /** The brands' coupon codes (campaign/events), by brand and code in lower case. */
  coupons: {
    brand_id: string;
    code_key: string;
    code: string;
    campaign_id: string;
    influencer_id: string;
    active: boolean;
  };
  /** A brand's customers (tenant, the brand's own id), each bound to one influencer by its first attributed lead or sale. */
  customers: {
    tenant: string;
    customer_id: string;
    influencer_id: string;
    campaign_id: string;
    bound_at: string;
    bound_by: string;
    attribution: string;
    sales: number;
    has_lead: boolean;
  };
  tracking_events: TrackingEventColumns & {
    tenant: string;
    properties: ColumnType<unknown, string | null, string | null>;
    user_agent: string | null;
    ip: string | null;
    referrer: string | null;
    reasons: ColumnType<string[], string[], string[]>;
    refunded_event_id: string | null;
    customer_id: string | null;
    coupon_code: string | null;
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
