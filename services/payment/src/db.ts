import type { ColumnType, Generated } from 'kysely';
import type { MessagingTables } from '@beacon/messaging';

export interface Database extends MessagingTables {
  ledger_entries: {
    id: string;
    influencer_id: string;
    currency: string;
    kind: string;
    amount_minor: bigint;
    reference: string;
    available_at: Date;
    created_at: Generated<Date>;
    settled: Generated<boolean>;
  };
  payouts: {
    id: string;
    influencer_id: string;
    currency: string;
    amount_minor: bigint;
    method: string;
    destination: string;
    status: string;
    reason: string | null;
    created_at: Generated<Date>;
    completed_at: Date | null;
  };
  /** the simulated provider's own records (an outside system's, kept here for the demo) */
  provider_payments: {
    payout_id: string;
    amount_minor: bigint;
    currency: string;
    destination: string;
    result: ColumnType<unknown, string, string>;
    created_at: Generated<Date>;
  };
}
