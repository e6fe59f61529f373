/**
 * Which commission a tracking event earns, as a pure function over the campaign replica.
 * Clicks and conversions get a commission or a rejection with its reason; impressions earn only
 * each time an influencer's count reaches a multiple of 1,000.
 */
import { percentOf, type Money } from '@beacon/money';
import type { CommissionRule, RejectionReason, TrackingEventRecorded } from '@beacon/contracts';
import { defined } from '@beacon/domain';

export interface CampaignTerms {
  id: string;
  brandId: string;
  currency: string;
  status: string;
  holdingPeriodDays: number;
  rules: CommissionRule[];
  accepted: string[];
}

export type Decision =
  { kind: 'none' } | { kind: 'calculate'; amount: Money } | { kind: 'reject'; reason: RejectionReason };

export function decideCommission(
  event: TrackingEventRecorded,
  terms: CampaignTerms | undefined,
  impressionCount: bigint,
): Decision {
  if (!event.valid || event.type === 'custom' || event.type === 'refund') return { kind: 'none' };
  if (event.type === 'impression' && (!event.influencerId || impressionCount === 0n || impressionCount % 1000n !== 0n))
    return { kind: 'none' };
  if (event.duplicate) return { kind: 'reject', reason: 'DUPLICATE' };
  if (!event.influencerId) return { kind: 'reject', reason: 'UNATTRIBUTED' };
  // budget_exhausted still calculates: the campaign's budget saga answers BUDGET_EXHAUSTED.
  if (!terms || terms.status === 'paused' || terms.status === 'completed')
    return { kind: 'reject', reason: 'CAMPAIGN_NOT_ACTIVE' };
  if (!terms.accepted.includes(event.influencerId)) return { kind: 'reject', reason: 'NOT_PARTICIPATING' };
  if (event.type === 'conversion' && event.value && event.value.currency !== terms.currency)
    return { kind: 'reject', reason: 'CURRENCY_MISMATCH' };
  const rule = terms.rules.find((r) => r.event === event.type);
  if (!rule) return { kind: 'reject', reason: 'NO_RULE' };
  const amount =
    rule.type === 'percent'
      ? percentOf(defined(event.value, 'a conversion value'), defined(rule.rate, 'a percent rule rate'))
      : defined(rule.amount, `a ${rule.type} rule amount`);
  // A tiny value can round to nothing: no commission, nothing to reserve.
  if (amount.amountMinor <= 0n) return { kind: 'none' };
  return { kind: 'calculate', amount };
}

/** What the handler looked up before deciding a batch of recorded tracking events. */
export interface CommissionFacts {
  terms: Map<string, CampaignTerms>;
  /** `decisionKey(campaignId, sourceEventId)` of events that already have a commission or a rejection */
  decided: Set<string>;
  /** impressions counted per `impressionKey(campaignId, influencerId)` before this batch */
  impressionsBefore: Map<string, bigint>;
}

export const decisionKey = (campaignId: string, eventId: string): string => `${campaignId}\u0000${eventId}`;
export const impressionKey = (campaignId: string, influencerId: string): string => `${campaignId}\u0000${influencerId}`;

export interface CommissionDecision {
  correlationId: string;
  event: TrackingEventRecorded;
  decision: Exclude<Decision, { kind: 'none' }>;
}

export interface BatchCommissions {
  decisions: CommissionDecision[];
  /** impressions this batch adds, per impressionKey */
  impressionsAdded: Map<string, bigint>;
  /** valid refunds, in order: each reverses (or marks for reversal) its conversion's commission */
  refunds: Array<{ correlationId: string; event: TrackingEventRecorded }>;
}

type Item = { correlationId: string; event: TrackingEventRecorded };

/** Each item's impression count once it is counted (0 for anything not counted), and what the batch adds per influencer. */
function countImpressions(
  items: Item[],
  before: Map<string, bigint>,
): { countAt: bigint[]; added: Map<string, bigint> } {
  const added = new Map<string, bigint>();
  const countAt = items.map(({ event: e }) => {
    if (e.type !== 'impression' || !e.valid || !e.influencerId) return 0n;
    const k = impressionKey(e.campaignId, e.influencerId);
    const n = (added.get(k) ?? 0n) + 1n;
    added.set(k, n);
    return (before.get(k) ?? 0n) + n;
  });
  return { countAt, added };
}

/**
 * The source events of a batch that may earn or be rejected, so the handler looks up earlier
 * decisions for these only: valid clicks and conversions, and the impressions that reach a multiple
 * of 1,000. The other impressions of a batch (nearly all of them) need no lookup.
 */
export function candidatesOf(
  items: Item[],
  impressionsBefore: Map<string, bigint>,
): Array<{ campaignId: string; eventId: string }> {
  const { countAt } = countImpressions(items, impressionsBefore);
  return items.flatMap(({ event: e }, i) => {
    const earns =
      e.type === 'impression'
        ? (countAt[i] ?? 0n) > 0n && (countAt[i] ?? 0n) % 1000n === 0n
        : e.valid && (e.type === 'click' || e.type === 'conversion');
    return earns ? [{ campaignId: e.campaignId, eventId: e.eventId }] : [];
  });
}

/**
 * Decides a batch in order: one decision per source event (an event seen before, or earlier in the
 * batch, gets none), and every impression counted, so that the one reaching each multiple of 1,000
 * earns. Refunds are handed back: reversing needs the stored commission.
 */
export function decideCommissions(items: Item[], facts: CommissionFacts): BatchCommissions {
  const { countAt, added } = countImpressions(items, facts.impressionsBefore);
  const out: BatchCommissions = { decisions: [], impressionsAdded: added, refunds: [] };
  const decided = new Set<string>();
  items.forEach((item, i) => {
    const e = item.event;
    if (e.type === 'refund') {
      if (e.valid && e.refundedEventId) out.refunds.push(item);
      return;
    }
    const key = decisionKey(e.campaignId, e.eventId);
    if (facts.decided.has(key) || decided.has(key)) return;
    decided.add(key);
    const decision = decideCommission(e, facts.terms.get(e.campaignId), countAt[i] ?? 0n);
    if (decision.kind === 'none') return;
    out.decisions.push({ correlationId: item.correlationId, event: e, decision });
  });
  return out;
}
