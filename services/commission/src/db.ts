import type { ColumnType, Generated } from 'kysely';
import type { CommissionRule } from '@beacon/contracts';
import type { MessagingTables } from '@beacon/messaging';

export interface Database extends MessagingTables {
  campaign_terms: {
    id: string;
    brand_id: string;
    currency: string;
    status: string;
    holding_period_days: number;
    rules: ColumnType<CommissionRule[], string, string>;
    accepted: string[];
    /** ReviewRules as JSON text (money revived), or null: nothing is held */
    review: ColumnType<unknown, string | null, string | null>;
  };
  commissions: {
    id: string;
    campaign_id: string;
    influencer_id: string | null;
    source_event_id: string;
    event_type: string;
    amount_minor: bigint | null;
    requested_minor: bigint | null;
    currency: string;
    status: string;
    reason: string | null;
    reverse_pending: boolean;
    review_reasons: ColumnType<string[], string[] | undefined, string[]>;
    review_by: Date | null;
    hold_message_id: string | null;
    hold_correlation_id: string | null;
    created_at: Generated<Date>;
  };
  impression_counts: { campaign_id: string; influencer_id: string; count: bigint };
}
