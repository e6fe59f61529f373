/**
 * Which commission a tracking event earns, as a pure function over the campaign replica.
 * Clicks and conversions get a commission or a rejection with its reason; impressions earn only
 * each time an influencer's count reaches a multiple of 1,000.
 */
import { percentOf, type Money } from '@beacon/money';
import type {
  CampaignCreated,
  CommissionRule as MessageRule,
  MessageTypes,
  RejectionReason as MessageReason,
  ReviewRules,
  TrackingEventRecordedV2 as TrackingEventRecorded,
} from '@beacon/contracts';

/** A campaign's rule as commission keeps it: the message's rules, and the lead/fixed rule (leadCommission). */
export type CommissionRule = Omit<MessageRule, 'event'> & { event: MessageRule['event'] | 'lead' };

/** Why a commission is rejected: the message's reasons, and those newer than its symbols. */
export type RejectionReason = MessageReason | 'CUSTOMER_DURATION_ENDED';

/** What an older reader of CommissionRejected sees for a newer reason (the rule no longer pays it). */
export const reasonForOlderReaders = (reason: RejectionReason): MessageReason =>
  reason === 'CUSTOMER_DURATION_ENDED' ? 'NO_RULE' : reason;
import { defined, THRESHOLD, TupleMap, TupleSet, withinCustomerDuration } from '@beacon/domain';
import type { Decider, Emission } from '@beacon/messaging';

/** The campaign's rules as commission keeps them: its commission rules, and its lead/fixed rule when it has one. */
export const rulesOfCampaign = (c: Pick<CampaignCreated, 'commissionRules' | 'leadCommission'>): CommissionRule[] => [
  ...c.commissionRules,
  ...(c.leadCommission
    ? [
        {
          event: 'lead' as const,
          type: 'fixed' as const,
          rate: null,
          amount: c.leadCommission,
          customerDurationMonths: null,
        },
      ]
    : []),
];

export interface CampaignTerms {
  id: string;
  brandId: string;
  currency: string;
  status: string;
  holdingPeriodDays: number;
  rules: CommissionRule[];
  accepted: string[];
  review: ReviewRules | null;
}

/** Why a commission of this amount, for an event showing these signals, is held for review; none: it is not. */
export function holdReasonsOf(review: ReviewRules | null, amount: Money, signals: readonly string[]): string[] {
  if (!review) return [];
  const threshold = review.thresholdAmount;
  const over =
    threshold !== null && amount.currency === threshold.currency && amount.amountMinor >= threshold.amountMinor;
  return [...(over ? [THRESHOLD] : []), ...review.signals.filter((s) => signals.includes(s))];
}

export type Decision =
  | { kind: 'none' }
  | { kind: 'calculate'; amount: Money; holdReasons: string[] }
  | { kind: 'reject'; reason: RejectionReason };

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
  // A customer's sales earn for its influencer as long as the rule says (always, the first only, N months).
  if (
    event.type === 'conversion' &&
    event.customer &&
    !withinCustomerDuration(rule.customerDurationMonths ?? null, event.customer, event.occurredAt)
  )
    return { kind: 'reject', reason: 'CUSTOMER_DURATION_ENDED' };
  const amount =
    rule.type === 'percent'
      ? percentOf(defined(event.value, 'a conversion value'), defined(rule.rate, 'a percent rule rate'))
      : defined(rule.amount, `a ${rule.type} rule amount`);
  // A tiny value can round to nothing: no commission, nothing to reserve.
  if (amount.amountMinor <= 0n) return { kind: 'none' };
  return { kind: 'calculate', amount, holdReasons: holdReasonsOf(terms.review, amount, event.signals) };
}

/** What a batch's store looked up before deciding its recorded tracking events. */
export interface CommissionFacts {
  terms: Map<string, CampaignTerms>;
  /** (campaign, source event id) of events that already have a commission or a rejection */
  decided: TupleSet<[string, string]>;
  /** impressions counted per (campaign, influencer) before this batch */
  impressions: TupleMap<[string, string], bigint>;
}

/** A commission or a rejection as a batch decides it, before it is stored. */
export interface NewCommission {
  id: string;
  campaignId: string;
  influencerId: string | null;
  sourceEventId: string;
  eventType: string;
  currency: string;
  amountMinor: bigint | null;
  status: 'pending' | 'rejected';
  reason: RejectionReason | null;
  /** why its campaign's review will hold it once its budget is reserved */
  reviewReasons: string[];
}

/** A batch decided: the facts as it left them, and what it adds (impressions counted, commissions). */
export interface CommissionBatch {
  facts: CommissionFacts;
  impressionsAdded: TupleMap<[string, string], bigint>;
  commissions: NewCommission[];
}

export type CommissionEvent = Emission<
  Pick<MessageTypes, 'commission.CommissionCalculated' | 'commission.CommissionRejected'>
>;

type Item = { correlationId: string; event: TrackingEventRecorded };
type Recorded = Pick<Item, 'event'>;

/** Each item's impression count once it is counted (0 for anything not counted), and what the batch adds per influencer. */
function countImpressions(
  items: Recorded[],
  before: TupleMap<[string, string], bigint>,
): { countAt: bigint[]; added: TupleMap<[string, string], bigint> } {
  const added = new TupleMap<[string, string], bigint>();
  const countAt = items.map(({ event: e }) => {
    if (e.type !== 'impression' || !e.valid || !e.influencerId) return 0n;
    const k: [string, string] = [e.campaignId, e.influencerId];
    const n = (added.get(k) ?? 0n) + 1n;
    added.set(k, n);
    return (before.get(k) ?? 0n) + n;
  });
  return { countAt, added };
}

/** The (campaign, influencer) pairs whose impression counts a batch moves. */
export const countedOf = (items: Recorded[]): Array<[string, string]> =>
  new TupleSet<[string, string]>(
    items.flatMap(({ event: e }) =>
      e.type === 'impression' && e.valid && e.influencerId ? [[e.campaignId, e.influencerId]] : [],
    ),
  ).keys();

/**
 * The source events of a batch that may earn or be rejected, so the store looks up earlier
 * decisions for these only: valid clicks and conversions, and the impressions that reach a multiple
 * of 1,000. The other impressions of a batch (nearly all of them) need no lookup.
 */
export function candidatesOf(
  items: Recorded[],
  impressionsBefore: TupleMap<[string, string], bigint>,
): Array<[string, string]> {
  const { countAt } = countImpressions(items, impressionsBefore);
  return items.flatMap(({ event: e }, i): Array<[string, string]> => {
    const earns =
      e.type === 'impression'
        ? (countAt[i] ?? 0n) > 0n && (countAt[i] ?? 0n) % 1000n === 0n
        : e.valid && (e.type === 'click' || e.type === 'conversion' || e.type === 'lead');
    return earns ? [[e.campaignId, e.eventId]] : [];
  });
}

/** The valid refunds of a batch, in order: each reverses (or marks for reversal) its conversion's commission. */
export const refundsOf = (items: Item[]): Item[] =>
  items.filter(({ event: e }) => e.type === 'refund' && e.valid && e.refundedEventId !== null);

/**
 * Decides a batch in order: one decision per source event (an event seen before, or earlier in the
 * batch, gets none), and every impression counted, so that the one reaching each multiple of 1,000
 * earns. Each commission's event is keyed by its campaign, in the flow of the item that earned it.
 * Refunds are not decided here: reversing needs the stored commission (`refundsOf`, the saga).
 */
export function commissionDecider(newId: () => string): Decider<CommissionBatch, Item[], CommissionEvent> {
  return {
    initialState: () => ({
      facts: { terms: new Map(), decided: new TupleSet(), impressions: new TupleMap() },
      impressionsAdded: new TupleMap(),
      commissions: [],
    }),
    decide(items, state) {
      const { countAt, added } = countImpressions(items, state.facts.impressions);
      const decided = state.facts.decided.copy();
      const impressions = state.facts.impressions.copy();
      for (const [k, n] of added.entries()) impressions.set(k, (impressions.get(k) ?? 0n) + n);
      const commissions: NewCommission[] = [];
      const events: CommissionEvent[] = [];
      items.forEach((item, i) => {
        const e = item.event;
        if (e.type === 'refund' || decided.has([e.campaignId, e.eventId])) return;
        decided.add([e.campaignId, e.eventId]);
        const terms = state.facts.terms.get(e.campaignId);
        const decision = decideCommission(e, terms, countAt[i] ?? 0n);
        if (decision.kind === 'none') return;
        const commission: NewCommission = {
          id: newId(),
          campaignId: e.campaignId,
          influencerId: e.influencerId,
          sourceEventId: e.eventId,
          eventType: e.type,
          currency:
            decision.kind === 'calculate' ? decision.amount.currency : (e.value?.currency ?? terms?.currency ?? 'USD'),
          amountMinor: decision.kind === 'calculate' ? decision.amount.amountMinor : null,
          status: decision.kind === 'calculate' ? 'pending' : 'rejected',
          reason: decision.kind === 'reject' ? decision.reason : null,
          reviewReasons: decision.kind === 'calculate' ? decision.holdReasons : [],
        };
        commissions.push(commission);
        const flow = { key: e.campaignId, correlationId: item.correlationId };
        const named = {
          commissionId: commission.id,
          campaignId: e.campaignId,
          sourceEventId: e.eventId,
          attribution: e.influencerId ? e.attribution : null,
        };
        events.push(
          decision.kind === 'reject'
            ? {
                type: 'commission.CommissionRejected',
                data: {
                  ...named,
                  influencerId: e.influencerId,
                  reason: reasonForOlderReaders(decision.reason),
                  reasonDetail: decision.reason === reasonForOlderReaders(decision.reason) ? null : decision.reason,
                  amount: null,
                },
                ...flow,
              }
            : {
                type: 'commission.CommissionCalculated',
                data: {
                  ...named,
                  influencerId: defined(e.influencerId, 'the attributed influencer'),
                  eventType: e.type,
                  amount: decision.amount,
                },
                ...flow,
              },
        );
      });
      return {
        state: { facts: { ...state.facts, decided, impressions }, impressionsAdded: added, commissions },
        events,
      };
    },
  };
}
