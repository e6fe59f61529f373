/**
 * The BFF's HTTP contract as data: each route's method, path, roles, parameters, body and answer,
 * described by the zod schemas the route parses with. The OpenAPI document is generated from this
 * (openapi.ts) and the routes are mounted from it (endpoint.ts), so the document cannot drift.
 */
import { z } from 'zod';
import type { Role } from './auth.js';
import {
  AcceptBody,
  CreateCampaignBody,
  EvidenceBody,
  InvitationsBody,
  PayoutBody,
  Range,
  StatsQuery,
  text,
  TrackingEventBody,
} from './schemas.js';

export interface Endpoint {
  method: 'get' | 'post';
  /** OpenAPI style: `/api/v1/campaigns/{id}` */
  path: string;
  summary: string;
  /** Who may call; 'public' needs no token. The roles are checked before anything else (403). */
  roles: readonly Role[] | 'public';
  /** Which of the caller's data the route reaches, for the document. */
  scope?: string;
  params?: z.AnyZodObject;
  query?: z.AnyZodObject;
  body?: z.ZodTypeAny;
  /** What the route parses where it checks the documented body's items one by one (the batch). */
  parseBody?: z.ZodTypeAny;
  /** The answer on success; without a schema the handler writes it itself (a redirect, text). */
  ok: { status: 200 | 201 | 202 | 302; description: string; schema?: z.ZodTypeAny; contentType?: string };
}

const endpoint = <E extends Endpoint>(e: E): E => e;

// ---------------------------------------------------------------------------------------------
// Views: what the routes answer.

const MoneyShape = z.object({
  amount: z.string().openapi({ example: '12.50', description: 'decimal, the currency’s minor-unit precision' }),
  currency: z.string().openapi({ example: 'USD' }),
});
const Money = MoneyShape.openapi('MoneyView');

const nullableString = z.string().nullable();
// Inline, not a $ref: zod-to-openapi 7 writes a nullable $ref as an allOf that typed clients misread.
const MaybeMoney = MoneyShape.nullable();

export const Accepted = z
  .object({
    id: z.string().openapi({ description: 'the aggregate or entity id the command is about' }),
    correlationId: z.string(),
    status: z.literal('accepted'),
    operation: z.string().openapi({ example: '/api/v1/operations/3f1c…' }),
  })
  .openapi('Accepted');

export const ProblemView = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    correlationId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

const page = <T extends z.ZodTypeAny>(item: T, name: string) =>
  z.object({ items: z.array(item), nextCursor: nullableString }).openapi(name);

const RuleView = z
  .object({
    event: z.enum(['impression', 'click', 'conversion']),
    type: z.enum(['percent', 'fixed', 'per_mille']),
    rate: z.string().optional(),
    amount: Money.optional(),
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
    holdingPeriodDays: z.number().int(),
    influencers: z.array(Member).optional().openapi({
      description:
        'one campaign: its first 100 members for the owner brand and admin (the rest: GET …/influencers), an influencer its own membership only; lists: an influencer its own membership, owners none',
    }),
    influencersNextCursor: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: 'one campaign, owner: the cursor of the next members in GET …/influencers' }),
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

const ItemErrors = z.array(z.object({ path: z.string(), message: z.string() }));
export const BatchAccepted = z
  .object({
    accepted: z.number().int(),
    rejected: z.array(z.object({ index: z.number().int(), errors: ItemErrors })),
    correlationId: z.string(),
    operation: z.string(),
  })
  .openapi('BatchAccepted');

export const TrackingEventView = z
  .object({
    eventId: z.string(),
    type: z.string(),
    campaignId: z.string(),
    influencerId: nullableString,
    attribution: nullableString,
    clickId: nullableString,
    visitorId: z.string(),
    userId: nullableString,
    occurredAt: z.string(),
    value: MaybeMoney,
    orderId: nullableString,
    name: nullableString,
    valid: z.boolean(),
    reasons: z.array(z.string()),
    duplicate: z.boolean(),
  })
  .openapi('TrackingEventView');

export const ActivityView = z
  .object({
    visitorId: z.string(),
    windows: z.array(
      z.object({
        windowStart: z.string(),
        windowEnd: z.string(),
        events: z.number().int(),
        byType: z.record(z.string(), z.number().int()),
      }),
    ),
  })
  .openapi('Activity');

export const CommissionView = z
  .object({
    id: z.string(),
    campaignId: z.string(),
    influencerId: nullableString,
    sourceEventId: z.string(),
    amount: MaybeMoney,
    status: z.enum(['pending', 'approved', 'rejected', 'reversed', 'paid']),
    reason: z.string().optional(),
    createdAt: z.string(),
  })
  .openapi('Commission');

export const BalanceView = z
  .object({
    balances: z.array(z.object({ currency: z.string(), pending: Money, available: Money, paidOut: Money })),
  })
  .openapi('Balance');

export const PayoutView = z
  .object({
    id: z.string(),
    influencerId: z.string(),
    amount: Money,
    method: z.enum(['paypal', 'bank_transfer']),
    status: z.enum(['requested', 'processing', 'completed', 'failed', 'rejected']),
    reason: z.string().optional(),
    createdAt: z.string(),
    completedAt: z.string().optional(),
  })
  .openapi('Payout');

export const OperationView = z
  .object({
    correlationId: z.string(),
    status: z.enum(['pending', 'completed', 'failed']),
    reason: z.string().optional(),
    steps: z.array(
      z.object({
        messageId: z.string(),
        causationId: z.string(),
        kind: z.enum(['command', 'event']),
        type: z.string(),
        service: z.string(),
        occurredAt: z.string(),
      }),
    ),
  })
  .openapi('Operation');

export const DeadLettersView = z
  .object({
    topics: z.array(
      z.object({
        topic: z.string(),
        service: z.string(),
        count: z.number().int(),
        latest: z.array(
          z.object({ messageId: z.string(), messageType: z.string(), correlationId: z.string(), seenAt: z.string() }),
        ),
      }),
    ),
  })
  .openapi('DeadLetters');

const Health = z.object({ status: z.literal('ok') });
const Readiness = z.object({ ready: z.boolean(), checks: z.record(z.string(), z.boolean()) });

// ---------------------------------------------------------------------------------------------
// Parameters.

const IdParams = z.object({ id: text(1, 128).openapi({ description: 'the campaign id' }) });

/** `limit` (1–500, default 50) and `cursor` (the `nextCursor` of the previous page). */
export const Paging = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(64).optional().openapi({ description: 'nextCursor of the previous page' }),
});

/** Members page by influencer id: their cursor is longer than a seq's. */
export const MembersQuery = Paging.extend({
  cursor: z.string().max(400).optional().openapi({ description: 'nextCursor of the previous page' }),
});

const TRACKING_TYPES = ['impression', 'click', 'conversion', 'refund', 'custom'] as const;
export const EventsQuery = Range.merge(Paging).extend({
  campaignId: text(1, 128).optional(),
  influencerId: text(1, 128).optional(),
  visitorId: text(1, 128).optional(),
  type: z.enum(TRACKING_TYPES).optional(),
});
export const ActivityQuery = Range.extend({ visitorId: text(1, 128) });
export const CommissionsQuery = Paging.extend({
  campaignId: text(1, 128).optional(),
  influencerId: text(1, 128).optional(),
  status: z.enum(['pending', 'approved', 'rejected', 'reversed', 'paid']).optional(),
});

/** The batch route checks each event on its own and accepts the valid ones: the envelope is all it parses. */
export const BatchBody = z.object({ events: z.array(z.unknown()).min(1).max(1000) }).strict();
const BatchDocument = z.object({ events: z.array(TrackingEventBody).min(1).max(1000) });

// ---------------------------------------------------------------------------------------------
// The routes.

const ownerOrAdmin = ['brand', 'admin'] as const;
const accepted = (description: string) => ({ status: 202 as const, description, schema: Accepted });
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

/** A paged list: GET with its query (Paging or an extension of it), answering a page of items. */
const list = <Q extends z.AnyZodObject, S extends z.ZodTypeAny>(
  e: { path: string; summary: string; roles: readonly Role[]; scope: string; query: Q },
  items: { what: string; page: S },
) => endpoint({ method: 'get', ...e, ok: { status: 200, description: `a page of ${items.what}`, schema: items.page } });

export const endpoints = {
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
  recordEvent: endpoint({
    method: 'post',
    path: '/api/v1/tracking/events',
    summary: 'Record a tracking event',
    roles: ['ingest', 'brand', 'admin'],
    scope: 'a brand writes to its own campaigns, an ingest token to its `brand` claim’s, admin anywhere',
    body: TrackingEventBody,
    ok: accepted('`id` is the event id; the event is stored valid or invalid with its reasons'),
  }),
  recordEvents: endpoint({
    method: 'post',
    path: '/api/v1/tracking/events:batch',
    summary: 'Record up to 1,000 events; each is checked on its own',
    roles: ['ingest', 'brand', 'admin'],
    scope: 'as for one event; an event for another tenant’s campaign is rejected by index',
    body: BatchDocument,
    parseBody: BatchBody,
    ok: {
      status: 202,
      description: 'the valid events are accepted, the others listed by index',
      schema: BatchAccepted,
    },
  }),
  listEvents: list(
    {
      path: '/api/v1/tracking/events',
      summary: 'Tracking events with their validity',
      roles: ownerOrAdmin,
      scope: 'a brand: the events it sent; admin: all',
      query: EventsQuery,
    },
    { what: 'events', page: page(TrackingEventView, 'TrackingEventPage') },
  ),
  visitorActivity: endpoint({
    method: 'get',
    path: '/api/v1/tracking/activity',
    summary: 'A visitor’s events per fixed 4-hour window',
    roles: ownerOrAdmin,
    scope: 'a brand: only its own events; admin: all',
    query: ActivityQuery,
    ok: { status: 200, description: 'the windows', schema: ActivityView },
  }),
  listCommissions: list(
    {
      path: '/api/v1/commissions',
      summary: 'Commissions',
      roles: ['influencer', 'brand', 'admin'],
      scope: 'influencer: its own, on campaigns it accepted; brand: its campaigns’; admin: all',
      query: CommissionsQuery,
    },
    { what: 'commissions', page: page(CommissionView, 'CommissionPage') },
  ),
  balance: endpoint({
    method: 'get',
    path: '/api/v1/balance',
    summary: 'The influencer’s balance per currency',
    roles: ['influencer'],
    scope: 'the caller’s own',
    ok: { status: 200, description: 'pending, available and paid out, per currency', schema: BalanceView },
  }),
  requestPayout: endpoint({
    method: 'post',
    path: '/api/v1/payouts',
    summary: 'Request a payout',
    roles: ['influencer'],
    scope: 'from the caller’s own available balance',
    body: PayoutBody,
    ok: accepted('`id` is the payout id'),
  }),
  listPayouts: list(
    {
      path: '/api/v1/payouts',
      summary: 'Payouts',
      roles: ['influencer', 'admin'],
      scope: 'influencer: its own; admin: all',
      query: Paging,
    },
    { what: 'payouts', page: page(PayoutView, 'PayoutPage') },
  ),
  getPayout: endpoint({
    method: 'get',
    path: '/api/v1/payouts/{id}',
    summary: 'A payout',
    roles: ['influencer', 'admin'],
    scope: 'influencer: its own (others get 404); admin: all',
    params: z.object({ id: text(1, 128).openapi({ description: 'the payout id' }) }),
    ok: { status: 200, description: 'the payout', schema: PayoutView },
  }),
  getOperation: endpoint({
    method: 'get',
    path: '/api/v1/operations/{correlationId}',
    summary: 'A flow: its outcome and every message it caused, in causal order',
    roles: ['admin', 'brand', 'influencer', 'ingest'],
    scope: 'the caller that started it (others get 404), admin',
    params: z.object({ correlationId: text(1, 128) }),
    ok: { status: 200, description: 'the operation', schema: OperationView },
  }),
  deadLetters: endpoint({
    method: 'get',
    path: '/api/v1/admin/dead-letters',
    summary: 'Dead-letter topics: counts and the latest messages',
    roles: ['admin'],
    ok: { status: 200, description: 'one entry per topic and subscription', schema: DeadLettersView },
  }),
  followLink: endpoint({
    method: 'get',
    path: '/c/{token}',
    summary:
      'Follow a tracking link: records a click and redirects with `click_id`; HEAD and known bots or link previews redirect without recording',
    roles: 'public',
    params: z.object({ token: z.string().max(2000) }),
    ok: { status: 302, description: 'to the landing URL, with `click_id` added' },
  }),
  health: endpoint({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    roles: 'public',
    ok: { status: 200, description: 'the process runs', schema: Health },
  }),
  readiness: endpoint({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Pulsar and the database reachable (503 otherwise)',
    roles: 'public',
    ok: { status: 200, description: 'ready', schema: Readiness },
  }),
} satisfies Record<string, Endpoint>;

export type Endpoints = typeof endpoints;
