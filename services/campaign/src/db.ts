import type { ColumnType } from 'kysely';
import type { MessagingTables } from '@beacon/messaging';
import type { Campaign } from './campaign.js';

export interface Database extends MessagingTables {
  campaigns: {
    id: string;
    brand_id: string;
    state: ColumnType<Campaign, string, string>;
    updated_at: ColumnType<Date, Date, Date>;
  };
  /** amount_minor is numeric, read back as a bigint (service-kit's type parser). */
  reservations: {
    campaign_id: string;
    commission_id: string;
    amount_minor: ColumnType<bigint, string, string>;
    released: boolean;
  };
  members: {
    campaign_id: string;
    influencer_id: string;
    status: 'invited' | 'accepted';
  };
  /** The brand's coupon codes, unique per brand ignoring case (`code_key` is the code in lower case). */
  coupons: {
    brand_id: string;
    code_key: string;
    code: string;
    campaign_id: string;
    influencer_id: string;
    active: boolean;
  };
  evidence: {
    id: string;
    campaign_id: string;
    influencer_id: string;
    type: string;
    url: string;
    description: string | null;
    submitted_at: ColumnType<Date, Date | undefined, never>;
  };
}
