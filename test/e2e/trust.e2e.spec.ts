/**
 * Trust, end to end on the real fleet: tenants walled off, one effect per request, nothing lost or
 * pending forever after a 202, and bad input refused with a 4xx. Driven through the BFF's HTTP API;
 * the dead-letter case also publishes a poison message to the real broker.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import pg from 'pg';
import { createBus, newFlowEnvelope, pulsarTopic, toProperties, type MessageBus } from '@beacon/messaging';
import { Client } from '../../scripts/lib/client.js';
import { useFleet } from './fleet-under-test.js';
import { defined, trackingShardOf } from '@beacon/domain';
import type { Schemas } from '@beacon/api-client';

const USD = (amount: string) => ({ amount, currency: 'USD' });

const fleet = useFleet({ bffPort: 18010, opsPortBase: 19110 });
let base: string;
beforeAll(() => {
  base = fleet.baseUrl;
});

type Item = Record<string, unknown>;
/** The items of a list answer (a test reads them field by field, whatever the list). */
const page = (body: unknown) => (body as { items: Item[] }).items;

/** A brand with an active campaign and accepted influencers, ready to earn. */
async function brandWithCampaign(
  rules: unknown[] = [{ event: 'conversion', type: 'fixed', amount: USD('10.00') }],
  budget = USD('1000.00'),
  id?: string,
) {
  const brandId = `brand-${randomUUID()}`;
  const brand = await Client.as(base, brandId, 'brand');
  const influencerId = `inf-${randomUUID()}`;
  const influencer = await Client.as(base, influencerId, 'influencer');
  const created = await brand.command('/api/v1/campaigns', {
    ...(id ? { id } : {}),
    name: 'Trust',
    landingUrl: 'https://shop.example/t',
    budget,
    commissionRules: rules,
  });
  expect(created.operation).toMatchObject({ status: 'completed' });
  expect(
    (await influencer.command(`/api/v1/campaigns/${created.id}/accept`, { acceptedTerms: true })).operation.status,
  ).toBe('completed');
  return { brandId, brand, influencerId, influencer, campaignId: created.id };
}

const conversion = (campaignId: string, influencerId: string, extra: Item = {}) => ({
  type: 'conversion',
  campaignId,
  influencerId,
  visitorId: `v-${randomUUID()}`,
  value: USD('50.00'),
  orderId: `o-${randomUUID()}`,
  ...extra,
});

describe('tenants are walled off', () => {
  it("a brand, or another brand's ingest key, cannot write to a campaign it does not own; the owner's key and admin can", async () => {
    const a = await brandWithCampaign();
    const intruder = await Client.as(base, `brand-${randomUUID()}`, 'brand');
    const foreignIngest = await Client.ingestFor(base, `brand-${randomUUID()}`);
    const ownIngest = await Client.ingestFor(base, a.brandId);
    const brandless = await Client.as(base, `ingest-${randomUUID()}`, 'ingest');
    const admin = await Client.as(base, `admin-${randomUUID()}`, 'admin');
    const event = conversion(a.campaignId, a.influencerId);

    expect((await intruder.post('/api/v1/tracking/events', event)).status).toBe(404);
    expect((await foreignIngest.post('/api/v1/tracking/events', event)).status).toBe(404);
    expect((await brandless.post('/api/v1/tracking/events', event)).status).toBe(403);
    const batch = await intruder.post('/api/v1/tracking/events:batch', { events: [event] });
    expect(batch.body).toMatchObject({ accepted: 0, rejected: [{ index: 0, errors: [{ path: 'campaignId' }] }] });

    expect((await ownIngest.command('/api/v1/tracking/events', event)).operation.status).toBe('completed');
    expect(
      (await admin.command('/api/v1/tracking/events', conversion(a.campaignId, a.influencerId))).operation.status,
    ).toBe('completed');
    const stats = await a.brand.until(
      `/api/v1/campaigns/${a.campaignId}/stats`,
      (s: { commissions: Item }) => s.commissions.amount === '20.00',
    );
    expect(stats).toMatchObject({ conversions: 2, invalidEvents: 0, commissions: USD('20.00') });
  }, 120_000);

  it("an event for a campaign the BFF does not know yet is kept for its sender only, counted nowhere, owner's id kept free", async () => {
    const campaignId = randomUUID();
    const eventId = `shared-${randomUUID()}`;
    const intruderId = `brand-${randomUUID()}`;
    const intruder = await Client.as(base, intruderId, 'brand');
    const early = await intruder.command('/api/v1/tracking/events', {
      ...conversion(campaignId, 'inf-of-intruder'),
      eventId,
    });
    expect(early.operation.status).toBe('completed');
    const seenByIntruder = page(
      await intruder.until(
        `/api/v1/tracking/events?campaignId=${campaignId}`,
        (b: { items: Item[] }) => b.items.length === 1,
      ),
    );
    expect(seenByIntruder[0]).toMatchObject({ valid: false, reasons: ['UNKNOWN_CAMPAIGN'] });

    // The real owner creates the campaign under that id afterwards and sends its own event with the same id.
    const owner = await brandWithCampaign(undefined, undefined, campaignId);
    const own = await owner.brand.command('/api/v1/tracking/events', {
      ...conversion(campaignId, owner.influencerId),
      eventId,
    });
    expect(own.operation.steps.map((s) => s.type).slice(0, 2)).toEqual([
      'tracking.RecordTrackingEvents',
      'tracking.TrackingEventsRecorded',
    ]);
    const ownerEvents = page(
      await owner.brand.until(
        `/api/v1/tracking/events?campaignId=${campaignId}`,
        (b: { items: Item[] }) => b.items.length === 1,
      ),
    );
    expect(ownerEvents[0]).toMatchObject({ eventId, valid: true, influencerId: owner.influencerId });
    const stats = await owner.brand.until(
      `/api/v1/campaigns/${campaignId}/stats`,
      (s: { conversions: number }) => s.conversions === 1,
    );
    expect(stats).toMatchObject({ conversions: 1, invalidEvents: 0 });
    expect(page((await intruder.get(`/api/v1/tracking/events?campaignId=${campaignId}`)).body)).toHaveLength(1);
  }, 120_000);

  it("a brand sees only its own events in a visitor's activity windows", async () => {
    const a = await brandWithCampaign();
    const b = await brandWithCampaign();
    const visitor = `v-${randomUUID()}`;
    await a.brand.command('/api/v1/tracking/events', {
      type: 'impression',
      campaignId: a.campaignId,
      visitorId: visitor,
    });
    await b.brand.command('/api/v1/tracking/events', { type: 'click', campaignId: b.campaignId, visitorId: visitor });
    const seenByA = await a.brand.until(
      `/api/v1/tracking/activity?visitorId=${visitor}`,
      (w: { windows: Item[] }) => w.windows.length === 1,
    );
    expect(seenByA.windows[0]).toMatchObject({ events: 1, byType: { impression: 1 } });
    const seenByB = await b.brand.until(
      `/api/v1/tracking/activity?visitorId=${visitor}`,
      (w: { windows: Item[] }) => w.windows.length === 1,
    );
    expect(seenByB.windows[0]).toMatchObject({ events: 1, byType: { click: 1 } });
  }, 120_000);

  it("an influencer named in another brand's event does not see that brand's rejection in its commissions", async () => {
    const victim = await brandWithCampaign();
    await victim.brand.command('/api/v1/tracking/events', conversion(victim.campaignId, victim.influencerId));
    const own = await victim.influencer.until(
      '/api/v1/commissions',
      (b: { items: Item[] }) => b.items.length === 1 && b.items[0]?.status === 'approved',
    );
    const other = await brandWithCampaign();
    await other.brand.command('/api/v1/tracking/events', conversion(other.campaignId, victim.influencerId));
    await other.brand.until(`/api/v1/commissions?campaignId=${other.campaignId}`, (b: { items: Item[] }) =>
      b.items.some((c) => c.reason === 'NOT_PARTICIPATING'),
    );
    expect(page((await victim.influencer.get('/api/v1/commissions')).body)).toEqual(page(own));
  }, 120_000);

  it("another caller's correlation id is replaced, so nobody reads or shadows someone else's operation", async () => {
    const a = await brandWithCampaign();
    const b = await brandWithCampaign();
    const correlationId = `flow-${randomUUID()}`;
    const first = await a.brand.post(
      `/api/v1/campaigns/${a.campaignId}/pause`,
      {},
      { 'X-Correlation-ID': correlationId },
    );
    expect(first.headers.get('x-correlation-id')).toBe(correlationId);
    const shadow = await b.brand.post(
      `/api/v1/campaigns/${b.campaignId}/pause`,
      {},
      { 'X-Correlation-ID': correlationId },
    );
    expect(shadow.status).toBe(202);
    expect(shadow.headers.get('x-correlation-id')).not.toBe(correlationId);
    expect((shadow.body as Schemas['Accepted']).correlationId).toBe(shadow.headers.get('x-correlation-id'));
    expect((await b.brand.get(`/api/v1/operations/${correlationId}`)).status).toBe(404);
    const mine = await a.brand.settle(correlationId);
    expect(mine.steps[0]).toMatchObject({ type: 'campaign.ChangeCampaignStatus' });
    expect(mine.steps.map((s) => s.type)).toEqual(['campaign.ChangeCampaignStatus', 'campaign.CampaignStatusChanged']);
  }, 120_000);

  it('identity is (role, sub): an influencer sharing a brand\'s sub, or a sub "public", reads no one else\'s operation', async () => {
    const a = await brandWithCampaign([{ event: 'click', type: 'fixed', amount: USD('0.25') }]);
    const paused = await a.brand.command(`/api/v1/campaigns/${a.campaignId}/pause`, {});
    const sameSub = await Client.as(base, a.brandId, 'influencer');
    expect((await sameSub.get(`/api/v1/operations/${paused.operation.correlationId}`)).status).toBe(404);
    // the same Idempotency-Key under the same sub but another role is another caller's key
    const key = { 'Idempotency-Key': randomUUID() };
    const brandTry = await a.brand.post(`/api/v1/campaigns/${a.campaignId}/resume`, {}, key);
    const influencerTry = await sameSub.post(`/api/v1/campaigns/${a.campaignId}/resume`, {}, key);
    expect(brandTry.status).toBe(202);
    expect(influencerTry.status).toBe(403);
    await a.brand.settle((brandTry.body as Schemas['Accepted']).correlationId);
    // a public link's click is owned by no caller, whatever its sub
    const link = (await a.influencer.post<Schemas['TrackingLink']>(`/api/v1/campaigns/${a.campaignId}/links`)).body.url;
    const click = await new Client(base).request('GET', link, undefined, { 'User-Agent': 'Mozilla/5.0 Firefox/141.0' });
    const clickFlow = defined(click.headers.get('x-correlation-id'), "the click's correlation id");
    for (const role of ['brand', 'influencer', 'ingest'] as const) {
      const publicSub = await Client.as(base, 'public', role);
      expect([role, (await publicSub.get(`/api/v1/operations/${clickFlow}`)).status]).toEqual([role, 404]);
    }
  }, 120_000);
});

describe("codes, customers and leads stay their brand's", () => {
  it("another brand's or influencer's codes, customers and leads are invisible and unusable", async () => {
    const a = await brandWithCampaign([
      { event: 'conversion', type: 'fixed', amount: USD('10.00') },
      { event: 'lead', type: 'fixed', amount: USD('2.00') },
    ]);
    const b = await brandWithCampaign();
    const admin = await Client.as(base, `admin-${randomUUID()}`, 'admin');
    const stranger = await Client.as(base, `inf-${randomUUID()}`, 'influencer');
    const code = `TRUST${randomUUID().slice(0, 6)}`;
    const coupons = `/api/v1/campaigns/${a.campaignId}/coupons`;

    // Only the owner (or admin) makes and deactivates codes: another brand gets 404, an influencer 403.
    expect((await b.brand.post(coupons, { code, influencerId: b.influencerId })).status).toBe(404);
    expect((await a.influencer.post(coupons, { code, influencerId: a.influencerId })).status).toBe(403);
    // A code is only for an influencer who accepted the campaign: not for another brand's member.
    const notMember = await a.brand.command(coupons, { code, influencerId: b.influencerId });
    expect(notMember.operation).toMatchObject({ status: 'failed', reason: 'NOT_PARTICIPATING' });
    expect((await a.brand.command(coupons, { code, influencerId: a.influencerId })).operation.status).toBe('completed');
    expect((await b.brand.post(`${coupons}/${code}/deactivate`)).status).toBe(404);
    expect((await a.influencer.post(`${coupons}/${code}/deactivate`)).status).toBe(403);

    // Another brand using the code on its own campaign gets no attribution, and its lead is its own.
    const customerId = `cus-${randomUUID()}`;
    const lead = (campaignId: string, extra: Item = {}) => ({
      type: 'lead',
      campaignId,
      visitorId: `v-${randomUUID()}`,
      customerId,
      ...extra,
    });
    expect((await b.brand.post('/api/v1/tracking/events', lead(a.campaignId, { couponCode: code }))).status).toBe(404);
    const foreign = await b.brand.command('/api/v1/tracking/events', lead(b.campaignId, { couponCode: code }));
    expect(foreign.operation.status).toBe('completed');
    const own = await a.brand.command('/api/v1/tracking/events', lead(a.campaignId, { couponCode: code }));
    expect(own.operation.status).toBe('completed');

    // Lists: each sees its own codes and customers; a filter on another's campaign is an empty page.
    const customersOf = (c: Client, query = '') => c.get(`/api/v1/customers${query}`).then((r) => page(r.body));
    const codesOf = (c: Client, query = '') => c.get(`/api/v1/coupons${query}`).then((r) => page(r.body));
    await a.brand.until(`/api/v1/customers?campaignId=${a.campaignId}`, (body) => page(body).length === 1);
    expect(await codesOf(b.brand, `?campaignId=${a.campaignId}`)).toEqual([]);
    expect(await codesOf(b.brand)).toEqual([]);
    expect(await codesOf(stranger)).toEqual([]);
    expect((await codesOf(a.influencer)).map((c) => c.code)).toEqual([code]);
    expect((await codesOf(admin, `?campaignId=${a.campaignId}`)).map((c) => c.code)).toEqual([code]);
    expect(await customersOf(b.brand, `?campaignId=${a.campaignId}`)).toEqual([]);
    expect(await customersOf(b.brand, `?influencerId=${a.influencerId}`)).toEqual([]);
    // The same customer id at b is not a's customer: b's lead named a code b does not have, so it
    // attributed to nobody and bound nothing (an UNKNOWN_COUPON note says why).
    expect(await customersOf(a.brand)).toEqual([
      expect.objectContaining({ customerId, influencerId: a.influencerId, attribution: 'coupon' }),
    ]);
    expect(await customersOf(b.brand)).toEqual([]);
    const bLead = page((await b.brand.get(`/api/v1/tracking/events?campaignId=${b.campaignId}&type=lead`)).body);
    expect(bLead).toEqual([expect.objectContaining({ eventId: foreign.id, notes: ['UNKNOWN_COUPON'] })]);
    // An influencer sees counts and earnings, never a customer id, and only its own.
    const summaries = await customersOf(a.influencer);
    expect(summaries).toEqual([
      expect.objectContaining({ campaignId: a.campaignId, influencerId: a.influencerId, customers: 1 }),
    ]);
    expect(JSON.stringify(summaries)).not.toContain(customerId);
    expect(await customersOf(stranger)).toEqual([]);
    expect(await customersOf(a.influencer, `?campaignId=${b.campaignId}`)).toEqual([]);
    // The lead shows in its own brand's events only.
    const leadsOf = (c: Client, campaignId: string) =>
      c.get(`/api/v1/tracking/events?campaignId=${campaignId}&type=lead`).then((r) => r.body);
    expect(page(await leadsOf(a.brand, a.campaignId)).map((e) => e.eventId)).toEqual([own.id]);
    const peek = await leadsOf(b.brand, a.campaignId);
    expect(page(peek ?? { items: [] })).toEqual([]);
    // A brand naming someone else's influencer in its own lead binds a customer on its own books only:
    // the influencer did not accept that campaign, so it is not the influencer's customer to see.
    const named = `${customerId}-named`;
    const naming = await b.brand.command(
      '/api/v1/tracking/events',
      lead(b.campaignId, { customerId: named, influencerId: a.influencerId }),
    );
    expect(naming.operation.status).toBe('completed');
    await b.brand.until('/api/v1/customers', (body) => page(body).some((c) => c.customerId === named));
    expect(await customersOf(a.influencer)).toEqual(summaries);
  }, 150_000);

  it('a coupon command sent twice under one Idempotency-Key makes one code and one operation', async () => {
    const a = await brandWithCampaign();
    const code = `TWICE${randomUUID().slice(0, 6)}`;
    const key = randomUUID();
    const path = `/api/v1/campaigns/${a.campaignId}/coupons`;
    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        a.brand.post<{ correlationId: string }>(
          path,
          { code, influencerId: a.influencerId },
          { 'Idempotency-Key': key },
        ),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(202));
    expect(new Set(replies.map((r) => r.body.correlationId)).size).toBe(1);
    const op = await a.brand.settle(defined(replies[0], 'a reply').body.correlationId);
    expect(op.status).toBe('completed');
    const codes = page((await a.brand.get(`/api/v1/coupons?campaignId=${a.campaignId}`)).body);
    expect(codes.map((c) => [c.code, c.status])).toEqual([[code, 'active']]);
  }, 90_000);
});

describe('tracking links', () => {
  const browser = (n: number) => ({ 'User-Agent': `Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/${n}.0` });
  const linkOf = async (a: Awaited<ReturnType<typeof brandWithCampaign>>) =>
    (await a.influencer.post<Schemas['TrackingLink']>(`/api/v1/campaigns/${a.campaignId}/links`)).body.url;
  const clicksOf = (a: Awaited<ReturnType<typeof brandWithCampaign>>, n: number) =>
    a.brand
      .until(
        `/api/v1/tracking/events?campaignId=${a.campaignId}&type=click`,
        (b: { items: Item[] }) => b.items.length >= n,
      )
      .then(page);
  const outcomes = async (a: Awaited<ReturnType<typeof brandWithCampaign>>, n: number) =>
    (
      await a.brand.until(
        `/api/v1/commissions?campaignId=${a.campaignId}`,
        (b: { items: Array<{ status: string }> }) =>
          b.items.length === n && b.items.every((c) => c.status !== 'pending'),
      )
    ).items
      .map((c: { status: string; reason?: string }) => c.reason ?? c.status)
      .sort();

  it('repeated clicks by one visitor on one link earn one click commission, and a forged visitor cookie is not adopted', async () => {
    const a = await brandWithCampaign([{ event: 'click', type: 'fixed', amount: USD('0.25') }]);
    const link = await linkOf(a);
    const visitor = new Client(base);
    const first = await visitor.request('GET', link, undefined, browser(1));
    const cookie = defined(first.headers.get('set-cookie')?.split(';')[0], 'the visitor cookie');
    expect(first.status).toBe(302);
    expect(first.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    expect((await visitor.request('GET', link, undefined, { ...browser(1), Cookie: cookie })).status).toBe(302);
    // another browser whose cookie is forged: not adopted, counted as that browser's own visit
    const forged = await visitor.request('GET', link, undefined, { ...browser(2), Cookie: 'beacon_vid=someone-else' });
    expect(forged.headers.get('set-cookie')).not.toContain('someone-else');
    const clicks = await clicksOf(a, 3);
    expect(clicks.map((c) => c.duplicate)).toEqual([false, true, false]);
    expect(clicks[1]?.visitorId).toBe(clicks[0]?.visitorId);
    expect(clicks.map((c) => c.visitorId)).not.toContain('someone-else');
    expect(await outcomes(a, 3)).toEqual(['DUPLICATE', 'approved', 'approved']);
  }, 120_000);

  it('a link replayed without a cookie earns once: the repeats of one (link, IP, user agent) are stored and flagged', async () => {
    const a = await brandWithCampaign([{ event: 'click', type: 'fixed', amount: USD('0.25') }]);
    const link = await linkOf(a);
    for (let i = 0; i < 5; i++)
      expect((await new Client(base).request('GET', link, undefined, browser(3))).status).toBe(302);
    const clicks = await clicksOf(a, 5);
    expect(clicks.map((c) => c.duplicate)).toEqual([false, true, true, true, true]);
    expect(await outcomes(a, 5)).toEqual(['DUPLICATE', 'DUPLICATE', 'DUPLICATE', 'DUPLICATE', 'approved']);
  }, 120_000);

  it('HEAD requests and link previews or bots redirect without recording a click', async () => {
    const a = await brandWithCampaign([{ event: 'click', type: 'fixed', amount: USD('0.25') }]);
    const link = await linkOf(a);
    const anonymous = new Client(base);
    for (const [method, headers] of [
      ['HEAD', browser(4)],
      ['GET', { 'User-Agent': 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)' }],
      ['GET', { 'User-Agent': 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' }],
      ['GET', { 'User-Agent': 'curl/8.5.0' }],
    ] as const) {
      const reply = await anonymous.request(method, link, undefined, headers);
      expect([method, reply.status, reply.headers.get('location')]).toEqual([method, 302, 'https://shop.example/t']);
    }
    // a person's click after them is the campaign's first and only click, and the only commission
    await anonymous.request('GET', link, undefined, browser(4));
    expect((await clicksOf(a, 1)).map((c) => c.duplicate)).toEqual([false]);
    expect(await outcomes(a, 1)).toEqual(['approved']);
  }, 120_000);

  it('a link of a paused or completed campaign answers 410 and records nothing', async () => {
    const a = await brandWithCampaign([{ event: 'click', type: 'fixed', amount: USD('0.25') }]);
    const link = await linkOf(a);
    const anonymous = new Client(base);
    await a.brand.command(`/api/v1/campaigns/${a.campaignId}/pause`, {});
    await a.brand.until(`/api/v1/campaigns/${a.campaignId}`, (c: { status: string }) => c.status === 'paused');
    const paused = await anonymous.request('GET', link, undefined, browser(5));
    expect(paused.status).toBe(410);
    expect(paused.headers.get('location')).toBeNull();
    expect(String(paused.body)).toContain('This offer has ended');
    await a.brand.command(`/api/v1/campaigns/${a.campaignId}/complete`, {});
    await a.brand.until(`/api/v1/campaigns/${a.campaignId}`, (c: { status: string }) => c.status === 'completed');
    expect((await anonymous.request('GET', link, undefined, browser(5))).status).toBe(410);
    // an event sent after them is projected: a click recorded before it would be too
    await a.brand.command('/api/v1/tracking/events', {
      type: 'impression',
      campaignId: a.campaignId,
      visitorId: 'v-y',
    });
    const events = await a.brand.until(
      `/api/v1/tracking/events?campaignId=${a.campaignId}`,
      (b: { items: Item[] }) => b.items.length >= 1,
    );
    expect(page(events).map((e) => e.type)).toEqual(['impression']);
  }, 120_000);
});

describe('one tenant cannot stall the others', () => {
  it("two conversions at the largest value on one campaign neither overflow its revenue nor hold up another brand's event", async () => {
    // Two campaigns on one tracking shard, so their events travel in one batch message.
    const idOnShard = (shard: string) => {
      for (;;) {
        const id = randomUUID();
        if (trackingShardOf(id) === shard) return id;
      }
    };
    const first = randomUUID();
    const rules = [{ event: 'conversion', type: 'fixed', amount: USD('1.00') }];
    const a = await brandWithCampaign(rules, USD('1000.00'), first);
    const b = await brandWithCampaign(rules, USD('1000.00'), idOnShard(trackingShardOf(first)));
    const admin = await Client.as(base, 'admin-poison', 'admin');
    const max = USD('92233720368547758.07'); // 2^63 - 1 cents: the largest value a conversion may carry
    const sent = await admin.post<{ accepted: number }>('/api/v1/tracking/events:batch', {
      events: [
        conversion(a.campaignId, a.influencerId, { value: max, orderId: `o-${randomUUID()}` }),
        conversion(a.campaignId, a.influencerId, { value: max, orderId: `o-${randomUUID()}` }),
        { type: 'impression', campaignId: b.campaignId, influencerId: b.influencerId, visitorId: 'v-b' },
      ],
    });
    expect(sent.body.accepted).toBe(3);
    const statsOf = (who: typeof a, done: (s: Schemas['Stats']) => boolean) =>
      who.brand.until(`/api/v1/campaigns/${who.campaignId}/stats`, done, 30_000);
    expect((await statsOf(b, (s) => s.impressions === 1)).impressions).toBe(1);
    const ofA = await statsOf(a, (s) => s.conversions === 2);
    expect(ofA.revenue).toEqual(USD('184467440737095516.14'));
    expect(ofA.byDay[0]?.revenue).toEqual(USD('184467440737095516.14'));
  }, 120_000);

  it('refuses a conversion value above the largest a conversion may carry', async () => {
    const a = await brandWithCampaign();
    const over = await a.brand.post(
      '/api/v1/tracking/events',
      conversion(a.campaignId, a.influencerId, { value: USD('92233720368547758.08') }),
    );
    expect(over.status).toBe(400);
  });
});

describe('reads that cost what they return', () => {
  it('pages the influencers of a campaign with many (made-up) ones, and charts its windows from the rollup', async () => {
    const a = await brandWithCampaign();
    const events = Array.from({ length: 120 }, (_, i) => ({
      type: 'impression',
      campaignId: a.campaignId,
      influencerId: `ghost-${String(i).padStart(3, '0')}`,
      visitorId: `v-${i}`,
    }));
    expect((await a.brand.post('/api/v1/tracking/events:batch', { events })).status).toBe(202);
    const path = `/api/v1/campaigns/${a.campaignId}/stats`;
    await a.brand.until(path, (s: Schemas['Stats']) => s.impressions === 120);
    const seen: string[] = [];
    let cursor: string | null = null;
    const sizes: number[] = [];
    do {
      const query: string = `?influencersLimit=50${cursor ? `&influencersCursor=${cursor}` : ''}`;
      const stats: Schemas['Stats'] = (await a.brand.get<Schemas['Stats']>(`${path}${query}`)).body;
      sizes.push(stats.byInfluencer.length);
      seen.push(...stats.byInfluencer.map((i) => defined(i.influencerId, 'an influencer id')));
      expect(stats.byInfluencer.every((i) => i.impressions === 1)).toBe(true);
      cursor = stats.byInfluencerNextCursor;
    } while (cursor);
    expect(sizes).toEqual([50, 50, 20]);
    expect(seen).toEqual(events.map((e) => e.influencerId));
    const stats = (await a.brand.get<Schemas['Stats']>(path)).body;
    expect(stats.byInfluencer).toHaveLength(50);
    expect(stats.byDay.reduce((n, d) => n + d.impressions, 0)).toBe(120);
    expect(stats.byWindow.reduce((n, w) => n + w.impressions, 0)).toBe(120);
    expect((await a.brand.get(`${path}?influencersCursor=bm9wZQ`)).status).toBe(400);
  }, 120_000);
});

describe('what a campaign shows, and who may earn from it', () => {
  it('an influencer reading an open campaign sees its terms and its own membership, not the others or the budget spent', async () => {
    const a = await brandWithCampaign();
    const other = await Client.as(base, `inf-${randomUUID()}`, 'influencer');
    const owner = (await a.brand.get<Schemas['Campaign']>(`/api/v1/campaigns/${a.campaignId}`)).body;
    expect(owner.spent).toEqual(USD('0.00'));
    expect(owner.influencers).toEqual([{ influencerId: a.influencerId, status: 'accepted' }]);
    const seenByOther = (await other.get<Schemas['Campaign']>(`/api/v1/campaigns/${a.campaignId}`)).body;
    expect(seenByOther).toMatchObject({ id: a.campaignId, budget: USD('1000.00'), influencers: [] });
    expect(seenByOther).not.toHaveProperty('spent');
    expect(seenByOther).not.toHaveProperty('remaining');
    const seenByMember = (await a.influencer.get<Schemas['Campaign']>(`/api/v1/campaigns/${a.campaignId}`)).body;
    expect(seenByMember.influencers).toEqual([{ influencerId: a.influencerId, status: 'accepted' }]);
    // What each may do comes from the API: the owner runs the campaign, a stranger may join, a member make links.
    expect(owner.allowedActions).toEqual(['pause', 'complete', 'invite', 'createCoupon', 'viewStats']);
    expect(seenByOther.allowedActions).toEqual(['accept']);
    expect(seenByMember.allowedActions).toEqual(['createLink']);
    // every open campaign is listed: page until this one (a shared database holds many)
    let mine: Schemas['Campaign'] | undefined;
    for (let cursor: string | null = ''; cursor !== null && !mine;) {
      const body: { items: Schemas['Campaign'][]; nextCursor: string | null } = (
        await other.get<{ items: Schemas['Campaign'][]; nextCursor: string | null }>(
          `/api/v1/campaigns?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        )
      ).body;
      mine = body.items.find((c) => c.id === a.campaignId);
      cursor = body.nextCursor;
    }
    expect(mine).toBeDefined();
    expect(mine).not.toHaveProperty('spent');
    expect(mine?.influencers).toEqual([]);
    expect(mine?.allowedActions).toEqual(['accept']);
    // an owner's list carries no member lists; its members are paged
    const ownList = page((await a.brand.get<{ items: Schemas['Campaign'][] }>('/api/v1/campaigns')).body);
    expect(ownList.find((c) => c.id === a.campaignId)).not.toHaveProperty('influencers');
    expect(page((await other.get(`/api/v1/campaigns/${a.campaignId}/influencers`)).body)).toEqual([]);
  }, 120_000);

  it('pages the members of a campaign by influencer id; one campaign shows its owner the first 100', async () => {
    const a = await brandWithCampaign();
    const invited = Array.from({ length: 130 }, (_, i) => `inf-m-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < invited.length; i += 100)
      expect(
        (
          await a.brand.command(`/api/v1/campaigns/${a.campaignId}/invitations`, {
            influencerIds: invited.slice(i, i + 100),
          })
        ).operation.status,
      ).toBe('completed');
    const all = [a.influencerId, ...invited].sort();
    const one = await a.brand.until<Schemas['Campaign']>(`/api/v1/campaigns/${a.campaignId}`, (c) =>
      Boolean(c.influencersNextCursor),
    );
    expect(one.influencers?.map((m) => m.influencerId)).toEqual(all.slice(0, 100));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/api/v1/campaigns/${a.campaignId}/influencers?limit=60${cursor ? `&cursor=${cursor}` : ''}`;
      const body = (await a.brand.get<{ items: Array<{ influencerId: string }>; nextCursor: string | null }>(path))
        .body;
      seen.push(...body.items.map((m) => m.influencerId));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
    // an influencer reads only its own membership there
    expect(page((await a.influencer.get(`/api/v1/campaigns/${a.campaignId}/influencers`)).body)).toEqual([
      { influencerId: a.influencerId, status: 'accepted' },
    ]);
  }, 120_000);

  it("a brand cannot accept, and so never earn from, its own campaign, even with an influencer's role", async () => {
    const a = await brandWithCampaign();
    const self = await Client.as(base, a.brandId, 'influencer');
    const accepted = await self.command(`/api/v1/campaigns/${a.campaignId}/accept`, { acceptedTerms: true });
    expect(accepted.operation).toMatchObject({ status: 'failed', reason: 'OWN_CAMPAIGN' });
  }, 120_000);
});

describe('one effect per request', () => {
  it('50 identical payouts sent at once under one Idempotency-Key make one payout', async () => {
    const a = await brandWithCampaign([{ event: 'conversion', type: 'fixed', amount: USD('10.00') }]);
    await a.brand.command('/api/v1/tracking/events', conversion(a.campaignId, a.influencerId));
    await a.influencer.until(
      '/api/v1/balance',
      (b: { balances: Array<{ available: { amount: string } }> }) => b.balances[0]?.available.amount === '10.00',
    );
    const key = { 'Idempotency-Key': randomUUID() };
    const body = { amount: USD('2.00'), method: 'paypal', destination: 'me@example.com' };
    const replies = await Promise.all(
      Array.from({ length: 50 }, () => a.influencer.post<Schemas['Accepted']>('/api/v1/payouts', body, key)),
    );
    expect(replies.every((r) => r.status === 202 || r.status === 409)).toBe(true);
    const ids = new Set(replies.filter((r) => r.status === 202).map((r) => r.body.id));
    expect(ids.size).toBe(1);
    await a.influencer.settle(
      defined(
        replies.find((r) => r.status === 202),
        'an accepted reply',
      ).body.correlationId,
    );
    expect(page((await a.influencer.get('/api/v1/payouts')).body)).toEqual([
      expect.objectContaining({ status: 'completed', amount: USD('2.00') }),
    ]);
    const balance = await a.influencer.until(
      '/api/v1/balance',
      (b: { balances: Array<{ paidOut: { amount: string } }> }) => b.balances[0]?.paidOut.amount === '2.00',
    );
    expect(balance.balances[0]).toMatchObject({ available: USD('8.00') });
  }, 120_000);

  it('50 identical tracking events sent at once under one Idempotency-Key are stored once', async () => {
    const a = await brandWithCampaign([{ event: 'click', type: 'fixed', amount: USD('0.10') }]);
    const key = { 'Idempotency-Key': randomUUID() };
    const visitorId = `v-${randomUUID()}`;
    const replies = await Promise.all(
      Array.from({ length: 50 }, () =>
        a.brand.post<Schemas['Accepted']>(
          '/api/v1/tracking/events',
          { type: 'impression', campaignId: a.campaignId, visitorId },
          key,
        ),
      ),
    );
    expect(replies.every((r) => r.status === 202 || r.status === 409)).toBe(true);
    expect(new Set(replies.filter((r) => r.status === 202).map((r) => r.body.id)).size).toBe(1);
    await a.brand.settle(
      defined(
        replies.find((r) => r.status === 202),
        'an accepted reply',
      ).body.correlationId,
    );
    // A later event on the same key proves everything before it has been projected.
    await a.brand.command('/api/v1/tracking/events', {
      type: 'impression',
      campaignId: a.campaignId,
      visitorId: 'after',
    });
    const events = page(
      await a.brand.until(`/api/v1/tracking/events?campaignId=${a.campaignId}`, (b: { items: Item[] }) =>
        b.items.some((e) => e.visitorId === 'after'),
      ),
    );
    expect(events.filter((e) => e.visitorId === visitorId)).toHaveLength(1);
  }, 120_000);

  it('three refunds of one order net its revenue once', async () => {
    const a = await brandWithCampaign();
    const sale = conversion(a.campaignId, a.influencerId);
    await a.brand.command('/api/v1/tracking/events', sale);
    for (let i = 0; i < 3; i++)
      await a.brand.command('/api/v1/tracking/events', {
        type: 'refund',
        campaignId: a.campaignId,
        visitorId: sale.visitorId,
        orderId: sale.orderId,
      });
    const stats = await a.brand.until(
      `/api/v1/campaigns/${a.campaignId}/stats`,
      (s: { invalidEvents: number }) => s.invalidEvents === 2,
    );
    expect(stats).toMatchObject({ conversions: 1, revenue: USD('0.00') });
    const refunds = page((await a.brand.get(`/api/v1/tracking/events?campaignId=${a.campaignId}&type=refund`)).body);
    expect(refunds.map((r) => r.reasons)).toEqual([[], ['ALREADY_REFUNDED'], ['ALREADY_REFUNDED']]);
  }, 120_000);
});

describe('every 202 settles', () => {
  it('a zero-decimal currency works end to end: a JPY campaign, commission, balance and a completed payout', async () => {
    const JPY = (amount: string) => ({ amount, currency: 'JPY' });
    const a = await brandWithCampaign([{ event: 'conversion', type: 'percent', rate: '10' }], JPY('100000'));
    await a.brand.command('/api/v1/tracking/events', conversion(a.campaignId, a.influencerId, { value: JPY('5000') }));
    await a.influencer.until(
      '/api/v1/balance',
      (b: { balances: Array<{ available: Item }> }) => b.balances[0]?.available.amount === '500',
    );
    const payout = await a.influencer.command('/api/v1/payouts', {
      amount: JPY('300'),
      method: 'bank_transfer',
      destination: 'DE89 3704 0044 0532 0130 00',
    });
    expect(payout.operation).toMatchObject({ status: 'completed' });
    const balance = await a.influencer.until(
      '/api/v1/balance',
      (b: { balances: Array<{ paidOut: Item }> }) => b.balances[0]?.paidOut.amount === '300',
    );
    expect(balance.balances).toEqual([
      { currency: 'JPY', pending: JPY('0'), available: JPY('200'), paidOut: JPY('300') },
    ]);
  }, 120_000);

  it('money stays exact above 2^53 minor units: budget, revenue, commission, balance and payout', async () => {
    // 9e18 cents is above 2^53 (about 9.007e15) and below the bigint limit (about 9.22e18).
    const a = await brandWithCampaign(
      [{ event: 'conversion', type: 'percent', rate: '10' }],
      USD('90000000000000000.00'),
    );
    await a.brand.command(
      '/api/v1/tracking/events',
      conversion(a.campaignId, a.influencerId, { value: USD('50000000000000000.01') }),
    );
    const balance = await a.influencer.until(
      '/api/v1/balance',
      (b: { balances: Array<{ available: Item }> }) => b.balances.length === 1,
    );
    // 10% of 5,000,000,000,000,000,001 cents is ...000.1 cents: half-even rounds it down.
    expect(balance.balances[0]).toMatchObject({ available: USD('5000000000000000.00') });
    const stats = await a.brand.until(
      `/api/v1/campaigns/${a.campaignId}/stats`,
      (s: { commissions: Item }) => s.commissions.amount !== '0.00',
    );
    expect(stats).toMatchObject({ revenue: USD('50000000000000000.01'), commissions: USD('5000000000000000.00') });
    expect((await a.brand.get(`/api/v1/campaigns/${a.campaignId}`)).body).toMatchObject({
      spent: USD('5000000000000000.00'),
      remaining: USD('85000000000000000.00'),
    });
    const payout = await a.influencer.command('/api/v1/payouts', {
      amount: USD('1234567890123456.78'),
      method: 'paypal',
      destination: 'big@example.com',
    });
    expect(payout.operation.status).toBe('completed');
    const after = await a.influencer.until(
      '/api/v1/balance',
      (b: { balances: Array<{ paidOut: Item }> }) => b.balances[0]?.paidOut.amount === '1234567890123456.78',
    );
    expect(after.balances[0]).toMatchObject({ available: USD('3765432109876543.22') });
    expect(
      (
        await a.brand.post('/api/v1/campaigns', {
          name: 'Too big',
          landingUrl: 'https://a.example',
          budget: USD('92233720368547758.08'),
          commissionRules: [{ event: 'conversion', type: 'percent', rate: '1' }],
        })
      ).status,
    ).toBe(400);
  }, 120_000);

  it('properties that are not an object, and a time outside the accepted window, are stored invalid with their reasons', async () => {
    const a = await brandWithCampaign();
    const old = new Date(Date.now() - 2 * 365 * 86_400_000).toISOString();
    const odd = await a.brand.command('/api/v1/tracking/events', {
      type: 'impression',
      campaignId: a.campaignId,
      visitorId: 'v-odd',
      properties: 'just text',
    });
    const late = await a.brand.command('/api/v1/tracking/events', {
      type: 'impression',
      campaignId: a.campaignId,
      visitorId: 'v-old',
      occurredAt: old,
    });
    expect([odd.operation.status, late.operation.status]).toEqual(['completed', 'completed']);
    const events = page(
      await a.brand.until(
        `/api/v1/tracking/events?campaignId=${a.campaignId}&type=impression`,
        (b: { items: Item[] }) => b.items.length === 2,
      ),
    );
    expect(events.map((e) => [e.visitorId, e.reasons])).toEqual([
      ['v-odd', ['MALFORMED_PROPERTIES']],
      ['v-old', ['OCCURRED_AT_OUT_OF_WINDOW']],
    ]);
  }, 120_000);

  it('an operation whose command was dead-lettered fails with the reason instead of staying pending', async () => {
    const admin = await Client.as(base, `admin-${randomUUID()}`, 'admin');
    const envelope = newFlowEnvelope({
      messageType: 'tracking.RecordTrackingEvents',
      schemaVersion: 'no-such-version',
      producer: 'bff',
      correlationId: `poison-${randomUUID()}`,
    });
    // A command the BFF accepted (its operation pending) that tracking can never decode.
    const bff = new pg.Client({
      connectionString: process.env.BFF_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/beacon_bff',
    });
    await bff.connect();
    await bff.query(
      `INSERT INTO operations (correlation_id, started_by, command_type, status)
        VALUES ($1, 'brand-poison', 'tracking.RecordTrackingEvents', 'pending')`,
      [envelope.correlationId],
    );
    await bff.end();
    const bus: MessageBus = await createBus({
      driver: 'websocket',
      serviceUrl: process.env.PULSAR_ADMIN_URL ?? 'http://127.0.0.1:8080',
      producerName: 'trust-e2e',
    });
    try {
      await bus.publish({
        topic: pulsarTopic('tracking/command-batches'),
        key: 'poison',
        payload: Buffer.from('not avro'),
        properties: toProperties(envelope),
      });
      const failed = await admin.until(
        `/api/v1/operations/${envelope.correlationId}`,
        (op: { status: string }) => op.status !== 'pending',
        90_000,
      );
      expect(failed).toMatchObject({
        status: 'failed',
        reason: 'DEAD_LETTERED: tracking could not handle tracking.RecordTrackingEvents',
      });
    } finally {
      await bus.close();
    }
  }, 150_000);
});

describe('bad input is a 4xx, never a 5xx', () => {
  it('refuses NUL, lone surrogates, loose times, deep JSON and out-of-range values at the edge', async () => {
    const a = await brandWithCampaign();
    const base = { type: 'impression', campaignId: a.campaignId, visitorId: 'v-1' };
    const refused = async (body: unknown, path = '/api/v1/tracking/events', as = a.brand) => {
      const reply = await as.request('POST', path, typeof body === 'string' ? body : JSON.stringify(body), {
        'Content-Type': 'application/json',
      });
      expect([body, reply.status, reply.headers.get('content-type')]).toEqual([
        body,
        400,
        expect.stringContaining('application/problem+json'),
      ]);
    };
    await refused({ ...base, visitorId: 'v\u0000' });
    await refused(`{"type":"impression","campaignId":"${a.campaignId}","visitorId":"v","properties":{"k":"\\ud800"}}`);
    for (const occurredAt of ['1', 'Jan 1', '2026-02-30T00:00:00Z', '+275760-09-13T00:00:00Z', '2026-01-01 00:00:00'])
      await refused({ ...base, occurredAt });
    await refused(
      `{"type":"impression","campaignId":"c","visitorId":"v","properties":${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
    );
    const campaign = (name: string, rate: string) => ({
      name,
      landingUrl: 'https://a.example',
      budget: USD('10.00'),
      commissionRules: [{ event: 'conversion', type: 'percent', rate }],
    });
    await refused(campaign('N\u0000', '10'), '/api/v1/campaigns');
    await refused(campaign('Too generous', '150'), '/api/v1/campaigns');
    await refused(
      { type: 'post', url: 'javascript:alert(1)' },
      `/api/v1/campaigns/${a.campaignId}/evidence`,
      a.influencer,
    );
    for (const destination of ['not-an-email', 'DE00 0000 0000 0000 0000 00']) {
      const method = destination.includes('@') || destination === 'not-an-email' ? 'paypal' : 'bank_transfer';
      const reply = await a.influencer.post<Schemas['Problem']>('/api/v1/payouts', {
        amount: USD('5.00'),
        method,
        destination,
      });
      expect(reply.status).toBe(400);
      expect(reply.body.errors).toEqual([expect.objectContaining({ path: 'destination' })]);
    }
    for (const path of [
      `/api/v1/campaigns/%00`,
      `/api/v1/operations/%00`,
      `/api/v1/payouts/a%00b`,
      `/api/v1/tracking/events?visitorId=%00`,
      `/api/v1/commissions?campaignId=%00`,
      `/api/v1/campaigns/x%00/stats?from=%00`,
    ]) {
      const reply = await a.brand.get(path);
      expect([path, reply.status]).toEqual([path, 400]);
    }
    // Invalid UTF-8 in a query is decoded to U+FFFD by the query parser: storable, so answered normally.
    expect((await a.brand.get('/api/v1/tracking/activity?visitorId=%ED%A0%80')).status).toBe(200);
    expect((await a.brand.get('/api/v1/campaigns/%E0%A4%A')).status).toBe(400);
  }, 120_000);

  it('sets security headers: nosniff everywhere, no-store on the API, a content security policy on /docs', async () => {
    const a = await Client.as(base, `brand-${randomUUID()}`, 'brand');
    const api = await a.get('/api/v1/campaigns');
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    expect(api.headers.get('cache-control')).toBe('no-store');
    const docs = await new Client(base).get('/docs');
    expect(docs.headers.get('x-content-type-options')).toBe('nosniff');
    expect(docs.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('refuses a token whose sub is empty or whose iat is in the future', async () => {
    const key = new TextEncoder().encode(process.env.JWT_SECRET ?? 'dev-secret-change-me');
    const sign = (sub: string, iat: number) =>
      new SignJWT({ roles: ['admin'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
        .setIssuer('beacon')
        .setAudience('beacon-bff')
        .setIssuedAt(iat)
        .setExpirationTime(Math.floor(Date.now() / 1000) + 7200)
        .sign(key);
    const now = Math.floor(Date.now() / 1000);
    expect((await new Client(base, await sign('admin-ok', now)).get('/api/v1/campaigns')).status).toBe(200);
    expect((await new Client(base, await sign('', now)).get('/api/v1/campaigns')).status).toBe(401);
    expect((await new Client(base, await sign('admin-early', now + 3600)).get('/api/v1/campaigns')).status).toBe(401);
  });
});
