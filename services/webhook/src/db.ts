import type { ColumnType, Generated } from 'kysely';
import type { MessagingTables } from '@beacon/messaging';

export interface Database extends MessagingTables {
  /** whose each campaign is, from campaign events */
  campaigns: { id: string; brand_id: string };
  /** who accepted each campaign: an influencer's endpoint hears only of campaigns it accepted */
  members: { campaign_id: string; influencer_id: string };
  /** what a later commission event lacks (its source event, attribution, first time), from CommissionCalculated */
  commissions: {
    id: string;
    campaign_id: string;
    influencer_id: string | null;
    source_event_id: string;
    attribution: string | null;
    created_at: Date;
  };
  endpoints: {
    id: string;
    owner_role: string;
    owner_id: string;
    url: string;
    event_types: ColumnType<string[], string[], string[]>;
    salt: string;
    previous_salt: string | null;
    previous_valid_until: Date | null;
    status: string;
    disabled_reason: string | null;
    /** the first failed attempt since the last success; null while it succeeds */
    failing_since: Date | null;
    created_at: Generated<Date>;
  };
  deliveries: {
    /** the webhook-id, the same on every attempt */
    id: string;
    endpoint_id: string;
    type: string;
    body: string;
    /** the message that caused it: its attempts are steps of that flow */
    cause_message_id: string;
    correlation_id: string;
    status: string;
    attempts: Generated<number>;
    next_attempt_at: Date | null;
    /** a sender holds it until then; another replica takes it after */
    leased_until: Date | null;
    created_at: Generated<Date>;
  };
  attempts: {
    delivery_id: string;
    attempt: number;
    at: Date;
    status_code: number | null;
    latency_ms: number;
    response_snippet: string;
    error: string | null;
  };
}
