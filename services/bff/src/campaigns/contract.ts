/** The campaigns slice's contract: its routes, the bodies they parse and the views they answer. */
import { z } from 'zod';
import {
  commissionRuleProblem,
  MAX_CUSTOMER_DURATION_MONTHS,
  MAX_REVIEW_DAYS,
  MIN_REVIEW_DAYS,
  REVIEW_SIGNALS,
} from '@beacon/domain';
import {
  accepted,
  endpoint,
  httpUrl,
  id,
  list,
  Money,
  MoneyInput,
  nullableString,
  ownerOrAdmin,
  page,
  Paging,
  Range,
  text,
  type Endpoint,
} from '../http/contract.js';

// ---------------------------------------------------------------------------------------------
// Bodies and queries.

const PercentRate = z.string().max(20);

/** Conversion rules: how long a customer keeps earning for its influencer (absent: always; 0: its first sale only). */
const CustomerDuration = z
  .number()
  .int()
  .min(0)
  .max(MAX_CUSTOMER_DURATION_MONTHS)
  .optional()
  .openapi({ description: 'months after the binding; 0: the first sale only; absent: every sale' });

export const Rule = z
  .discriminatedUnion('type', [
    z
      .object({
        event: z.literal('conversion'),
        type: z.literal('percent'),
        rate: PercentRate,
        customerDurationMonths: CustomerDuration,
      })
      .strict(),
    z
      .object({
        event: z.enum(['conversion', 'click', 'lead']),
        type: z.literal('fixed'),
        amount: MoneyInput,
        customerDurationMonths: CustomerDuration,
      })
      .strict(),
    z.object({ event: z.literal('impression'), type: z.literal('per_mille'), amount: MoneyInput }).strict(),
  ])
  .openapi('CommissionRule');

/** A rule as the commands carry it: every field present, null where the rule has none. */
export const ruleCommandOf = (r: z.infer<typeof Rule>) => ({
  event: r.event,
  type: r.type,
  rate: 'rate' in r ? r.rate : null,
  amount: 'amount' in r ? r.amount : null,
  customerDurationMonths: ('customerDurationMonths' in r ? r.customerDurationMonths : undefined) ?? null,
});

const Review = z
  .object({
    thresholdAmount: MoneyInput.optional().openapi({ description: 'a commission at or above it is held' }),
    reviewDays: z.number().int().min(MIN_REVIEW_DAYS).max(MAX_REVIEW_DAYS).default(7).openapi({
      description: 'undecided this many days, a held commission is approved (reason REVIEW_EXPIRED)',
    }),
    signals: z
      .array(z.enum(REVIEW_SIGNALS))
      .max(REVIEW_SIGNALS.length)
      .default([])
      .openapi({ description: 'a commission whose event shows one of these is held' }),
  })
  .strict()
  .openapi('ReviewRules');

export const CreateCampaignBody = z
  .object({
    id: z.string().uuid().optional(),
    name: text(1, 200).pipe(z.string().trim().min(1)),
    landingUrl: httpUrl,
    budget: MoneyInput,
    commissionRules: z.array(Rule).min(1).max(10),
    visibility: z.enum(['open', 'invite_only']).default('open'),
    attributionWindowDays: z.number().int().min(1).max(365).default(30),
    attributionModel: z.enum(['last_click', 'first_click']).default('last_click'),
    holdingPeriodDays: z.number().int().min(0).max(365).default(0),
    influencerIds: z.array(id).max(1000).default([]),
    review: Review.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.review?.thresholdAmount && c.review.thresholdAmount.currency !== c.budget.currency)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['review', 'thresholdAmount', 'currency'],
        message: `CURRENCY_MISMATCH: the threshold must be in the budget's currency (${c.budget.currency})`,
      });
    // The campaign service's own rule check (@beacon/domain), run here too so a bad rule is a 400.
    c.commissionRules.forEach((r, i) => {
      const problem = commissionRuleProblem(ruleCommandOf(r), c.budget.currency);
      const field = problem?.startsWith('CURRENCY_MISMATCH')
        ? ['amount', 'currency']
        : problem?.includes('customerDurationMonths')
          ? ['customerDurationMonths']
          : r.type === 'percent'
            ? ['rate']
            : [];
      const path = ['commissionRules', i, ...field];
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path, message: problem });
    });
  })
  .openapi('CreateCampaign');

export const InvitationsBody = z.object({ influencerIds: z.array(id).min(1).max(1000) }).strict();
export const AcceptBody = z
  .object({ acceptedTerms: z.literal(true, { errorMap: () => ({ message: 'the terms must be accepted (true)' }) }) })
  .strict();
export const EvidenceBody = z
  .object({ type: z.enum(['photo', 'video', 'post', 'story']), url: httpUrl, description: text(0, 2000).optional() })
  .strict();

/** A campaign's stats: a time range, and a page of its influencers (limit 1–500, default 50). */
export const StatsQuery = Range.extend({
  influencersLimit: z.coerce.number().int().min(1).max(500).default(50),
  influencersCursor: z.string().max(2000).optional(),
});

const IdParams = z.object({ id: text(1, 128).openapi({ description: 'the campaign id' }) });

/** Members page by influencer id: their cursor is longer than a seq's. */
export const MembersQuery = Paging.extend({
  cursor: z.string().max(400).optional().openapi({ description: 'nextCursor of the previous page' }),
});

// ---------------------------------------------------------------------------------------------
// Views.

/** What a caller may do with a campaign (`allowedActions`), decided in access.ts. */
export const CAMPAIGN_ACTIONS = [
  'pause',
  'resume',
  'complete',
  'invite',
  'accept',
  'createLink',
  'createCoupon',
  'viewStats',
] as const;
export type CampaignAction = (typeof CAMPAIGN_ACTIONS)[number];

const RuleView = z
  .object({
    event: z.enum(['impression', 'click', 'conversion', 'lead']),
    type: z.enum(['percent', 'fixed', 'per_mille']),
    rate: z.string().optional(),
    amount: Money.optional(),
    customerDurationMonths: z.number().int().optional(),
  })
  .openapi('CommissionRuleView');

const Member = z
  .object({ influencerId: z.string(), status: z.enum(['invited', 'accepted']) })
  .openapi('CampaignMember');

export const CampaignView = z
  .object({
    id: z.string(),
    brandId: z.string(),
    name: z.string(),
    landingUrl: z.string(),
    status: z.enum(['active', 'paused', 'completed', 'budget_exhausted']),
    budget: Money,
    spent: Money.optional().openapi({ description: 'the owner brand and admin only' }),
    remaining: Money.optional().openapi({ description: 'the owner brand and admin only' }),
    commissionRules: z.array(RuleView),
    visibility: z.enum(['open', 'invite_only']),
    attributionWindowDays: z.number().int(),
    attributionModel: z.enum(['last_click', 'first_click']),
    holdingPeriodDays: z.number().int(),
    review: z
      .object({
        thresholdAmount: Money.optional(),
        reviewDays: z.number().int(),
        signals: z.array(z.enum(REVIEW_SIGNALS)),
      })
      .optional()
      .openapi({ description: 'the owner brand and admin only: which commissions are held for review' }),
    influencers: z
      .array(Member)
      .optional()
      .openapi({
        description:
          'one campaign: its first 100 members for the owner brand and admin (the rest: GET …/influencers), ' +
          'an influencer its own membership only; lists: an influencer its own membership, owners none',
      }),
    influencersNextCursor: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: 'one campaign, owner: the cursor of the next members in GET …/influencers' }),
    allowedActions: z.array(z.enum(CAMPAIGN_ACTIONS)).openapi({
      description:
        'what the caller may do with this campaign now, by its roles, ownership, membership and the campaign’s status ' +
        '(the commands still check it); clients show these and nothing else',
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Campaign');

const Figures = z.object({
  impressions: z.number().int(),
  clicks: z.number().int(),
  conversions: z.number().int(),
  invalidEvents: z.number().int(),
  revenue: Money,
  commissions: Money,
  clickThroughRate: z.number(),
  conversionRate: z.number(),
  leads: z.number().int(),
  customers: z.number().int().openapi({ description: 'customers bound, by their first attributed lead or sale' }),
  leadToSaleRate: z.number().openapi({ description: 'of the leads, the share whose customer went on to buy' }),
});

export const StatsView = Figures.extend({
  byInfluencer: z
    .array(Figures.extend({ influencerId: nullableString }))
    .openapi({ description: 'a page of influencers (`influencersLimit`, `influencersCursor`), by influencer id' }),
  byInfluencerNextCursor: z.string().nullable(),
  byDay: z.array(Figures.extend({ day: z.string().openapi({ example: '2026-01-01' }) })),
  byWindow: z.array(
    z.object({
      windowStart: z.string(),
      impressions: z.number().int(),
      clicks: z.number().int(),
      conversions: z.number().int(),
      revenue: Money,
    }),
  ),
}).openapi('Stats');

export const LinkView = z.object({ token: z.string(), url: z.string() }).openapi('TrackingLink');

// ---------------------------------------------------------------------------------------------
// Routes.

const campaignAction = (action: string, summary: string) =>
  endpoint({
    method: 'post',
    path: `/api/v1/campaigns/{id}/${action}`,
    summary,
    roles: ownerOrAdmin,
    scope: 'the owner brand (others get 404), admin',
    params: IdParams,
    ok: accepted('the command is on its way'),
  });

export const campaignEndpoints = {
  createCampaign: endpoint({
    method: 'post',
    path: '/api/v1/campaigns',
    summary: 'Create a campaign',
    roles: ownerOrAdmin,
    scope: 'the token’s `sub` becomes the brand',
    body: CreateCampaignBody,
    ok: accepted('`id` is the campaign id'),
  }),
  listCampaigns: list(
    {
      path: '/api/v1/campaigns',
      summary: 'Campaigns the caller may see',
      roles: ['brand', 'influencer', 'admin'],
      scope: 'brand: its own; influencer: open ones and those it is invited to or accepted; admin: all',
      query: Paging,
    },
    { what: 'campaigns', page: page(CampaignView, 'CampaignPage') },
  ),
  getCampaign: endpoint({
    method: 'get',
    path: '/api/v1/campaigns/{id}',
    summary: 'A campaign',
    roles: ['brand', 'influencer', 'admin'],
    scope: 'the owner brand, influencers who may see it, admin; others get 404',
    params: IdParams,
    ok: { status: 200, description: 'the campaign', schema: CampaignView },
  }),
  listCampaignInfluencers: endpoint({
    method: 'get',
    path: '/api/v1/campaigns/{id}/influencers',
    summary: 'The members of a campaign (at most 10,000), by influencer id',
    roles: ['brand', 'influencer', 'admin'],
    scope: 'the owner brand and admin: every member; an influencer who may see the campaign: its own membership',
    params: IdParams,
    query: MembersQuery,
    ok: { status: 200, description: 'a page of members', schema: page(Member, 'MemberPage') },
  }),
  pauseCampaign: campaignAction('pause', 'Pause an active campaign'),
  resumeCampaign: campaignAction('resume', 'Resume a paused campaign'),
  completeCampaign: campaignAction('complete', 'Complete a campaign (final)'),
  inviteInfluencers: endpoint({
    method: 'post',
    path: '/api/v1/campaigns/{id}/invitations',
    summary: 'Invite influencers',
    roles: ownerOrAdmin,
    scope: 'the owner brand (others get 404), admin',
    params: IdParams,
    body: InvitationsBody,
    ok: accepted('the invitations are on their way'),
  }),
  acceptCampaign: endpoint({
    method: 'post',
    path: '/api/v1/campaigns/{id}/accept',
    summary: 'Accept a campaign’s terms',
    roles: ['influencer'],
    scope: 'open campaigns, and invite-only ones the influencer is invited to (others get 404)',
    params: IdParams,
    body: AcceptBody,
    ok: accepted('the acceptance is on its way'),
  }),
  submitEvidence: endpoint({
    method: 'post',
    path: '/api/v1/campaigns/{id}/evidence',
    summary: 'Submit evidence of the promotion',
    roles: ['influencer'],
    scope: 'influencers who accepted the campaign',
    params: IdParams,
    body: EvidenceBody,
    ok: accepted('`id` is the evidence id'),
  }),
  createLink: endpoint({
    method: 'post',
    path: '/api/v1/campaigns/{id}/links',
    summary: 'A signed tracking link',
    roles: ['influencer'],
    scope: 'influencers who accepted the campaign',
    params: IdParams,
    ok: { status: 201, description: 'the link; `url` is relative to the BFF', schema: LinkView },
  }),
  campaignStats: endpoint({
    method: 'get',
    path: '/api/v1/campaigns/{id}/stats',
    summary: 'Statistics: totals, per influencer, per day and per 4-hour window',
    roles: ownerOrAdmin,
    scope: 'the owner brand (others get 404), admin',
    params: IdParams,
    query: StatsQuery,
    ok: { status: 200, description: 'the figures', schema: StatsView },
  }),
} satisfies Record<string, Endpoint>;
