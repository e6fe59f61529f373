/**
 * A backtest: what other terms would have paid over a campaign's retained history, beside what was
 * paid. It runs the deciders that pay, in memory, in publish order over the campaign's events:
 *
 * - tracking's `trackingDecider` re-decides every valid click, lead, conversion and refund with the
 *   proposed attribution window and model (the facts its store would have looked up — earlier clicks,
 *   orders, customers, codes — are kept here from what this run decided before);
 * - commission's `commissionDecider` decides each recorded event with the proposed rules;
 * - the campaign's own `decide`/`evolve` reserve and release the budget;
 * - the commission saga (`advance`) approves, holds, rejects and reverses, and takes the brand's
 *   actual review decisions when they happened.
 *
 * Nothing here writes anywhere: the inputs are messages, the output is two columns of figures.
 * Events whose tracking decision does not depend on the terms (impressions, custom events, anything
 * recorded invalid) keep their recorded decision; signals are taken as recorded (they do not depend
 * on the terms, and the client's IP and user agent are not in the recorded events).
 */
import type {
  AttributionModel,
  CampaignCreated,
  Money,
  RecordTrackingEventV2,
  ReviewRules,
  TrackingEventRecordedV2,
} from '@beacon/contracts';
import { couponKey, TupleMap, TupleSet } from '@beacon/domain';
import {
  decide as decideCampaign,
  evolve,
  type Command as CampaignCommand,
  type Event as CampaignEvent,
  type Reservation,
  type State,
} from '@beacon/campaign-service/campaign';
import {
  commissionDecider,
  rulesOfCampaign,
  type CampaignTerms,
  type CommissionBatch,
  type CommissionRule,
} from '@beacon/commission-service/rules';
import { advance, type Commission, type SagaEvent, type SagaStep } from '@beacon/commission-service/saga';
import { noFacts, trackingDecider, type BatchFacts, type StoredClick } from '@beacon/tracking-service/tracking';

/** The terms a simulation tries: the rules (the lead rule among them), and optionally attribution. */
export interface ProposedTerms {
  rules: CommissionRule[];
  attributionWindowDays?: number;
  attributionModel?: AttributionModel;
}

/** One message of the campaign's history, decoded, in publish order. */
export type HistoryMessage =
  | { type: 'campaign.CampaignCreated'; data: CampaignCreated }
  | { type: 'campaign'; event: CampaignEvent }
  | { type: 'tracking.Recorded'; data: { correlationId: string; event: TrackingEventRecordedV2 } }
  | {
      type: 'commission';
      event:
        | SagaEvent
        | {
            type: 'commission.CommissionCalculated';
            data: { commissionId: string; sourceEventId: string; influencerId: string; amount: Money };
          };
    };

export interface Column {
  /** approved (or paid) and not reversed, in minor units of the campaign's currency */
  totalMinor: bigint;
  byInfluencer: Map<string, bigint>;
  byDay: Map<string, bigint>;
  rejectedByReason: Map<string, number>;
  held: { count: number; amountMinor: bigint };
  reversed: number;
  /** occurredAt of the source event whose reservation spent the last of the budget */
  budgetExhaustedAt: string | null;
}

export interface SimulationResult {
  currency: string;
  proposed: Column;
  actual: Column;
  /** tracking events re-decided */
  events: number;
  /** Each source event's commission in both columns (for a closer look than the figures; not stored). */
  outcomes: { proposed: Outcome[]; actual: Outcome[] };
}

/** A commission's final state, for either column. */
export interface Outcome {
  influencerId: string | null;
  sourceEventId: string;
  status: string;
  amountMinor: bigint;
  reason: string | null;
}

const day = (at: string) => at.slice(0, 10);

function columnOf(
  outcomes: Iterable<Outcome>,
  occurredAt: Map<string, string>,
  inRange: (at: string) => boolean,
  exhaustedBy: string | undefined,
): Column {
  const column: Column = {
    totalMinor: 0n,
    byInfluencer: new Map(),
    byDay: new Map(),
    rejectedByReason: new Map(),
    held: { count: 0, amountMinor: 0n },
    reversed: 0,
    budgetExhaustedAt: exhaustedBy ? (occurredAt.get(exhaustedBy) ?? null) : null,
  };
  for (const o of outcomes) {
    const at = occurredAt.get(o.sourceEventId);
    if (!at || !inRange(at)) continue;
    if (o.status === 'approved' || o.status === 'paid') {
      column.totalMinor += o.amountMinor;
      const who = o.influencerId ?? '';
      column.byInfluencer.set(who, (column.byInfluencer.get(who) ?? 0n) + o.amountMinor);
      column.byDay.set(day(at), (column.byDay.get(day(at)) ?? 0n) + o.amountMinor);
    } else if (o.status === 'rejected') {
      const reason = o.reason ?? 'UNKNOWN';
      column.rejectedByReason.set(reason, (column.rejectedByReason.get(reason) ?? 0) + 1);
    } else if (o.status === 'held') {
      column.held.count++;
      column.held.amountMinor += o.amountMinor;
    } else if (o.status === 'reversed') column.reversed++;
  }
  if (column.budgetExhaustedAt && !inRange(column.budgetExhaustedAt)) column.budgetExhaustedAt = null;
  return column;
}

/** The rules of a created campaign as commission keeps them (its lead rule among them). */
export { rulesOfCampaign };

/** The raw event a recorded one was recorded from, as far as deciding it again needs. */
function rawOf(e: TrackingEventRecordedV2, brandId: string): RecordTrackingEventV2 {
  return {
    eventId: e.eventId,
    clientEventId: true,
    type: e.type,
    campaignId: e.campaignId,
    influencerId: e.attribution === 'explicit' && e.type !== 'refund' ? e.influencerId : null,
    clickId: e.clickId,
    visitorId: e.visitorId,
    userId: e.userId,
    occurredAt: e.occurredAt,
    value: e.type === 'refund' ? null : e.value,
    orderId: e.orderId,
    customerId: e.customerId,
    couponCode: e.couponCode,
    name: e.name,
    properties: e.properties,
    userAgent: null,
    ip: null,
    referrer: null,
    // It was believed when it was recorded (only valid events are decided again).
    receivedAt: e.occurredAt,
    writerBrandId: brandId,
  };
}

/** A budget event of the campaign in its history: where it was published, whose, and the budget around it. */
interface BudgetStep {
  index: number;
  /** the campaign's number for the decision (`budgetSeq`), on events written since it carries one */
  seq: bigint | null;
  source: string;
  release: boolean;
  fits: (remaining: bigint) => boolean;
  after: (remaining: bigint) => bigint;
}

/** How far ahead of publish order a decision is looked for. */
const REORDER_WINDOW = 1000;

/**
 * The order in which the campaign decided its budget events, and where in the history the backtest
 * takes each (its slot). The campaign decides them in
 * transactions that run side by side (reservations and reversals from commission/events, review
 * releases from commission/review-events, per message key), and one transaction's events may go out in
 * several packs with another's between them: publish order is not decision order. The events say the
 * budget they left (`remaining`), so the decision order is rebuilt from it: the next decided event is
 * the first published (within a window) whose budget before it is the budget the last one left — for a
 * refusal for an exhausted budget, none left. Where nothing fits, publish order. Events written since
 * the campaign numbers its budget decisions (`budgetSeq`) say the order outright: when every budget
 * event of the history carries its number, that order is taken, and nothing is rebuilt.
 */
function budgetOrder(
  history: HistoryMessage[],
  sourceOf: Map<string, string>,
  budget: bigint,
): Array<{ slot: number; source: string; release: boolean }> {
  const steps: BudgetStep[] = [];
  history.forEach((m, index) => {
    if (m.type !== 'campaign') return;
    const e = m.event;
    const source = 'commissionId' in e.data ? sourceOf.get(e.data.commissionId) : undefined;
    if (!source) return;
    if (e.type === 'campaign.BudgetReserved') {
      const { reserved, remaining } = e.data;
      steps.push({
        index,
        seq: e.data.budgetSeq ?? null,
        source,
        release: false,
        fits: (r) => r - reserved.amountMinor === remaining.amountMinor,
        after: () => remaining.amountMinor,
      });
    } else if (e.type === 'campaign.BudgetReleased') {
      const { released, remaining } = e.data;
      steps.push({
        index,
        seq: e.data.budgetSeq ?? null,
        source,
        release: true,
        fits: (r) => r + released.amountMinor === remaining.amountMinor,
        after: () => remaining.amountMinor,
      });
    } else if (e.type === 'campaign.BudgetReservationRejected') {
      const exhausted = e.data.reason === 'BUDGET_EXHAUSTED';
      steps.push({
        index,
        seq: e.data.budgetSeq ?? null,
        source,
        release: false,
        fits: (r) => !exhausted || r <= 0n,
        after: (r) => r,
      });
    }
  });
  const decided: BudgetStep[] = [];
  if (steps.every((step) => step.seq !== null)) {
    // Each says where it was decided.
    decided.push(...steps.sort((a, b) => (a.seq === b.seq ? 0 : (a.seq as bigint) < (b.seq as bigint) ? -1 : 1)));
  } else {
    const left = [...steps];
    let remaining = budget;
    while (left.length > 0) {
      let k = left.slice(0, REORDER_WINDOW).findIndex((s) => s.fits(remaining));
      if (k < 0) k = 0;
      const [next] = left.splice(k, 1) as [BudgetStep];
      remaining = next.after(remaining);
      decided.push(next);
    }
  }
  // Each is taken no earlier than it was published (what it needs is there by then), and in decision
  // order: one decided after a later-published one waits for it (fractions keep the order within a message).
  let latest = 0;
  return decided.map((step, n) => {
    latest = Math.max(latest, step.index);
    return { slot: latest + (n + 1) / (decided.length + 1) / 2, source: step.source, release: step.release };
  });
}

type Pair = [string, string];
type Triple = [string, string, string];

const entryOf = <K extends Pair | Triple, V>(map: TupleMap<K, V>, key: K | undefined): Array<[K, V]> =>
  key !== undefined && map.has(key) ? [[key, map.get(key) as V]] : [];

/**
 * The facts the tracking store would look up for one event (its order, click id, customer and code
 * only), out of all this run has learnt: what the live store loads for a batch. The decider copies the
 * facts it is given, so handing it everything would copy the whole history at every event.
 */
function factsOf(all: BatchFacts, e: RecordTrackingEventV2, tenant: string): BatchFacts {
  const order: Pair | undefined = e.orderId ? [e.campaignId, e.orderId] : undefined;
  const seen: Triple = [tenant, e.campaignId, e.eventId];
  return {
    ...noFacts(),
    campaigns: all.campaigns,
    seen: new TupleSet(all.seen.has(seen) ? [seen] : []),
    conversions: new TupleMap(entryOf(all.conversions, order)),
    refunded: new TupleSet(order && all.refunded.has(order) ? [order] : []),
    clickInfluencers: new TupleMap(entryOf(all.clickInfluencers, e.clickId ? [e.campaignId, e.clickId] : undefined)),
    coupons: new TupleMap(entryOf(all.coupons, e.couponCode ? [tenant, couponKey(e.couponCode)] : undefined)),
    customers: new TupleMap(entryOf(all.customers, e.customerId ? [tenant, e.customerId] : undefined)),
  };
}

/** What a decision added to the facts it was given, kept with the rest. */
function learn(all: BatchFacts, decided: BatchFacts): void {
  for (const key of decided.seen.keys()) all.seen.add(key);
  for (const [key, value] of decided.conversions.entries()) all.conversions.set(key, value);
  for (const key of decided.refunded.keys()) all.refunded.add(key);
  for (const [key, value] of decided.clickInfluencers.entries()) all.clickInfluencers.set(key, value);
  for (const [key, value] of decided.customers.entries()) all.customers.set(key, value);
}

export interface SimulateOptions {
  campaignId: string;
  proposed: ProposedTerms;
  from: string;
  to: string;
}

/** The simulation, a step at a time: it yields how many messages it has done (every 1,000), and returns the result. */
export function* simulation(history: HistoryMessage[], options: SimulateOptions): Generator<number, SimulationResult> {
  const created = history.find((m) => m.type === 'campaign.CampaignCreated');
  if (!created || created.type !== 'campaign.CampaignCreated')
    throw new Error('the campaign has no CampaignCreated in the retained history');
  const c = created.data;
  const inRange = (at: string) => at >= options.from && at <= options.to;
  const windowDays = options.proposed.attributionWindowDays ?? c.attributionWindowDays;
  const model = options.proposed.attributionModel ?? c.attributionModel;

  // The campaign aggregate as the campaign service keeps it, with this run's own budget.
  let campaign: State = null;
  const applyCampaign = (events: CampaignEvent[]) => {
    for (const event of events) campaign = evolve(campaign, event);
    return events;
  };
  // Its reservations beside it, as the service stores them (a row each): a budget command is decided
  // on the one reservation it is about (the aggregate copies what it holds at every event).
  const reservations = new Map<string, Reservation>();
  const decideBudget = (command: CampaignCommand & { data: { commissionId: string } }) => {
    const id = command.data.commissionId;
    const held = reservations.get(id);
    let state: State = campaign && { ...campaign, reservations: held ? { [id]: held } : {} };
    const events = decideCampaign(command, state);
    for (const event of events) state = evolve(state, event);
    if (state) {
      for (const [key, reservation] of Object.entries(state.reservations)) reservations.set(key, reservation);
      campaign = { ...state, reservations: {} };
    }
    return events;
  };
  let proposedExhaustedBy: string | undefined;

  // Tracking: the facts a store would hold, decided by this run.
  const decideTracking = trackingDecider(() => `sim-click-${Math.random().toString(36).slice(2)}`);
  const facts: BatchFacts = {
    ...noFacts(),
    campaigns: new Map([
      [
        c.campaignId,
        {
          id: c.campaignId,
          brandId: c.brandId,
          currency: c.budget.currency,
          attributionWindowDays: windowDays,
          attributionModel: model,
        },
      ],
    ]),
  };
  const clicks = new TupleMap<[string, string], StoredClick[]>();

  // Commission: the decider's state, the saga's commissions by source event.
  const decideCommission = commissionDecider(() => `sim-${Math.random().toString(36).slice(2)}`);
  let commissionState: CommissionBatch = decideCommission.initialState();
  const decided = new TupleSet<[string, string]>();
  const proposed = new Map<string, Commission>();
  const review: ReviewRules | null = (c as CampaignCreated & { review?: ReviewRules | null }).review ?? null;

  // Actual: what the commission events said, by commission id.
  const actual = new Map<string, Outcome>();
  const sourceOfActual = new Map<string, string>();
  let actualExhaustedBy: string | undefined;
  const occurredAt = new Map<string, string>();
  let events = 0;

  const termsNow = (): CampaignTerms => {
    const state = campaign;
    return {
      id: c.campaignId,
      brandId: c.brandId,
      currency: c.budget.currency,
      status: state?.status ?? 'active',
      holdingPeriodDays: c.holdingPeriodDays,
      rules: options.proposed.rules,
      accepted: Object.entries(state?.influencers ?? {}).flatMap(([id, s]) => (s === 'accepted' ? [id] : [])),
      review,
    };
  };

  /*
   * When. The services answer one another through topics, so a refund may find its commission still
   * waiting for the budget, and a release may come after later reservations. A source event's
   * commission takes each step where reality took that step for the same source event: the budget's
   * answer where the campaign gave it, the saga's where commission took it, the release where the
   * budget was released. A step reality never took (other terms earn where it did not) is taken at once.
   */
  const sourceOf = new Map<string, string>();
  for (const m of history)
    if (m.type === 'commission' && 'sourceEventId' in m.event.data)
      sourceOf.set(m.event.data.commissionId, m.event.data.sourceEventId);
  const when = {
    reserve: new Map<string, number>(),
    answer: new Map<string, number>(),
    release: new Map<string, number>(),
  };
  history.forEach((m, i) => {
    const first = (map: Map<string, number>, commissionId: string) => {
      const source = sourceOf.get(commissionId);
      if (source && !map.has(source)) map.set(source, i);
    };
    if (m.type === 'commission') {
      const e = m.event;
      const source = sourceOf.get(e.data.commissionId);
      const answers =
        e.type === 'commission.CommissionApproved' ||
        e.type === 'commission.CommissionHeld' ||
        (e.type === 'commission.CommissionRejected' && source !== undefined && when.reserve.has(source));
      if (answers) first(when.answer, e.data.commissionId);
    }
    if (m.type === 'campaign') {
      const e = m.event;
      if (e.type === 'campaign.BudgetReserved' || e.type === 'campaign.BudgetReservationRejected')
        first(when.reserve, e.data.commissionId);
    }
  });
  for (const { slot, source, release } of budgetOrder(history, sourceOf, c.budget.amountMinor))
    (release ? when.release : when.reserve).set(source, slot);
  let now = 0;
  /** Steps due at a later position, and those positions in ascending order (a step is always due after now). */
  const later = new Map<number, Array<() => void>>();
  const dueAt: number[] = [];
  const at = (index: number | undefined, run: () => void) => {
    if (index === undefined || index <= now) return run();
    const due = later.get(index);
    if (due) return void due.push(run);
    later.set(index, [run]);
    let lo = 0;
    let hi = dueAt.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((dueAt[mid] as number) < index) lo = mid + 1;
      else hi = mid;
    }
    dueAt.splice(lo, 0, index);
  };

  /** A saga step on a proposed commission, and what its events do to the budget (when reality did). */
  const step = (source: string, sagaStep: SagaStep) => {
    const commission = proposed.get(source);
    if (!commission) return;
    const decision = advance(commission, sagaStep);
    if (decision.state) proposed.set(source, decision.state);
    for (const e of decision.events) {
      if (e.type === 'commission.CommissionReversed')
        at(when.release.get(source), () => decideBudget({ type: e.type, data: e.data }));
      if (e.type === 'commission.CommissionReviewed')
        at(when.release.get(source), () => decideBudget({ type: e.type, data: e.data }));
    }
  };

  const recorded = (item: { correlationId: string; event: TrackingEventRecordedV2 }) => {
    const original = item.event;
    occurredAt.set(original.eventId, original.occurredAt);
    let event = original;
    if (original.valid && original.type !== 'impression' && original.type !== 'custom') {
      events++;
      const raw = rawOf(original, c.brandId);
      const visitor: [string, string] = [raw.campaignId, raw.visitorId];
      const stored = clicks.get(visitor) ?? [];
      const before = stored.filter((k) => k.occurredAt <= raw.occurredAt);
      const latest = (list: StoredClick[]) =>
        list.reduce<StoredClick | undefined>((b, k) => (!b || k.occurredAt > b.occurredAt ? k : b), undefined);
      const windowStart = new Date(Date.parse(raw.occurredAt) - windowDays * 86_400_000).toISOString();
      const inWindow = before.filter((k) => k.occurredAt >= windowStart);
      const earliest = inWindow.reduce<StoredClick | undefined>(
        (b, k) => (!b || k.occurredAt < b.occurredAt ? k : b),
        undefined,
      );
      const probe =
        raw.type === 'click' ? latest(before.filter((k) => k.influencerId === raw.influencerId)) : latest(before);
      // The code as the brand held it then: it attributed (so it was active, for that influencer), or it did not.
      if (raw.couponCode && original.attribution === 'coupon' && original.influencerId)
        facts.coupons.set([c.brandId, couponKey(raw.couponCode)], {
          campaignId: c.campaignId,
          influencerId: original.influencerId,
          active: true,
        });
      const lookedUp: BatchFacts = {
        ...factsOf(facts, raw, c.brandId),
        earlierClicks: new Map(probe ? [[0, probe]] : []),
        firstClicks: new Map(model === 'first_click' && earliest ? [[0, earliest]] : []),
      };
      const decided = decideTracking.decide([{ correlationId: item.correlationId, event: raw, reasons: [] }], {
        facts: lookedUp,
        rows: [],
        customersChanged: new TupleSet(),
      });
      learn(facts, decided.state.facts);
      const row = decided.state.rows[0];
      if (row?.recording.click)
        clicks.set(visitor, [
          ...stored,
          { influencerId: row.recording.click.influencerId, occurredAt: raw.occurredAt },
        ]);
      if (row) event = { ...row.recording.recorded, signals: original.signals };
    }
    // Refunds reverse (or reject, while held) the proposed commission of the refunded event.
    if (event.type === 'refund' && event.valid && event.refundedEventId) {
      const commission = proposed.get(event.refundedEventId);
      if (commission) step(event.refundedEventId, { type: 'Refunded', refundEventId: event.eventId });
      return;
    }
    // Whether this event has its commission already is the one fact of `decided` it needs (the decider copies the set).
    const key: [string, string] = [event.campaignId, event.eventId];
    commissionState = {
      ...commissionState,
      facts: {
        ...commissionState.facts,
        terms: new Map([[c.campaignId, termsNow()]]),
        decided: new TupleSet(decided.has(key) ? [key] : []),
      },
    };
    const next = decideCommission.decide([{ correlationId: item.correlationId, event }], commissionState);
    commissionState = next.state;
    for (const k of next.state.facts.decided.keys()) decided.add(k);
    for (const n of next.state.commissions) {
      const commission: Commission = {
        id: n.id,
        campaignId: n.campaignId,
        influencerId: n.influencerId,
        sourceEventId: n.sourceEventId,
        currency: n.currency,
        amountMinor: n.amountMinor,
        requestedMinor: n.amountMinor,
        status: n.status,
        reason: n.reason,
        reversePending: false,
        reviewReasons: n.reviewReasons,
        reviewBy: null,
        holdCause: null,
      };
      proposed.set(n.sourceEventId, commission);
      if (n.status !== 'pending' || n.influencerId === null || n.amountMinor === null) continue;
      const requested = { amountMinor: n.amountMinor, currency: n.currency };
      const source = n.sourceEventId;
      const influencerId = n.influencerId;
      at(when.reserve.get(source), () => {
        const budget = decideBudget({
          type: 'commission.CommissionCalculated',
          data: {
            commissionId: n.id,
            campaignId: n.campaignId,
            influencerId,
            sourceEventId: source,
            eventType: n.eventType,
            amount: requested,
            attribution: event.attribution,
          },
        });
        for (const b of budget) {
          if (b.type === 'campaign.BudgetReserved') {
            if (b.data.remaining.amountMinor === 0n) proposedExhaustedBy ??= source;
            const reserved = b.data.reserved;
            at(when.answer.get(source), () =>
              step(source, {
                type: 'BudgetReserved',
                requested,
                reserved,
                holdingPeriodDays: c.holdingPeriodDays,
                reviewBy: '',
                cause: { messageId: '', correlationId: item.correlationId },
              }),
            );
          }
          if (b.type === 'campaign.BudgetReservationRejected') {
            const reason = b.data.reason;
            at(when.answer.get(source), () => step(source, { type: 'BudgetReservationRejected', reason }));
          }
        }
      });
    }
  };

  for (const [i, m] of history.entries()) {
    if (i % 1000 === 999) yield i;
    now = i;
    // What is due by now, in order (a moved release falls between two messages).
    while (dueAt.length > 0 && (dueAt[0] as number) <= i) {
      const key = dueAt.shift() as number;
      const due = later.get(key) ?? [];
      later.delete(key);
      for (const run of due) run();
    }
    switch (m.type) {
      case 'campaign.CampaignCreated':
        applyCampaign([{ type: 'campaign.CampaignCreated', data: m.data }]);
        continue;
      case 'campaign': {
        const e = m.event;
        if (e.type === 'campaign.BudgetReserved' && e.data.remaining.amountMinor === 0n)
          actualExhaustedBy ??= sourceOfActual.get(e.data.commissionId);
        // This run's budget is its own: the actual reservations, and the status changes they caused, are not replayed.
        const budgetCaused =
          e.type === 'campaign.CampaignStatusChanged' &&
          (e.data.to === 'budget_exhausted' || e.data.from === 'budget_exhausted');
        if (
          !budgetCaused &&
          e.type !== 'campaign.BudgetReserved' &&
          e.type !== 'campaign.BudgetReleased' &&
          e.type !== 'campaign.BudgetReservationRejected'
        )
          applyCampaign([e]);
        continue;
      }
      case 'tracking.Recorded':
        recorded(m.data);
        continue;
      case 'commission': {
        const e = m.event;
        const id = e.data.commissionId;
        const had = actual.get(id);
        if (e.type === 'commission.CommissionCalculated') {
          sourceOfActual.set(id, e.data.sourceEventId);
          actual.set(id, {
            influencerId: e.data.influencerId,
            sourceEventId: e.data.sourceEventId,
            status: had?.status ?? 'pending',
            amountMinor: had?.amountMinor ?? e.data.amount.amountMinor,
            reason: had?.reason ?? null,
          });
        } else if (e.type === 'commission.CommissionRejected') {
          sourceOfActual.set(id, e.data.sourceEventId);
          actual.set(id, {
            influencerId: e.data.influencerId,
            sourceEventId: e.data.sourceEventId,
            status: 'rejected',
            amountMinor: 0n,
            reason: e.data.reasonDetail ?? e.data.reason,
          });
        } else if (e.type === 'commission.CommissionApproved') {
          sourceOfActual.set(id, e.data.sourceEventId);
          actual.set(id, {
            influencerId: e.data.influencerId,
            sourceEventId: e.data.sourceEventId,
            status: had?.status === 'reversed' ? 'reversed' : 'approved',
            amountMinor: e.data.amount.amountMinor,
            reason: null,
          });
        } else if (e.type === 'commission.CommissionHeld') {
          sourceOfActual.set(id, e.data.sourceEventId);
          if (!had || had.status === 'pending')
            actual.set(id, {
              influencerId: e.data.influencerId,
              sourceEventId: e.data.sourceEventId,
              status: 'held',
              amountMinor: e.data.amount.amountMinor,
              reason: null,
            });
        } else if (e.type === 'commission.CommissionReversed') {
          if (had) actual.set(id, { ...had, status: 'reversed' });
        } else if (e.type === 'commission.CommissionReviewed') {
          if (had && e.data.decision === 'rejected')
            actual.set(id, { ...had, status: 'rejected', reason: e.data.reason });
          // The brand's (or the clock's) decision, taken when it was taken, on the proposed commission of the same event.
          const source = sourceOfActual.get(id);
          const mine = source ? proposed.get(source) : undefined;
          if (source && mine && e.data.reason !== 'REFUNDED')
            step(source, {
              type: 'Reviewed',
              decision: e.data.decision === 'approved' ? 'approve' : 'reject',
              reason: e.data.reason,
              decidedBy: e.data.decidedBy,
              holdingPeriodDays: c.holdingPeriodDays,
            });
        }
        continue;
      }
    }
  }

  const proposedOutcomes = [...proposed.values()].map((p) => ({
    influencerId: p.influencerId,
    sourceEventId: p.sourceEventId,
    status: p.status,
    amountMinor: p.status === 'rejected' ? 0n : (p.amountMinor ?? 0n),
    reason: p.reason,
  }));
  return {
    currency: c.budget.currency,
    proposed: columnOf(proposedOutcomes, occurredAt, inRange, proposedExhaustedBy),
    actual: columnOf(actual.values(), occurredAt, inRange, actualExhaustedBy),
    events,
    outcomes: { proposed: proposedOutcomes, actual: [...actual.values()] },
  };
}
