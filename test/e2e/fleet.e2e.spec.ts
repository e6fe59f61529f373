/**
 * The whole fleet on the real Pulsar and PostgreSQL, driven only through the BFF's HTTP API.
 * One fleet for the file (its own ports, so a developer's running fleet does not collide).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { buildServices, builtEnv } from '../../scripts/build.js';
import { demo, type DemoResult } from '../../scripts/demo.js';
import { Client } from '../../scripts/lib/client.js';
import { useFleet } from './fleet-under-test.js';
import { defined } from '@beacon/domain';
import type { Schemas } from '@beacon/api-client';
import { settledValue } from '@beacon/testing';

const USD = (amount: string) => ({ amount, currency: 'USD' });

// This file drives the services as the image runs them: compiled by `pnpm build`, started with plain node.
const built = join(tmpdir(), `beacon-built-${process.pid}`);
beforeAll(() => buildServices(built), 120_000);
const fleet = useFleet({ bffPort: 18000, opsPortBase: 19100, built });
let base: string;
beforeAll(() => {
  base = fleet.baseUrl;
});

async function openCampaign(brand: Client, influencers: Client[], body: Record<string, unknown> = {}) {
  const created = await brand.command('/api/v1/campaigns', {
    name: 'E2E',
    landingUrl: 'https://shop.example/e2e',
    budget: USD('100.00'),
    commissionRules: [{ event: 'conversion', type: 'percent', rate: '10' }],
    ...body,
  });
  expect(created.operation.status).toBe('completed');
  for (const influencer of influencers) {
    expect(
      (await influencer.command(`/api/v1/campaigns/${created.id}/accept`, { acceptedTerms: true })).operation.status,
    ).toBe('completed');
  }
  return created.id;
}

/** A new brand, a new influencer, and a campaign of the brand's (`terms` added to its body) the influencer accepted. */
async function acceptedCampaign(terms: (influencerId: string) => Record<string, unknown> = () => ({})) {
  const brand = await Client.as(base, `brand-${randomUUID()}`, 'brand');
  const infId = `inf-${randomUUID()}`;
  const influencer = await Client.as(base, infId, 'influencer');
  const id = await openCampaign(brand, [influencer], terms(infId));
  return { brand, infId, influencer, id };
}

describe('the demo scenario, judged from the API', () => {
  let result: DemoResult;
  let admin: Client;
  beforeAll(async () => {
    const lines: string[] = [];
    result = await demo(base, (l) => lines.push(l));
    if (!result.ok) console.log(lines.join('\n'));
    admin = await Client.as(base, 'admin-demo-judge', 'admin');
  }, 300_000);

  const commissionsOf = async (campaignId: string) => {
    const { inf1, inf2 } = result.influencers;
    const name = (id: string | null) => (id === inf1 ? 'inf1' : id === inf2 ? 'inf2' : 'inf3');
    const page = await admin.get<Schemas['CommissionPage']>(`/api/v1/commissions?campaignId=${campaignId}&limit=500`);
    return page.body.items
      .map((c) => `${name(c.influencerId)} ${c.amount?.amount ?? '-'} ${c.status}${c.reason ? ` ${c.reason}` : ''}`)
      .sort();
  };
  const campaign = async (id: string) => (await admin.get<Schemas['Campaign']>(`/api/v1/campaigns/${id}`)).body;
  const balanceOf = async (influencerId: string) => {
    const influencer = await Client.as(base, influencerId, 'influencer');
    const usd = (await influencer.get<Schemas['Balance']>('/api/v1/balance')).body.balances[0];
    return [usd?.pending.amount, usd?.available.amount, usd?.paidOut.amount];
  };

  // The read models settle after the demo's last command: each figure is read until it holds.
  const expectSettled = async <T>(read: () => Promise<T>, expected: T) =>
    expect(await settledValue(read, expected)).toEqual(expected);
  const budgetOf = async (id: string) => {
    const c = await campaign(id);
    return [c.spent?.amount, c.remaining?.amount, c.status];
  };

  it('ends every flow as the story says, and the creator program pays what its rules give', () => {
    // The demo judges its creator program itself (coupon and link leads, two months of renewals per
    // subscriber, what the creator sees): each figure that differs is a failure it names.
    expect(result.failures).toEqual([]);
  });

  it('pays 10% of a conversion, a fixed amount per click and per 1,000 impressions, and reverses a refunded conversion', async () => {
    await expectSettled(
      () => commissionsOf(result.campaigns.summer),
      [
        'inf1 0.25 approved',
        'inf1 0.25 approved',
        'inf1 10.00 reversed',
        'inf1 2.00 approved',
        'inf2 0.25 approved',
        'inf2 5.00 approved',
      ],
    );
    await expectSettled(() => budgetOf(result.campaigns.summer), ['7.75', '92.25', 'active']);
    const stats = async () => {
      const s = (await admin.get<Schemas['Stats']>(`/api/v1/campaigns/${result.campaigns.summer}/stats`)).body;
      return [s.impressions, s.clicks, s.conversions, s.revenue.amount, s.commissions.amount];
    };
    await expectSettled(stats, [1000, 3, 2, '50.00', '7.75']);
  });

  it('caps the commission that meets the end of the budget, exhausts the campaign, and refuses the next one', async () => {
    await expectSettled(
      () => commissionsOf(result.campaigns.winter),
      ['inf3 12.00 paid', 'inf3 12.00 paid', 'inf3 12.00 rejected BUDGET_EXHAUSTED', 'inf3 6.00 paid'],
    );
    await expectSettled(() => budgetOf(result.campaigns.winter), ['30.00', '0.00', 'budget_exhausted']);
  });

  it('pays out what is available, returns a failed payout to the balance, and marks paid commissions', async () => {
    await expectSettled(() => balanceOf(result.influencers.inf1), ['0.00', '2.50', '0.00']);
    await expectSettled(() => balanceOf(result.influencers.inf2), ['0.00', '5.25', '0.00']);
    await expectSettled(() => balanceOf(result.influencers.inf3), ['0.00', '0.00', '30.00']);
    const payoutsOf = async (influencerId: string) => {
      const influencer = await Client.as(base, influencerId, 'influencer');
      const page = (await influencer.get<Schemas['PayoutPage']>('/api/v1/payouts')).body;
      return page.items.map((p) => [p.amount.amount, p.status, p.reason ?? '']);
    };
    expect(await payoutsOf(result.influencers.inf3)).toEqual([['30.00', 'completed', '']]);
    expect(await payoutsOf(result.influencers.inf2)).toEqual([['5.00', 'failed', 'PROVIDER_DECLINED']]);
    expect(await payoutsOf(result.influencers.inf1)).toEqual([['50.00', 'rejected', 'INSUFFICIENT_FUNDS']]);
  });

  it('ties a conversion’s whole flow to one correlation id, through every service', async () => {
    const flow = (await admin.get<Schemas['Operation']>(`/api/v1/operations/${result.winterConversionFlow}`)).body;
    expect([...new Set(flow.steps.map((s) => s.service))].sort()).toEqual([
      'bff',
      'campaign',
      'commission',
      'payment',
      'tracking',
    ]);
  });
});

describe('authentication and authorisation', () => {
  it('answers 401 for no token, a bad signature, an expired token, a wrong audience and alg none', async () => {
    const secret = new TextEncoder().encode(process.env.JWT_SECRET ?? 'dev-secret-change-me');
    const sign = (claims: { aud?: string; exp?: number }, key = secret) =>
      new SignJWT({ roles: ['admin'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('x')
        .setIssuer('beacon')
        .setAudience(claims.aud ?? 'beacon-bff')
        .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 600)
        .sign(key);
    const claims = { sub: 'x', roles: ['admin'], iss: 'beacon', aud: 'beacon-bff', exp: 9999999999 };
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    const tokens = [
      undefined,
      await sign({}, new TextEncoder().encode('not-the-secret')),
      await sign({ exp: Math.floor(Date.now() / 1000) - 10 }),
      await sign({ aud: 'someone-else' }),
      none,
    ];
    for (const token of tokens) {
      const reply = await new Client(base, token).get<Schemas['Problem']>('/api/v1/campaigns');
      expect(reply.status).toBe(401);
      expect(reply.headers.get('content-type')).toContain('application/problem+json');
      expect(reply.body).toMatchObject({ status: 401, title: 'Unauthorized' });
      expect(reply.body.correlationId).toBe(reply.headers.get('x-correlation-id'));
    }
  });

  it('answers 403 for a missing role and 404 where existence must not leak', async () => {
    const influencer = await Client.as(base, `inf-${randomUUID()}`, 'influencer');
    const brand = await Client.as(base, `brand-${randomUUID()}`, 'brand');
    const otherBrand = await Client.as(base, `brand-${randomUUID()}`, 'brand');
    expect((await influencer.post('/api/v1/campaigns', { name: 'x' })).status).toBe(403);
    expect((await brand.get('/api/v1/balance')).status).toBe(403);
    expect(
      (await brand.post('/api/v1/payouts', { amount: USD('5.00'), method: 'paypal', destination: 'a@b.c' })).status,
    ).toBe(403);
    const id = await openCampaign(brand, []);
    expect((await otherBrand.get(`/api/v1/campaigns/${id}`)).status).toBe(404);
    expect((await otherBrand.post(`/api/v1/campaigns/${id}/pause`)).status).toBe(404);
    expect((await otherBrand.get(`/api/v1/campaigns/${id}/stats`)).status).toBe(404);
    // Not accepted yet: may see the open campaign, may not submit evidence or make links.
    expect((await influencer.get(`/api/v1/campaigns/${id}`)).status).toBe(200);
    expect(
      (await influencer.post(`/api/v1/campaigns/${id}/evidence`, { type: 'photo', url: 'https://x.example/p.jpg' }))
        .status,
    ).toBe(403);
    expect((await influencer.post(`/api/v1/campaigns/${id}/links`)).status).toBe(403);
    const op = await brand.post<Schemas['Accepted']>(`/api/v1/campaigns/${id}/pause`);
    expect((await otherBrand.get(op.body.operation)).status).toBe(404);
  }, 60_000);
});

describe('bad input is refused with a problem, never a 5xx', () => {
  it('refuses bad bodies with 4xx problem+json, never 5xx, and keeps or replaces correlation ids', async () => {
    const brand = await Client.as(base, `brand-${randomUUID()}`, 'brand');
    const tooPrecise = await brand.post<Schemas['Problem']>('/api/v1/campaigns', {
      name: 'x',
      landingUrl: 'https://a.example',
      budget: USD('10.001'),
      commissionRules: [{ event: 'conversion', type: 'percent', rate: '10' }],
    });
    expect(tooPrecise.status).toBe(400);
    expect(tooPrecise.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'budget' })]));
    const jpy = await brand.post('/api/v1/campaigns', {
      name: 'x',
      landingUrl: 'https://a.example',
      budget: { amount: '10.5', currency: 'JPY' },
      commissionRules: [{ event: 'conversion', type: 'percent', rate: '10' }],
    });
    expect(jpy.status).toBe(400);
    expect(
      (await brand.request('POST', '/api/v1/campaigns', '{"name": ', { 'Content-Type': 'application/json' })).status,
    ).toBe(400);
    expect((await brand.post('/api/v1/campaigns', { name: 12, extra: true })).status).toBe(400);
    expect(
      (
        await brand.request('POST', '/api/v1/tracking/events', JSON.stringify({ pad: 'x'.repeat(1_100_000) }), {
          'Content-Type': 'application/json',
        })
      ).status,
    ).toBe(413);
    const event = await brand.post<Schemas['Problem']>('/api/v1/tracking/events', {
      type: 'conversion',
      campaignId: 'c',
      visitorId: 'v',
    });
    expect(event.status).toBe(400);
    expect(event.body.errors?.map((e) => e.path).sort()).toEqual(['orderId', 'value']);
    const kept = await brand.request('GET', '/api/v1/campaigns', undefined, { 'X-Correlation-ID': 'my-flow:42' });
    expect(kept.headers.get('x-correlation-id')).toBe('my-flow:42');
    const replaced = await brand.request('GET', '/api/v1/campaigns', undefined, {
      'X-Correlation-ID': 'bad id with spaces',
    });
    expect(replaced.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('replays an Idempotency-Key with the same body and answers 409 with another', async () => {
    const brand = await Client.as(base, `brand-${randomUUID()}`, 'brand');
    const body = {
      name: 'Idem',
      landingUrl: 'https://a.example',
      budget: USD('10.00'),
      commissionRules: [{ event: 'conversion', type: 'percent', rate: '10' }],
    };
    const key = { 'Idempotency-Key': randomUUID() };
    const first = await brand.post<Schemas['Accepted']>('/api/v1/campaigns', body, key);
    const again = await brand.post('/api/v1/campaigns', body, key);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect((await brand.post('/api/v1/campaigns', { ...body, name: 'Other' }, key)).status).toBe(409);
    await brand.settle(first.body.correlationId);
    const mine = await brand.get<Schemas['CampaignPage']>('/api/v1/campaigns');
    expect(mine.body.items.filter((c) => c.name === 'Idem')).toHaveLength(1);
  }, 60_000);
});

describe('tracking events through the BFF', () => {
  it('earns once for a duplicate eventId and once for a duplicate order id', async () => {
    const { brand, infId, influencer, id } = await acceptedCampaign();
    const conversion = {
      type: 'conversion',
      campaignId: id,
      influencerId: infId,
      visitorId: 'v-1',
      value: USD('40.00'),
    };
    const eventId = randomUUID();
    const first = await brand.command('/api/v1/tracking/events', { ...conversion, eventId, orderId: 'o-1' });
    const replay = await brand.command('/api/v1/tracking/events', { ...conversion, eventId, orderId: 'o-1' });
    expect(replay.operation.steps.map((s) => s.type)).toEqual([
      'tracking.RecordTrackingEvents',
      'tracking.TrackingEventsRecorded',
    ]);
    await brand.command('/api/v1/tracking/events', { ...conversion, eventId: randomUUID(), orderId: 'o-1' });
    const commissions = await brand.until(
      `/api/v1/commissions?campaignId=${id}`,
      (b: { items: Array<{ status: string; reason?: string; amount: { amount: string } | null }> }) =>
        b.items.length === 2 && b.items.every((c) => c.status !== 'pending'),
    );
    expect(
      commissions.items
        .map(
          (c: { status: string; reason?: string; amount: { amount: string } | null }) =>
            `${c.status} ${c.reason ?? c.amount?.amount}`,
        )
        .sort(),
    ).toEqual(['approved 4.00', 'rejected DUPLICATE']);
    const events = await brand.get<Schemas['TrackingEventPage']>(`/api/v1/tracking/events?campaignId=${id}`);
    expect(events.body.items.map((e) => e.duplicate)).toEqual([false, true]);
    expect(events.body.items[0]?.eventId).toBe(first.id);
    const balance = await influencer.until(
      '/api/v1/balance',
      (b: { balances: Array<{ available: { amount: string } }> }) => b.balances[0]?.available.amount === '4.00',
    );
    expect(balance.balances).toHaveLength(1);
  }, 90_000);

  it('stores invalid events flagged with reasons, counts them, and serves activity windows and pages', async () => {
    const brand = await Client.as(base, `brand-${randomUUID()}`, 'brand');
    const id = await openCampaign(brand, []);
    const visitor = `v-${randomUUID()}`;
    // Two days ago (UTC): inside the window in which an event's time is believed.
    const day = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const batch = await brand.post<Schemas['BatchAccepted']>('/api/v1/tracking/events:batch', {
      events: [
        { type: 'impression', campaignId: id, visitorId: visitor, occurredAt: `${day}T01:00:00Z` },
        { type: 'click', campaignId: id, visitorId: visitor, occurredAt: `${day}T03:59:00Z` },
        { type: 'custom', campaignId: id, visitorId: visitor, name: 'signup', occurredAt: `${day}T04:00:00Z` },
        { type: 'refund', campaignId: id, visitorId: visitor, orderId: 'never-sold', occurredAt: `${day}T05:00:00Z` },
        { type: 'nonsense', campaignId: id, visitorId: visitor },
      ],
    });
    expect(batch.status).toBe(202);
    expect(batch.body.accepted).toBe(4);
    expect(batch.body.rejected).toEqual([expect.objectContaining({ index: 4 })]);
    await brand.until(`/api/v1/tracking/events?campaignId=${id}`, (b: { items: unknown[] }) => b.items.length === 4);
    const page1 = await brand.until(
      `/api/v1/tracking/events?campaignId=${id}&limit=3`,
      (b: { items: unknown[]; nextCursor: string | null }) => b.items.length === 3 && b.nextCursor !== null,
    );
    const page2 = await brand.until(
      `/api/v1/tracking/events?campaignId=${id}&limit=3&cursor=${page1.nextCursor}`,
      (b: { items: unknown[] }) => b.items.length === 1,
    );
    expect(page2.items).toEqual([
      expect.objectContaining({ type: 'refund', valid: false, reasons: ['UNKNOWN_ORDER'] }),
    ]);
    const stats = await brand.until(
      `/api/v1/campaigns/${id}/stats`,
      (s: { invalidEvents: number }) => s.invalidEvents === 1,
    );
    expect(stats).toMatchObject({ impressions: 1, clicks: 1, invalidEvents: 1, clickThroughRate: 1 });
    const activity = await brand.get<Schemas['Activity']>(`/api/v1/tracking/activity?visitorId=${visitor}`);
    expect(activity.body.windows).toEqual([
      {
        windowStart: `${day}T00:00:00.000Z`,
        windowEnd: `${day}T04:00:00.000Z`,
        events: 2,
        byType: { click: 1, impression: 1 },
      },
      {
        windowStart: `${day}T04:00:00.000Z`,
        windowEnd: `${day}T08:00:00.000Z`,
        events: 2,
        byType: { custom: 1, refund: 1 },
      },
    ]);
  }, 90_000);

  it('redirects a signed link with a click id and refuses a tampered one', async () => {
    const brand = await Client.as(base, `brand-${randomUUID()}`, 'brand');
    const influencer = await Client.as(base, `inf-${randomUUID()}`, 'influencer');
    const id = await openCampaign(brand, [influencer], { landingUrl: 'https://shop.example/land?utm=x' });
    const link = await influencer.post<Schemas['TrackingLink']>(`/api/v1/campaigns/${id}/links`);
    expect(link.status).toBe(201);
    const anonymous = new Client(base);
    // a person's browser: node's own user agent is a bot's, which is redirected without a click
    const hit = await anonymous.request('GET', link.body.url, undefined, {
      'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/140.0',
    });
    expect(hit.status).toBe(302);
    const target = new URL(defined(hit.headers.get('location'), 'the redirect'));
    expect(`${target.origin}${target.pathname}`).toBe('https://shop.example/land');
    expect(target.searchParams.get('utm')).toBe('x');
    expect(target.searchParams.get('click_id')).toMatch(/^[0-9a-f-]{36}$/);
    const tampered = link.body.url.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await anonymous.get(tampered)).status).toBe(404);
    await brand.until(
      `/api/v1/tracking/events?campaignId=${id}&type=click`,
      (b: { items: Array<{ clickId: string }> }) => b.items[0]?.clickId === target.searchParams.get('click_id'),
    );
  }, 60_000);
});

describe('campaign lifecycle through the API', () => {
  it('pauses, resumes, invites, takes evidence, completes, and refuses to resume a completed campaign', async () => {
    const invitedOnly = (infId: string) => ({ visibility: 'invite_only', influencerIds: [infId] });
    const { brand, infId, influencer, id } = await acceptedCampaign(invitedOnly);
    const newcomerId = `inf-new-${randomUUID()}`;
    expect((await brand.command(`/api/v1/campaigns/${id}/pause`)).operation.status).toBe('completed');
    expect((await brand.get<Schemas['Campaign']>(`/api/v1/campaigns/${id}`)).body.status).toBe('paused');
    expect((await brand.command(`/api/v1/campaigns/${id}/resume`)).operation.status).toBe('completed');
    expect(
      (await brand.command(`/api/v1/campaigns/${id}/invitations`, { influencerIds: [newcomerId] })).operation.status,
    ).toBe('completed');
    expect(
      (
        await influencer.command(`/api/v1/campaigns/${id}/evidence`, {
          type: 'story',
          url: 'https://social.example/s/1',
        })
      ).operation.status,
    ).toBe('completed');
    expect((await brand.command(`/api/v1/campaigns/${id}/complete`)).operation.status).toBe('completed');
    const resumed = await brand.command(`/api/v1/campaigns/${id}/resume`);
    expect(resumed.operation).toMatchObject({ status: 'failed', reason: 'INVALID_TRANSITION: completed → active' });
    const view = (await brand.get<Schemas['Campaign']>(`/api/v1/campaigns/${id}`)).body;
    expect(view.status).toBe('completed');
    expect(view.influencers).toEqual(
      expect.arrayContaining([
        { influencerId: infId, status: 'accepted' },
        { influencerId: newcomerId, status: 'invited' },
      ]),
    );
    // The invitee now sees the invite-only campaign (walking the list page by page); a stranger does not.
    const newcomer = await Client.as(base, newcomerId, 'influencer');
    expect((await newcomer.get(`/api/v1/campaigns/${id}`)).status).toBe(200);
    expect(
      (await (await Client.as(base, `inf-${randomUUID()}`, 'influencer')).get(`/api/v1/campaigns/${id}`)).status,
    ).toBe(404);
    const seen: string[] = [];
    for (let cursor: string | null = ''; cursor !== null;) {
      const pageReply: { status: number; body: { items: Array<{ id: string }>; nextCursor: string | null } } =
        await newcomer.get(`/api/v1/campaigns?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      expect(pageReply.status).toBe(200);
      seen.push(...pageReply.body.items.map((c) => c.id));
      cursor = pageReply.body.nextCursor;
    }
    expect(seen).toContain(id);
    expect(new Set(seen).size).toBe(seen.length);
  }, 90_000);

  it('serves the OpenAPI document, the docs page and the ops routes without a token', async () => {
    const anonymous = new Client(base);
    const doc = await anonymous.get<{ openapi: string; paths: Record<string, unknown> }>('/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/campaigns', '/api/v1/operations/{correlationId}', '/c/{token}']),
    );
    // The document served is the one committed beside the typed client (pnpm openapi:check keeps it generated).
    expect(doc.body).toEqual(JSON.parse(readFileSync('packages/api-client/openapi.json', 'utf8')));
    const docs = await anonymous.get('/docs');
    expect(docs.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(String(docs.body)).toContain('<redoc spec-url="/openapi.json">');
    expect((await anonymous.get('/docs/redoc.standalone.js')).headers.get('content-type')).toContain('javascript');
    expect((await anonymous.get('/healthz')).status).toBe(200);
    expect((await anonymous.get('/readyz')).body).toEqual({ ready: true, checks: { database: true, pulsar: true } });
    // Metrics are for the operator: on the ops port only, never on the public one.
    expect((await anonymous.get('/metrics')).status).toBe(404);
    const metrics = await (await fetch('http://127.0.0.1:19100/metrics')).text();
    expect(metrics).toContain('beacon_messages_consumed_total');
    // The dashboard's ingest rate: the demo's events, counted as the broker took them.
    expect(metrics).toMatch(/^beacon_tracking_events_accepted_total(\{[^}]*\})? [1-9]/m);
  });
});

describe('an influencer’s payouts', () => {
  it('lists and shows an influencer its own payouts; admin sees all; others get 404', async () => {
    const admin = await Client.as(base, 'admin-e2e', 'admin');
    const influencer = await Client.as(base, `inf-${randomUUID()}`, 'influencer');
    const other = await Client.as(base, `inf-${randomUUID()}`, 'influencer');
    const below = await influencer.command('/api/v1/payouts', {
      amount: USD('0.50'),
      method: 'paypal',
      destination: 'me@example.com',
    });
    expect(below.operation).toMatchObject({ status: 'failed', reason: 'BELOW_MINIMUM' });
    const mine = await influencer.until('/api/v1/payouts', (b: { items: unknown[] }) => b.items.length === 1);
    expect(mine.items[0]).toMatchObject({
      id: below.id,
      status: 'rejected',
      reason: 'BELOW_MINIMUM',
      amount: USD('0.50'),
    });
    expect((await influencer.get(`/api/v1/payouts/${below.id}`)).status).toBe(200);
    expect((await other.get(`/api/v1/payouts/${below.id}`)).status).toBe(404);
    expect((await admin.get(`/api/v1/payouts/${below.id}`)).status).toBe(200);
    expect((await admin.get(`/api/v1/operations/${below.operation.correlationId}`)).status).toBe(200);
  }, 60_000);
});

describe('the BFF bundle outside development', () => {
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [join(built, 'bff.mjs')], {
      env: { PATH: process.env.PATH ?? '', ...builtEnv(built), ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('exits non-zero with a one-line reason when it has no secret, or only a known or short one', () => {
    const refused: Array<Record<string, string>> = [
      {},
      { JWT_SECRET: 'dev-secret-change-me' },
      { JWT_SECRET: 'short', LINK_SECRET: 'short' },
    ];
    for (const env of refused) {
      const result = run(env);
      expect(result.status).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^bff: refusing to start: JWT_SECRET /);
    }
    const noLinkSecret = run({ JWT_SECRET: 'a-production-secret-of-at-least-32-bytes' });
    expect(noLinkSecret.status).toBe(1);
    expect(noLinkSecret.stderr.trim()).toBe(
      'bff: refusing to start: LINK_SECRET is required outside development (BEACON_ENV=development)',
    );
  });
});
