/** The tracking slice's contract: event ingestion (one and many), the events list, activity, and links followed. */
import { z } from 'zod';
import { jsonProblem } from '@beacon/domain';
import {
  accepted,
  endpoint,
  id,
  list,
  MaybeMoney,
  MoneyInput,
  nullableString,
  ownerOrAdmin,
  page,
  Paging,
  Range,
  text,
  time,
  type Endpoint,
} from '../http/contract.js';

// ---------------------------------------------------------------------------------------------
// Bodies and queries.

export const MAX_PROPERTIES_BYTES = 32 * 1024;

/** Free JSON the database can store, bounded in size. */
function propertiesProblem(value: unknown): string | undefined {
  return (
    jsonProblem(value) ??
    (Buffer.byteLength(JSON.stringify(value ?? null)) > MAX_PROPERTIES_BYTES
      ? `must be at most ${MAX_PROPERTIES_BYTES} bytes as JSON`
      : undefined)
  );
}

export const TrackingEventBody = z
  .object({
    eventId: id.optional(),
    type: z.enum(['impression', 'click', 'conversion', 'refund', 'custom', 'lead']),
    campaignId: id,
    influencerId: id.optional(),
    clickId: id.optional(),
    visitorId: id,
    userId: id.optional(),
    occurredAt: time.optional(),
    value: MoneyInput.optional(),
    orderId: id.optional(),
    // The brand's own customer id (leads need one) and a coupon code: a malformed one is stored with its reason.
    customerId: id.optional(),
    couponCode: id.optional(),
    name: id.optional(),
    // Any JSON: a non-object is stored flagged MALFORMED_PROPERTIES (domain.md), not refused.
    properties: z.unknown().superRefine((value, ctx) => {
      const problem = propertiesProblem(value);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    }),
    userAgent: text(0, 1000).optional(),
    ip: text(0, 64).optional(),
    referrer: text(0, 2000).optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    const need = (field: 'value' | 'orderId' | 'name' | 'customerId') => {
      if (e[field] === undefined)
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [field], message: `required for ${e.type} events` });
    };
    if (e.type === 'conversion') {
      need('value');
      need('orderId');
    }
    if (e.type === 'refund') need('orderId');
    if (e.type === 'custom') need('name');
    if (e.type === 'lead') need('customerId');
  })
  .openapi('TrackingEvent');
export type TrackingEventInput = z.infer<typeof TrackingEventBody>;

const TRACKING_TYPES = ['impression', 'click', 'conversion', 'refund', 'custom', 'lead'] as const;
export const EventsQuery = Range.merge(Paging).extend({
  campaignId: text(1, 128).optional(),
  influencerId: text(1, 128).optional(),
  visitorId: text(1, 128).optional(),
  type: z.enum(TRACKING_TYPES).optional(),
});
export const ActivityQuery = Range.extend({ visitorId: text(1, 128) });

/** The batch route checks each event on its own and accepts the valid ones: the envelope is all it parses. */
export const BatchBody = z.object({ events: z.array(z.unknown()).min(1).max(1000) }).strict();
const BatchDocument = z.object({ events: z.array(TrackingEventBody).min(1).max(1000) });

// ---------------------------------------------------------------------------------------------
// Views.

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
    customerId: nullableString,
    couponCode: nullableString,
    name: nullableString,
    valid: z.boolean(),
    reasons: z.array(z.string()),
    /** what did not attribute, without making the event invalid (UNKNOWN_COUPON) */
    notes: z.array(z.string()),
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

// ---------------------------------------------------------------------------------------------
// Routes.

export const trackingEndpoints = {
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
} satisfies Record<string, Endpoint>;

/** Following a link is public and sits outside /api/v1. */
export const linkEndpoints = {
  followLink: endpoint({
    method: 'get',
    path: '/c/{token}',
    summary:
      'Follow a tracking link: records a click and redirects with `click_id`; ' +
      'HEAD and known bots or link previews redirect without recording',
    roles: 'public',
    params: z.object({ token: z.string().max(2000) }),
    ok: { status: 302, description: 'to the landing URL, with `click_id` added' },
  }),
} satisfies Record<string, Endpoint>;
