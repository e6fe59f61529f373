/**
 * A recorded tracking event as table columns (snake_case, money in minor units): the tracking
 * service's own table and the BFF's read model both keep these, each with columns of its own beside.
 */
export interface TrackingEventColumns {
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
  valid: boolean;
  duplicate: boolean;
}
