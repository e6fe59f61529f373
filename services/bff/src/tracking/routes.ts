/** Tracking routes: single and batch ingestion, event pages, activity windows, and the public link redirect. */
import { createHash, randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Kysely, Selectable } from 'kysely';
import type { z } from 'zod';
import { ACTIVITY_WINDOW_MS, activityWindowOf, defined } from '@beacon/domain';
import { toApi } from '@beacon/money';
import type { RecordTrackingEventV2 as RecordTrackingEvent } from '@beacon/contracts';
import { accepted, followOperation } from '../command-gateway.js';
import type { Database } from '../db.js';
import {
  linkEndpoints,
  trackingEndpoints,
  TrackingEventBody,
  type TrackingEventInput,
  type TrackingEventView,
} from './contract.js';
import { mount } from '../http/endpoint.js';
import { fetchPage, pageParams } from '../http/paging.js';
import { notFound, zodProblem } from '../http/problems.js';
import { stableId } from '../http/idempotency.js';
import { claimTrackingOperations } from '../operations/claims.js';
import { CampaignOwners, foreignCampaigns, readerBrandOf, writerBrandOf } from './access.js';
import type { TrackingBatcher } from './batches.js';
import { isbot } from 'isbot';
import { anonymousVisitor, verifyLink, type VisitorCookies } from './links.js';
import { principalOf } from '../http/jwt.js';

function eventView(e: Selectable<Database['rm_tracking_events']>): z.input<typeof TrackingEventView> {
  const value =
    e.value_minor !== null && e.currency ? toApi({ amountMinor: e.value_minor, currency: e.currency }) : null;
  return {
    eventId: e.event_id,
    type: e.type,
    campaignId: e.campaign_id,
    influencerId: e.influencer_id,
    attribution: e.attribution,
    clickId: e.click_id,
    visitorId: e.visitor_id,
    userId: e.user_id,
    occurredAt: e.occurred_at,
    value,
    orderId: e.order_id,
    customerId: e.customer_id,
    couponCode: e.coupon_code,
    name: e.name,
    valid: e.valid,
    notes: e.notes,
    reasons: e.reasons,
    duplicate: e.duplicate,
  };
}

function toCommand(
  e: TrackingEventInput,
  eventId: string,
  receivedAt: string,
  writerBrandId: string | null,
): RecordTrackingEvent {
  return {
    eventId: e.eventId ?? eventId,
    clientEventId: e.eventId !== undefined,
    type: e.type,
    campaignId: e.campaignId,
    influencerId: e.influencerId ?? null,
    clickId: e.clickId ?? null,
    visitorId: e.visitorId,
    userId: e.userId ?? null,
    occurredAt: e.occurredAt ?? receivedAt,
    value: e.value ?? null,
    orderId: e.orderId ?? null,
    customerId: e.customerId ?? null,
    couponCode: e.couponCode ?? null,
    name: e.name ?? null,
    properties: JSON.stringify(e.properties ?? {}),
    userAgent: e.userAgent ?? null,
    ip: e.ip ?? null,
    referrer: e.referrer ?? null,
    receivedAt,
    writerBrandId,
  };
}

export function trackingRoutes(db: Kysely<Database>, batcher: TrackingBatcher): Router {
  const router = Router();
  const owners = new CampaignOwners(db);

  mount(router, trackingEndpoints.recordEvent, async ({ body }, req, res) => {
    const writer = writerBrandOf(req);
    if ((await foreignCampaigns(owners, writer, [body.campaignId])).size > 0) throw notFound('campaign');
    const command = toCommand(body, stableId(req, 'event'), new Date().toISOString(), writer);
    const correlationId = await batcher.submit(req, [command], { claimed: false });
    return accepted(res, correlationId, command.eventId);
  });

  mount(router, trackingEndpoints.recordEvents, async ({ body: { events } }, req, res) => {
    const writer = writerBrandOf(req);
    const receivedAt = new Date().toISOString();
    const parsed = events.map((raw) => TrackingEventBody.safeParse(raw));
    const foreign = await foreignCampaigns(
      owners,
      writer,
      parsed.flatMap((p) => (p.success ? [p.data.campaignId] : [])),
    );
    const rejected: Array<{ index: number; errors: Array<{ path: string; message: string }> }> = [];
    const commands: RecordTrackingEvent[] = [];
    parsed.forEach((result, index) => {
      if (!result.success) rejected.push({ index, errors: zodProblem(result.error).errors ?? [] });
      else if (foreign.has(result.data.campaignId))
        rejected.push({ index, errors: [{ path: 'campaignId', message: 'no such campaign' }] });
      else commands.push(toCommand(result.data, stableId(req, `event:${index}`), receivedAt, writer));
    });
    // One correlation id and one operation for the whole request; events keep their order per campaign.
    let correlationId = req.correlationId;
    if (commands.length > 0) {
      const flow = { correlationId, startedBy: principalOf(req.caller), expected: commands.length };
      correlationId = defined((await claimTrackingOperations(db, [flow]))[0], 'the claimed flow');
      await batcher.submit({ correlationId, caller: req.caller }, commands, { claimed: true });
    }
    const operation = followOperation(res, correlationId);
    return { accepted: commands.length, rejected, correlationId, operation };
  });

  mount(router, trackingEndpoints.listEvents, async ({ query }, req) => {
    const { limit, after } = pageParams(query);
    let q = db.selectFrom('rm_tracking_events').selectAll().where('seq', '>', after);
    const reader = readerBrandOf(req);
    if (reader !== null) q = q.where('brand_id', '=', reader);
    if (query.campaignId) q = q.where('campaign_id', '=', query.campaignId);
    if (query.influencerId) q = q.where('influencer_id', '=', query.influencerId);
    if (query.visitorId) q = q.where('visitor_id', '=', query.visitorId);
    if (query.type) q = q.where('type', '=', query.type);
    if (query.from) q = q.where('occurred_at', '>=', query.from);
    if (query.to) q = q.where('occurred_at', '<=', query.to);
    return fetchPage(q, limit, eventView);
  });

  /** A visitor's 4-hour windows, counting only the caller's own events (admin: everyone's). */
  mount(router, trackingEndpoints.visitorActivity, async ({ query }, req) => {
    let q = db
      .selectFrom('rm_activity')
      .select(['window_start', 'type'])
      .select((eb) => eb.fn.sum<number>('count').as('count'))
      .where('subject', '=', query.visitorId);
    const reader = readerBrandOf(req);
    if (reader !== null) q = q.where('brand_id', '=', reader);
    if (query.from) q = q.where('window_start', '>=', activityWindowOf(query.from).start);
    if (query.to) q = q.where('window_start', '<=', query.to);
    const rows = await q.groupBy(['window_start', 'type']).orderBy('window_start').execute();
    const windows = new Map<string, Record<string, number>>();
    for (const r of rows)
      windows.set(r.window_start, { ...(windows.get(r.window_start) ?? {}), [r.type]: Number(r.count) });
    return {
      visitorId: query.visitorId,
      windows: [...windows].map(([start, byType]) => ({
        windowStart: start,
        windowEnd: new Date(Date.parse(start) + ACTIVITY_WINDOW_MS).toISOString(),
        events: Object.values(byType).reduce((a, b) => a + b, 0),
        byType,
      })),
    };
  });

  return router;
}

const VISITOR_COOKIE = 'beacon_vid';

/** GET /c/{token}: public. Records a click with a fresh click id and redirects to the landing page. */
/** What a visitor of a link sees once its campaign is paused or completed. */
const ENDED_PAGE =
  '<!doctype html><html lang="en"><meta charset="utf-8"><title>Offer ended</title>' +
  '<body style="font-family:sans-serif;margin:4rem auto;max-width:32rem"><h1>This offer has ended</h1>' +
  '<p>The campaign behind this link is no longer running.</p></body></html>';

export function linkRoute(
  db: Kysely<Database>,
  batcher: TrackingBatcher,
  linkSecret: string,
  visitors: VisitorCookies,
  limits: { clickAllowed?: (ip: string, link: string) => boolean; onLimited?: () => void } = {},
): Router {
  const router = Router();
  mount(
    router,
    linkEndpoints.followLink,
    async ({ params }, req, res) => {
      const link = verifyLink(linkSecret, params.token);
      if (!link) throw notFound('link');
      const campaign = await db
        .selectFrom('rm_campaigns')
        .select(['landing_url', 'status'])
        .where('id', '=', link.campaignId)
        .executeTakeFirst();
      if (!campaign) throw notFound('link');
      if (campaign.status === 'paused' || campaign.status === 'completed') {
        res.status(410).type('html').send(ENDED_PAGE);
        return;
      }
      const userAgent = req.header('user-agent')?.slice(0, 1000) ?? '';
      // A HEAD request or a link preview is not a person following the link; a client over its IP's or
      // the link's click limit may be a script farming it: redirect them all, record nothing.
      const recordable =
        req.method !== 'HEAD' &&
        !isbot(userAgent) &&
        (!limits.clickAllowed ||
          (await limits.clickAllowed(req.ip ?? '', createHash('sha256').update(params.token).digest('base64url'))));
      if (!recordable) {
        if (req.method !== 'HEAD' && !isbot(userAgent)) limits.onLimited?.();
        res.redirect(302, campaign.landing_url);
        return;
      }
      const cookie = new RegExp(`(?:^|;\\s*)${VISITOR_COOKIE}=([^;]{1,200})`).exec(req.header('cookie') ?? '')?.[1];
      const visitorId =
        (cookie && visitors.verify(cookie)) || anonymousVisitor(linkSecret, link, req.ip ?? '', userAgent);
      const clickId = randomUUID();
      const now = new Date().toISOString();
      // An anonymous visitor's flow: always a fresh correlation id, never one the client names.
      const correlationId = await batcher.submit(
        { correlationId: randomUUID() },
        [
          {
            eventId: randomUUID(),
            clientEventId: false,
            type: 'click',
            campaignId: link.campaignId,
            influencerId: link.influencerId,
            clickId,
            visitorId,
            userId: null,
            occurredAt: now,
            value: null,
            orderId: null,
            customerId: null,
            couponCode: null,
            name: null,
            properties: '{}',
            userAgent: userAgent || null,
            ip: req.ip ?? null,
            referrer: req.header('referer')?.slice(0, 2000) ?? null,
            receivedAt: now,
            writerBrandId: null,
          },
        ],
        { claimed: false },
      );
      res.setHeader('X-Correlation-ID', correlationId);
      const target = new URL(campaign.landing_url);
      target.searchParams.set('click_id', clickId);
      res.cookie(VISITOR_COOKIE, visitors.sign(visitorId), {
        httpOnly: true,
        sameSite: 'lax',
        secure: visitors.secure,
        maxAge: 365 * 86_400_000,
      });
      res.redirect(302, target.toString());
    },
    '',
  );
  return router;
}
