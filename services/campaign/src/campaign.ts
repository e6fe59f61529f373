/**
 * The campaign aggregate as a decider: decide(command, state) → events; evolve(state, event) → state.
 * Pure: no I/O. The budget ledger lives here too, so reservations and status move together.
 */
import {
  commissionRuleProblem,
  COUPON_CODE,
  couponKey,
  MAX_CAMPAIGN_MEMBERS,
  textProblem,
  unreachable,
  MAX_REVIEW_DAYS,
  MIN_REVIEW_DAYS,
  REVIEW_SIGNALS,
} from '@beacon/domain';
import { isSupportedCurrency, reviveAmounts, toJsonText, type Money } from '@beacon/money';
import { evolving } from '@beacon/messaging';
import type {
  AcceptCampaign,
  AttributionModel,
  CampaignCreated,
  CampaignStatus,
  ChangeCampaignStatus,
  CommissionCalculated,
  CommissionReversed,
  CommissionReviewed,
  CommissionRule,
  CreateCampaign,
  CreateCoupon,
  DeactivateCoupon,
  InviteInfluencers,
  MessageTypes,
  SubmitEvidence,
  ReviewRules,
} from '@beacon/contracts';

export interface Campaign {
  id: string;
  brandId: string;
  name: string;
  landingUrl: string;
  budget: Money;
  /** Sum of current reservations, minor units. */
  spent: bigint;
  /**
   * How many budget decisions (reservations, refusals, releases) the campaign has taken: each budget
   * event carries its number, so a reader of the history knows the order they were decided in.
   */
  budgetSeq: bigint;
  commissionRules: CommissionRule[];
  /** the lead/fixed rule's amount, when the campaign pays for leads */
  leadCommission: Money | null;
  visibility: 'open' | 'invite_only';
  attributionWindowDays: number;
  attributionModel: AttributionModel;
  holdingPeriodDays: number;
  status: CampaignStatus;
  /**
   * Members by influencer id. Like reservations, they are rows beside the campaign (service.ts): a
   * decision sees the members its command names; `memberCount` counts them all.
   */
  influencers: Record<string, 'invited' | 'accepted'>;
  memberCount: number;
  /**
   * Budget reservations by commission id. A campaign gathers one per commission, so they are stored
   * as rows beside it (see service.ts): a decision sees the ones its command names, not all of them.
   */
  reservations: Record<string, Reservation>;
  /**
   * The brand's coupons the commands name, by `couponKey`, whatever campaign of the brand holds them
   * (codes are unique per brand): rows of their own, loaded like members.
   */
  coupons: Record<string, Coupon>;
}

export interface Coupon {
  code: string;
  campaignId: string;
  influencerId: string;
  active: boolean;
}

export interface Reservation {
  amount: bigint;
  released: boolean;
}

export type State = Campaign | null;

type Msg<T extends keyof MessageTypes> = { type: T; data: MessageTypes[T] };
export type Command =
  | { type: 'campaign.CreateCampaign'; data: CreateCampaign }
  | { type: 'campaign.ChangeCampaignStatus'; data: ChangeCampaignStatus }
  | { type: 'campaign.InviteInfluencers'; data: InviteInfluencers }
  | { type: 'campaign.AcceptCampaign'; data: AcceptCampaign }
  | { type: 'campaign.SubmitEvidence'; data: SubmitEvidence }
  | { type: 'campaign.CreateCoupon'; data: CreateCoupon }
  | { type: 'campaign.DeactivateCoupon'; data: DeactivateCoupon }
  | { type: 'commission.CommissionCalculated'; data: CommissionCalculated }
  | { type: 'commission.CommissionReversed'; data: CommissionReversed }
  | { type: 'commission.CommissionReviewed'; data: CommissionReviewed };

export type Event =
  | Msg<'campaign.CampaignCreated'>
  | Msg<'campaign.CampaignRejected'>
  | Msg<'campaign.CampaignStatusChanged'>
  | Msg<'campaign.CampaignCommandRejected'>
  | Msg<'campaign.InfluencersInvited'>
  | Msg<'campaign.InfluencerAccepted'>
  | Msg<'campaign.AcceptanceRejected'>
  | Msg<'campaign.EvidenceSubmitted'>
  | Msg<'campaign.BudgetReserved'>
  | Msg<'campaign.BudgetReservationRejected'>
  | Msg<'campaign.BudgetReleased'>
  | Msg<'campaign.CouponCreated'>
  | Msg<'campaign.CouponDeactivated'>
  | Msg<'campaign.CouponRejected'>;

const money = (amountMinor: bigint, currency: string): Money => ({ amountMinor, currency });

/** Why a campaign's review rules cannot be kept, or undefined. */
function reviewProblem(r: ReviewRules, currency: string): string | undefined {
  if (r.reviewDays < MIN_REVIEW_DAYS || r.reviewDays > MAX_REVIEW_DAYS)
    return `INVALID_REVIEW: reviewDays must be ${MIN_REVIEW_DAYS}–${MAX_REVIEW_DAYS}`;
  const unknown = r.signals.find((s) => !(REVIEW_SIGNALS as readonly string[]).includes(s));
  if (unknown) return `INVALID_REVIEW: unknown signal ${unknown}`;
  if (r.thresholdAmount && r.thresholdAmount.currency !== currency)
    return 'CURRENCY_MISMATCH: the review threshold must be in the budget currency';
  if (r.thresholdAmount && r.thresholdAmount.amountMinor <= 0n)
    return 'INVALID_REVIEW: the threshold must be more than zero';
  return undefined;
}

/** Why a CreateCampaign cannot be accepted, or undefined. */
export function creationProblem(c: CreateCampaign): string | undefined {
  if ([c.name, c.landingUrl, ...c.influencerIds].some((t) => textProblem(t)))
    return 'INVALID_TEXT: text the database cannot store (NUL or a lone surrogate)';
  if (!isSupportedCurrency(c.budget.currency)) return `UNSUPPORTED_CURRENCY: ${c.budget.currency}`;
  if (c.budget.amountMinor <= 0n) return 'INVALID_BUDGET: the budget must be more than zero';
  if (c.commissionRules.length === 0 && !c.leadCommission)
    return 'NO_RULES: a campaign needs at least one commission rule';
  if (c.attributionWindowDays < 1) return 'INVALID_ATTRIBUTION_WINDOW';
  if (c.holdingPeriodDays < 0) return 'INVALID_HOLDING_PERIOD';
  if (new Set(c.influencerIds).size > MAX_CAMPAIGN_MEMBERS)
    return `TOO_MANY_MEMBERS: a campaign holds at most ${MAX_CAMPAIGN_MEMBERS}`;
  const review = c.review && reviewProblem(c.review, c.budget.currency);
  if (review) return review;
  if (new Set(c.commissionRules.map((r) => r.event)).size < c.commissionRules.length)
    return 'INVALID_RULE: one rule per event type';
  const lead = c.leadCommission
    ? [{ event: 'lead' as const, type: 'fixed' as const, rate: null, amount: c.leadCommission }]
    : [];
  return [...c.commissionRules, ...lead].map((rule) => commissionRuleProblem(rule, c.budget.currency)).find(Boolean);
}

// A campaign whose budget ran out can still be paused or completed; resumed, it is exhausted again
// unless a release freed budget meanwhile (see changeStatus).
const TRANSITIONS: Record<ChangeCampaignStatus['action'], { from: CampaignStatus[]; to: CampaignStatus }> = {
  pause: { from: ['active', 'budget_exhausted'], to: 'paused' },
  resume: { from: ['paused'], to: 'active' },
  complete: { from: ['active', 'paused', 'budget_exhausted'], to: 'completed' },
};

export function decide(command: Command, state: State): Event[] {
  switch (command.type) {
    case 'campaign.CreateCampaign':
      return create(command.data, state);
    case 'campaign.AcceptCampaign':
      return accept(command.data, state);
    case 'campaign.ChangeCampaignStatus':
      return changeStatus(command.data, state);
    case 'campaign.InviteInfluencers':
      return invite(command.data, state);
    case 'campaign.SubmitEvidence':
      return submitEvidence(command.data, state);
    case 'campaign.CreateCoupon':
      return createCoupon(command.data, state);
    case 'campaign.DeactivateCoupon':
      return deactivateCoupon(command.data, state);
    case 'commission.CommissionCalculated':
      return reserve(command.data, state);
    case 'commission.CommissionReversed':
      return release(command.data, state);
    case 'commission.CommissionReviewed':
      // A held commission rejected gives its reservation back; an approved one keeps it.
      return command.data.decision === 'rejected' ? release(command.data, state) : [];
    default:
      return unreachable(command, 'campaign');
  }
}

type DataOf<T extends Command['type']> = Extract<Command, { type: T }>['data'];

const rejected = (campaignId: string, command: string, reason: string): Event[] => [
  { type: 'campaign.CampaignCommandRejected', data: { campaignId, command, reason } },
];

function create(d: DataOf<'campaign.CreateCampaign'>, state: State): Event[] {
  if (state)
    return [
      {
        type: 'campaign.CampaignRejected',
        data: { campaignId: d.campaignId, brandId: d.brandId, reason: 'ALREADY_EXISTS' },
      },
    ];
  const problem = creationProblem(d);
  if (problem)
    return [
      { type: 'campaign.CampaignRejected', data: { campaignId: d.campaignId, brandId: d.brandId, reason: problem } },
    ];
  const created: CampaignCreated = {
    campaignId: d.campaignId,
    brandId: d.brandId,
    name: d.name,
    landingUrl: d.landingUrl,
    budget: d.budget,
    commissionRules: d.commissionRules,
    leadCommission: d.leadCommission,
    visibility: d.visibility,
    attributionWindowDays: d.attributionWindowDays,
    attributionModel: d.attributionModel,
    holdingPeriodDays: d.holdingPeriodDays,
    invitedInfluencerIds: [...new Set(d.influencerIds)],
    status: 'active',
    review: d.review,
  };
  return [{ type: 'campaign.CampaignCreated', data: created }];
}

/**
 * A coupon code for an influencer who accepted the campaign: the owner's, of a valid shape, and not
 * taken by any of the brand's codes in any case (a retry of the same code is CODE_TAKEN too).
 */
function createCoupon(d: DataOf<'campaign.CreateCoupon'>, state: State): Event[] {
  const reject = (reason: string): Event[] => [
    { type: 'campaign.CouponRejected', data: { campaignId: d.campaignId, code: d.code, reason } },
  ];
  if (!state) return reject('UNKNOWN_CAMPAIGN');
  if (d.brandId !== state.brandId) return reject('NOT_OWNER');
  if (!COUPON_CODE.test(d.code)) return reject('INVALID_CODE: 4 to 32 letters, digits, _ or -');
  if (state.status === 'completed') return reject('CAMPAIGN_COMPLETED');
  if (state.influencers[d.influencerId] !== 'accepted') return reject('NOT_PARTICIPATING');
  if (state.coupons[couponKey(d.code)]) return reject('CODE_TAKEN');
  const { campaignId, brandId, code, influencerId } = d;
  return [{ type: 'campaign.CouponCreated', data: { campaignId, brandId, code, influencerId } }];
}

/** A code of this campaign stops attributing; deactivating it again tells the same again. */
function deactivateCoupon(d: DataOf<'campaign.DeactivateCoupon'>, state: State): Event[] {
  const coupon = state?.coupons[couponKey(d.code)];
  const reject = (reason: string): Event[] => [
    { type: 'campaign.CouponRejected', data: { campaignId: d.campaignId, code: d.code, reason } },
  ];
  if (!state) return reject('UNKNOWN_CAMPAIGN');
  if (d.brandId !== state.brandId) return reject('NOT_OWNER');
  if (!coupon || coupon.campaignId !== state.id) return reject('UNKNOWN_COUPON');
  return [
    {
      type: 'campaign.CouponDeactivated',
      data: { campaignId: state.id, brandId: state.brandId, code: coupon.code },
    },
  ];
}

function accept(d: DataOf<'campaign.AcceptCampaign'>, state: State): Event[] {
  const campaignId = d.campaignId;
  const reject = (reason: string): Event[] => [
    { type: 'campaign.AcceptanceRejected', data: { campaignId, influencerId: d.influencerId, reason } },
  ];
  if (!state) return reject('UNKNOWN_CAMPAIGN');
  if (!d.acceptedTerms) return reject('TERMS_NOT_ACCEPTED');
  // A brand cannot promote its own campaign and pay itself from its own budget.
  if (d.influencerId === state.brandId) return reject('OWN_CAMPAIGN');
  if (state.influencers[d.influencerId] === 'accepted') return reject('ALREADY_ACCEPTED');
  if (state.status !== 'active') return reject('CAMPAIGN_NOT_ACTIVE');
  if (state.visibility === 'invite_only' && state.influencers[d.influencerId] !== 'invited')
    return reject('NOT_INVITED');
  if (!state.influencers[d.influencerId] && state.memberCount >= MAX_CAMPAIGN_MEMBERS) return reject('CAMPAIGN_FULL');
  return [{ type: 'campaign.InfluencerAccepted', data: { campaignId, influencerId: d.influencerId } }];
}

function changeStatus(d: DataOf<'campaign.ChangeCampaignStatus'>, state: State): Event[] {
  const campaignId = d.campaignId;
  if (!state) return rejected(campaignId, d.action, 'UNKNOWN_CAMPAIGN');
  const rule = TRANSITIONS[d.action];
  if (!rule.from.includes(state.status))
    return rejected(campaignId, d.action, `INVALID_TRANSITION: ${state.status} → ${rule.to}`);
  const spentOut = state.spent >= state.budget.amountMinor;
  const to = d.action === 'resume' && spentOut ? 'budget_exhausted' : rule.to;
  return [{ type: 'campaign.CampaignStatusChanged', data: { campaignId, from: state.status, to, reason: d.action } }];
}

function invite(d: DataOf<'campaign.InviteInfluencers'>, state: State): Event[] {
  const campaignId = d.campaignId;
  if (!state) return rejected(campaignId, 'invite', 'UNKNOWN_CAMPAIGN');
  if (d.influencerIds.some((id) => textProblem(id))) return rejected(campaignId, 'invite', 'INVALID_TEXT');
  if (state.status === 'completed') return rejected(campaignId, 'invite', 'CAMPAIGN_COMPLETED');
  const fresh = [...new Set(d.influencerIds)].filter((id) => !state.influencers[id]);
  if (state.memberCount + fresh.length > MAX_CAMPAIGN_MEMBERS)
    return rejected(campaignId, 'invite', `TOO_MANY_MEMBERS: a campaign holds at most ${MAX_CAMPAIGN_MEMBERS}`);
  return [{ type: 'campaign.InfluencersInvited', data: { campaignId, influencerIds: fresh } }];
}

function submitEvidence(d: DataOf<'campaign.SubmitEvidence'>, state: State): Event[] {
  const campaignId = d.campaignId;
  if (!state) return rejected(campaignId, 'evidence', 'UNKNOWN_CAMPAIGN');
  if (state.influencers[d.influencerId] !== 'accepted') return rejected(campaignId, 'evidence', 'NOT_ACCEPTED');
  const { influencerId, evidenceId, type, url, description } = d;
  if (!/^https?:\/\//i.test(url) || [url, description ?? ''].some((t) => textProblem(t)))
    return rejected(campaignId, 'evidence', 'INVALID_EVIDENCE: an http(s) URL and storable text');
  return [
    { type: 'campaign.EvidenceSubmitted', data: { campaignId, influencerId, evidenceId, type, url, description } },
  ];
}

function reserve(d: DataOf<'commission.CommissionCalculated'>, state: State): Event[] {
  const campaignId = d.campaignId;
  const { commissionId, amount } = d;
  if (!state)
    return [
      {
        type: 'campaign.BudgetReservationRejected',
        data: { campaignId, commissionId, reason: 'UNKNOWN_CAMPAIGN', budgetSeq: null },
      },
    ];
  if (state.reservations[commissionId]) return []; // asked twice: already answered
  const budgetSeq = state.budgetSeq + 1n;
  if (amount.currency !== state.budget.currency) {
    return [
      {
        type: 'campaign.BudgetReservationRejected',
        data: { campaignId, commissionId, reason: 'CURRENCY_MISMATCH', budgetSeq },
      },
    ];
  }
  const remaining = state.budget.amountMinor - state.spent;
  if (remaining <= 0n)
    return [
      {
        type: 'campaign.BudgetReservationRejected',
        data: { campaignId, commissionId, reason: 'BUDGET_EXHAUSTED', budgetSeq },
      },
    ];
  const reserved = remaining < amount.amountMinor ? remaining : amount.amountMinor;
  const cur = state.budget.currency;
  const events: Event[] = [
    {
      type: 'campaign.BudgetReserved',
      data: {
        campaignId,
        commissionId,
        requested: amount,
        reserved: money(reserved, cur),
        spent: money(state.spent + reserved, cur),
        remaining: money(remaining - reserved, cur),
        budgetSeq,
      },
    },
  ];
  if (remaining - reserved === 0n && state.status === 'active') {
    events.push({
      type: 'campaign.CampaignStatusChanged',
      data: { campaignId, from: 'active', to: 'budget_exhausted', reason: 'budget_spent' },
    });
  }
  return events;
}

function release(d: { campaignId: string; commissionId: string }, state: State): Event[] {
  const campaignId = d.campaignId;
  const reservation = state?.reservations[d.commissionId];
  if (!state || reservation?.released) return [];
  const cur = state.budget.currency;
  if (!reservation) {
    // The reversal overtook its reservation request (a relay that resent after a failed send): release
    // nothing now, and leave a released mark so the late request reserves nothing either.
    const nothing = money(0n, cur);
    return [
      {
        type: 'campaign.BudgetReleased',
        data: {
          campaignId,
          commissionId: d.commissionId,
          released: nothing,
          spent: money(state.spent, cur),
          remaining: money(state.budget.amountMinor - state.spent, cur),
          budgetSeq: state.budgetSeq + 1n,
        },
      },
    ];
  }
  const spent = state.spent - reservation.amount;
  const events: Event[] = [
    {
      type: 'campaign.BudgetReleased',
      data: {
        campaignId,
        commissionId: d.commissionId,
        released: money(reservation.amount, cur),
        spent: money(spent, cur),
        remaining: money(state.budget.amountMinor - spent, cur),
        budgetSeq: state.budgetSeq + 1n,
      },
    },
  ];
  if (state.status === 'budget_exhausted' && reservation.amount > 0n) {
    events.push({
      type: 'campaign.CampaignStatusChanged',
      data: { campaignId, from: 'budget_exhausted', to: 'active', reason: 'budget_released' },
    });
  }
  return events;
}

export function evolve(state: State, event: Event): State {
  if (event.type === 'campaign.CampaignCreated') {
    const d = event.data;
    return {
      id: d.campaignId,
      brandId: d.brandId,
      name: d.name,
      landingUrl: d.landingUrl,
      budget: d.budget,
      spent: 0n,
      budgetSeq: 0n,
      commissionRules: d.commissionRules,
      leadCommission: d.leadCommission,
      visibility: d.visibility,
      attributionWindowDays: d.attributionWindowDays,
      attributionModel: d.attributionModel,
      holdingPeriodDays: d.holdingPeriodDays,
      status: d.status,
      influencers: Object.fromEntries(d.invitedInfluencerIds.map((id) => [id, 'invited' as const])),
      memberCount: new Set(d.invitedInfluencerIds).size,
      reservations: {},
      coupons: {},
    };
  }
  if (!state) return state;
  switch (event.type) {
    case 'campaign.CampaignStatusChanged':
      return { ...state, status: event.data.to };
    case 'campaign.InfluencersInvited':
      return {
        ...state,
        memberCount: state.memberCount + event.data.influencerIds.length,
        influencers: {
          ...state.influencers,
          ...Object.fromEntries(event.data.influencerIds.map((id) => [id, 'invited' as const])),
        },
      };
    case 'campaign.InfluencerAccepted':
      return {
        ...state,
        memberCount: state.memberCount + (state.influencers[event.data.influencerId] ? 0 : 1),
        influencers: { ...state.influencers, [event.data.influencerId]: 'accepted' },
      };
    case 'campaign.BudgetReserved':
      return {
        ...state,
        spent: event.data.spent.amountMinor,
        budgetSeq: event.data.budgetSeq ?? state.budgetSeq + 1n,
        reservations: {
          ...state.reservations,
          [event.data.commissionId]: { amount: event.data.reserved.amountMinor, released: false },
        },
      };
    case 'campaign.BudgetReservationRejected':
      return {
        ...state,
        budgetSeq: event.data.budgetSeq ?? state.budgetSeq + 1n,
        reservations: { ...state.reservations, [event.data.commissionId]: { amount: 0n, released: false } },
      };
    case 'campaign.BudgetReleased':
      return {
        ...state,
        spent: event.data.spent.amountMinor,
        budgetSeq: event.data.budgetSeq ?? state.budgetSeq + 1n,
        reservations: {
          ...state.reservations,
          [event.data.commissionId]: { amount: event.data.released.amountMinor, released: true },
        },
      };
    case 'campaign.CouponCreated': {
      const { code, campaignId, influencerId } = event.data;
      return {
        ...state,
        coupons: { ...state.coupons, [couponKey(code)]: { code, campaignId, influencerId, active: true } },
      };
    }
    case 'campaign.CouponDeactivated': {
      const coupon = state.coupons[couponKey(event.data.code)];
      return coupon
        ? { ...state, coupons: { ...state.coupons, [couponKey(coupon.code)]: { ...coupon, active: false } } }
        : state;
    }
    default:
      return state;
  }
}

/** The campaign decider in the one shape (`evolving`: its events, folded by `evolve`). */
export const campaignDecider = evolving<State, Command, Event>({ initialState: (): State => null, decide, evolve });

/** The stored form of a campaign (jsonb) without its reservations and members: amounts as decimal strings, read back as bigints. */
export const stateToJson = ({
  reservations: _reservations,
  influencers: _members,
  coupons: _coupons,
  ...campaign
}: Campaign): string => toJsonText(campaign);

type Stored = Omit<Campaign, 'reservations' | 'influencers' | 'coupons'>;

/** A stored campaign; one stored before the funnel's terms reads as it behaved: last click, no customer duration. */
export const stateFromJson = (
  json: unknown,
  reservations: Record<string, Reservation> = {},
  influencers: Campaign['influencers'] = {},
  coupons: Campaign['coupons'] = {},
): Campaign => {
  const stored = reviveAmounts<Stored>(json, ['amountMinor', 'spent', 'amount', 'budgetSeq']);
  return {
    ...stored,
    // A campaign stored before the count began counts from 0 (its history's earlier budget events carry none).
    budgetSeq: stored.budgetSeq ?? 0n,
    attributionModel: stored.attributionModel ?? 'last_click',
    leadCommission: stored.leadCommission ?? null,
    commissionRules: stored.commissionRules.map((r) => ({
      ...r,
      customerDurationMonths: r.customerDurationMonths ?? null,
    })),
    influencers,
    reservations,
    coupons,
  };
};

/** The brand's coupon codes a command is about (by `couponKey`), whose holders the decision needs. */
export function couponsNamedBy(command: Command): string[] {
  switch (command.type) {
    case 'campaign.CreateCoupon':
    case 'campaign.DeactivateCoupon':
      return [couponKey(command.data.code)];
    default:
      return [];
  }
}

/** The influencers a command is about, whose membership the decision needs. */
export function membersNamedBy(command: Command): string[] {
  switch (command.type) {
    case 'campaign.InviteInfluencers':
      return [...new Set(command.data.influencerIds)];
    case 'campaign.AcceptCampaign':
    case 'campaign.SubmitEvidence':
    case 'campaign.CreateCoupon':
      return [command.data.influencerId];
    default:
      return [];
  }
}

/** The commission a command is about, whose reservation the decision needs. */
export function reservationNamedBy(command: Command): string | undefined {
  switch (command.type) {
    case 'commission.CommissionCalculated':
    case 'commission.CommissionReversed':
    case 'commission.CommissionReviewed':
      return command.data.commissionId;
    default:
      return undefined;
  }
}
