/**
 * Which commission a tracking event earns, as a pure function over the campaign replica.
 * Clicks and conversions get a commission or a rejection with its reason; impressions earn only
 * each time an influencer's count reaches a multiple of 1,000.
 */
import { percentOf, type Money } from '@beacon/money';
import type { CommissionRule, RejectionReason, TrackingEventRecorded } from '@beacon/contracts';

export interface CampaignTerms {
  id: string;
  brandId: string;
  currency: string;
  status: string;
  holdingPeriodDays: number;
  rules: CommissionRule[];
  accepted: string[];
}

export type Decision = { kind: 'none' } | { kind: 'calculate'; amount: Money } | { kind: 'reject'; reason: RejectionReason };

export function decideCommission(event: TrackingEventRecorded, terms: CampaignTerms | undefined, impressionCount: bigint): Decision {
  if (!event.valid || event.type === 'custom' || event.type === 'refund') return { kind: 'none' };
  if (event.type === 'impression' && (!event.influencerId || impressionCount === 0n || impressionCount % 1000n !== 0n)) return { kind: 'none' };
  if (event.duplicate) return { kind: 'reject', reason: 'DUPLICATE' };
  if (!event.influencerId) return { kind: 'reject', reason: 'UNATTRIBUTED' };
  // budget_exhausted still calculates: the campaign's budget saga answers BUDGET_EXHAUSTED.
  if (!terms || terms.status === 'paused' || terms.status === 'completed') return { kind: 'reject', reason: 'CAMPAIGN_NOT_ACTIVE' };
  if (!terms.accepted.includes(event.influencerId)) return { kind: 'reject', reason: 'NOT_PARTICIPATING' };
  if (event.type === 'conversion' && event.value && event.value.currency !== terms.currency) return { kind: 'reject', reason: 'CURRENCY_MISMATCH' };
  const rule = terms.rules.find((r) => r.event === event.type);
  if (!rule) return { kind: 'reject', reason: 'NO_RULE' };
  const amount = rule.type === 'percent' ? percentOf(event.value!, rule.rate!) : rule.amount!;
  // A tiny value can round to nothing: no commission, nothing to reserve.
  if (amount.amountMinor <= 0n) return { kind: 'none' };
  return { kind: 'calculate', amount };
}
