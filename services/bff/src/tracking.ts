/** Tracking routes: single and batch ingestion, event pages, activity windows, and the public link redirect. */
import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import type { Kysely } from 'kysely';
import { toApi } from '@beacon/money';
import type { RecordTrackingEvent } from '@beacon/contracts';
import { accepted, type Publisher } from './commands.js';
import type { Database } from './db.js';
import { has, notFound, page, pageParams, parse, requireRole, route, zodProblem } from './http.js';
import { verifyLink } from './links.js';
import { Range, TrackingEventBody, type TrackingEventInput } from './schemas.js';
import { z } from 'zod';

function toCommand(e: TrackingEventInput, receivedAt: string): RecordTrackingEvent {
  return {
    eventId: e.eventId ?? randomUUID(), clientEventId: e.eventId !== undefined, type: e.type, campaignId: e.campaignId,
    influencerId: e.influencerId ?? null, clickId: e.clickId ?? null, visitorId: e.visitorId, userId: e.userId ?? null,
    occurredAt: e.occurredAt ? new Date(e.occurredAt).toISOString() : receivedAt, value: e.value ?? null, orderId: e.orderId ?? null,
    name: e.name ?? null, properties: JSON.stringify(e.properties ?? {}), userAgent: e.userAgent ?? null, ip: e.ip ?? null,
    referrer: e.referrer ?? null, receivedAt,
  };
}

const BatchBody = z.object({ events: z.array(z.unknown()).min(1).max(1000) }).strict();
const EventsQuery = Range.extend({
  campaignId: z.string().optional(), influencerId: z.string().optional(), visitorId: z.string().optional(),
  type: z.enum(['impression', 'click', 'conversion', 'refund', 'custom']).optional(), limit: z.string().optional(), cursor: z.string().optional(),
});

export function trackingRoutes(db: Kysely<Database>, publisher: Publisher): Router {
  const router = Router();
  const ingestRoles = (req: Request) => requireRole(req, 'ingest', 'brand', 'admin');

  router.post('/tracking/events', route(async (req, res) => {
    ingestRoles(req);
    const command = toCommand(parse(TrackingEventBody, req.body), new Date().toISOString());
    await publisher.send(req.correlationId, req.caller.sub, 'tracking.RecordTrackingEvent', command.campaignId, command);
    accepted(req, res, command.eventId);
  }));

  router.post('/tracking/events\\:batch', route(async (req, res) => {
    ingestRoles(req);
    const { events } = parse(BatchBody, req.body);
    const receivedAt = new Date().toISOString();
    const rejected: Array<{ index: number; errors: Array<{ path: string; message: string }> }> = [];
    const commands: RecordTrackingEvent[] = [];
    events.forEach((raw, index) => {
      const result = TrackingEventBody.safeParse(raw);
      if (result.success) commands.push(toCommand(result.data, receivedAt));
      else rejected.push({ index, errors: zodProblem(result.error).errors ?? [] });
    });
    // One correlation id for the batch; events keep their order per campaign.
    await publisher.sendMany(req.correlationId, req.caller.sub, 'tracking.RecordTrackingEvent', commands.map((c) => ({ key: c.campaignId, value: c })));
    const operation = `/api/v1/operations/${req.correlationId}`;
    res.status(202).setHeader('Location', operation);
    res.json({ accepted: commands.length, rejected, correlationId: req.correlationId, operation });
  }));

  router.get('/tracking/events', route(async (req, res) => {
    requireRole(req, 'brand', 'admin');
    const query = parse(EventsQuery, req.query);
    const { limit, after } = pageParams(req.query);
    let q = db.selectFrom('rm_tracking_events').selectAll().where('seq', '>', after);
    if (!has(req, 'admin')) q = q.where('brand_id', '=', req.caller.sub);
    if (query.campaignId) q = q.where('campaign_id', '=', query.campaignId);
    if (query.influencerId) q = q.where('influencer_id', '=', query.influencerId);
    if (query.visitorId) q = q.where('visitor_id', '=', query.visitorId);
    if (query.type) q = q.where('type', '=', query.type);
    if (query.from) q = q.where('occurred_at', '>=', new Date(query.from).toISOString());
    if (query.to) q = q.where('occurred_at', '<=', new Date(query.to).toISOString());
    const rows = await q.orderBy('seq').limit(limit + 1).execute();
    res.json(page(rows, limit, (e) => ({
      eventId: e.event_id, type: e.type, campaignId: e.campaign_id, influencerId: e.influencer_id, attribution: e.attribution, clickId: e.click_id,
      visitorId: e.visitor_id, userId: e.user_id, occurredAt: e.occurred_at, value: e.value_minor !== null && e.currency ? toApi({ amountMinor: e.value_minor, currency: e.currency }) : null,
      orderId: e.order_id, name: e.name, valid: e.valid, reasons: e.reasons, duplicate: e.duplicate,
    })));
  }));

  router.get('/tracking/activity', route(async (req, res) => {
    requireRole(req, 'brand', 'admin');
    const query = parse(Range.extend({ visitorId: z.string().min(1) }), req.query);
    let q = db.selectFrom('rm_activity').selectAll().where('subject', '=', query.visitorId);
    if (query.from) q = q.where('window_start', '>=', new Date(Math.floor(Date.parse(query.from) / 14_400_000) * 14_400_000).toISOString());
    if (query.to) q = q.where('window_start', '<=', new Date(query.to).toISOString());
    const rows = await q.orderBy('window_start').execute();
    const windows = new Map<string, Record<string, number>>();
    for (const r of rows) windows.set(r.window_start, { ...(windows.get(r.window_start) ?? {}), [r.type]: r.count });
    res.json({
      visitorId: query.visitorId,
      windows: [...windows].map(([start, byType]) => ({
        windowStart: start, windowEnd: new Date(Date.parse(start) + 14_400_000).toISOString(),
        events: Object.values(byType).reduce((a, b) => a + b, 0), byType,
      })),
    });
  }));

  return router;
}

/** GET /c/{token}: public. Records a click with a fresh click id and redirects to the landing page. */
export function linkRoute(db: Kysely<Database>, publisher: Publisher, linkSecret: string): Router {
  const router = Router();
  router.get('/c/:token', route(async (req, res) => {
    const link = verifyLink(linkSecret, String(req.params.token));
    if (!link) throw notFound('link');
    const campaign = await db.selectFrom('rm_campaigns').select(['landing_url']).where('id', '=', link.campaignId).executeTakeFirst();
    if (!campaign) throw notFound('link');
    const cookie = /(?:^|;\s*)beacon_vid=([A-Za-z0-9-]{1,64})/.exec(req.header('cookie') ?? '')?.[1];
    const visitorId = cookie ?? randomUUID();
    const clickId = randomUUID();
    const now = new Date().toISOString();
    await publisher.send(req.correlationId, 'public', 'tracking.RecordTrackingEvent', link.campaignId, {
      eventId: randomUUID(), clientEventId: false, type: 'click', campaignId: link.campaignId, influencerId: link.influencerId, clickId,
      visitorId, userId: null, occurredAt: now, value: null, orderId: null, name: null, properties: '{}',
      userAgent: req.header('user-agent') ?? null, ip: req.ip ?? null, referrer: req.header('referer') ?? null, receivedAt: now,
    });
    const target = new URL(campaign.landing_url);
    target.searchParams.set('click_id', clickId);
    res.cookie('beacon_vid', visitorId, { httpOnly: true, sameSite: 'lax', maxAge: 365 * 86_400_000 });
    res.redirect(302, target.toString());
  }));
  return router;
}
