/**
 * Leads, customers, recurring commissions, coupon codes and attribution models on the real fleet
 * (domain.md: "Leads, customers and recurring commissions", "Coupon codes", "Attribution models"):
 * each case the issue names, through the API, counted where a brand or a creator would look.
 */
import { randomUUID } from 'node:crypto';
import { defined } from '@beacon/domain';
import { Client } from '../../scripts/lib/client.js';
import { useFleet } from './fleet-under-test.js';

const USD = (amount: string) => ({ amount, currency: 'USD' });
const fleet = useFleet({ bffPort: 18060, opsPortBase: 19160 });
let base: string;
beforeAll(() => {
  base = fleet.baseUrl;
});

type Item = Record<string, unknown>;
type Page = { items: Item[] };
const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();
const BROWSER = { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/140.0' };

/** A brand's campaign with these rules and model, and influencers who accepted it. */
async function campaign(rules: unknown[], influencers = 1, extra: Item = {}) {
  const brandId = `brand-${randomUUID()}`;
  const brand = await Client.as(base, brandId, 'brand');
  const created = await brand.command('/api/v1/campaigns', {
    name: 'Funnel',
    landingUrl: 'https://shop.example/f',
    budget: USD('1000.00'),
    commissionRules: rules,
    ...extra,
  });
  expect(created.operation).toMatchObject({ status: 'completed' });
  const members = [];
  for (let i = 0; i < influencers; i++) {
    const id = `inf-${randomUUID()}`;
    const client = await Client.as(base, id, 'influencer');
    expect(
      (await client.command(`/api/v1/campaigns/${created.id}/accept`, { acceptedTerms: true })).operation.status,
    ).toBe('completed');
    members.push({ id, client });
  }
  return { brandId, brand, campaignId: created.id, members };
}

/** Records events (each a 202 whose flow settles) and answers their event ids. */
async function track(client: Client, ...events: Item[]) {
  const ids = [];
  for (const e of events) {
    const sent = await client.command('/api/v1/tracking/events', { visitorId: `v-${randomUUID()}`, ...e });
    expect(sent.operation.status).toBe('completed');
    ids.push(sent.id);
  }
  return ids;
}

/** The campaign's commissions, by source event id, once those of these events are there and settled. */
async function commissions(brand: Client, campaignId: string, sources: Array<string | undefined>) {
  const settled = (b: Page) =>
    sources.every((id) => b.items.some((c) => c.sourceEventId === id && c.status !== 'pending'));
  const page = await brand.until<Page>(`/api/v1/commissions?campaignId=${campaignId}&limit=500`, settled);
  return new Map(page.items.map((c) => [c.sourceEventId as string, c]));
}

const sale = (campaignId: string, over: Item = {}) => ({
  type: 'conversion',
  campaignId,
  value: USD('100.00'),
  orderId: `o-${randomUUID()}`,
  ...over,
});

describe('leads and recurring commissions', () => {
  it('a lead through a link binds its customer; of three renewals over 2 months, the third is CUSTOMER_DURATION_ENDED', async () => {
    const c = await campaign([
      { event: 'lead', type: 'fixed', amount: USD('5.00') },
      { event: 'conversion', type: 'percent', rate: '10', customerDurationMonths: 2 },
    ]);
    const maya = defined(c.members[0], 'an influencer');
    const link = await maya.client.post<{ url: string }>(`/api/v1/campaigns/${c.campaignId}/links`);
    const hit = await new Client(base).request('GET', link.body.url, undefined, BROWSER);
    const clickId = new URL(defined(hit.headers.get('location'), 'the redirect')).searchParams.get('click_id');
    const customerId = `cus-${randomUUID()}`;
    const [leadId, ...renewals] = await track(
      c.brand,
      { type: 'lead', campaignId: c.campaignId, customerId, clickId, occurredAt: daysAgo(100) },
      sale(c.campaignId, { customerId, occurredAt: daysAgo(85) }),
      sale(c.campaignId, { customerId, occurredAt: daysAgo(55) }),
      sale(c.campaignId, { customerId, occurredAt: daysAgo(25) }),
    );
    const byEvent = await commissions(c.brand, c.campaignId, [leadId, ...renewals]);
    expect(byEvent.get(defined(leadId, 'the lead'))).toMatchObject({
      influencerId: maya.id,
      amount: USD('5.00'),
      attribution: 'click_id',
    });
    expect(
      renewals.map((id) => [byEvent.get(id)?.status, byEvent.get(id)?.reason, byEvent.get(id)?.attribution]),
    ).toEqual([
      ['approved', undefined, 'customer'],
      ['approved', undefined, 'customer'],
      ['rejected', 'CUSTOMER_DURATION_ENDED', 'customer'],
    ]);
    const customers = await c.brand.get<Page>(`/api/v1/customers?campaignId=${c.campaignId}`);
    expect(customers.body.items).toEqual([
      expect.objectContaining({
        customerId,
        influencerId: maya.id,
        attribution: 'click_id',
        sales: 3,
        revenue: USD('300.00'),
      }),
    ]);
    // The creator sees counts and earnings, never who its customers are.
    const own = await maya.client.get<Page>(`/api/v1/customers?campaignId=${c.campaignId}`);
    expect(own.body.items).toEqual([
      {
        campaignId: c.campaignId,
        influencerId: maya.id,
        customers: 1,
        sales: 3,
        revenue: USD('300.00'),
        earnings: USD('25.00'),
      },
    ]);
    const stats = await c.brand.until<Item>(
      `/api/v1/campaigns/${c.campaignId}/stats?from=${daysAgo(120)}`,
      (s) => s.leads === 1,
    );
    expect(stats).toMatchObject({ leads: 1, customers: 1, leadToSaleRate: 1 });
  }, 120_000);

  it('a customer bound to A who later clicks B’s link and buys is still A’s, and the reason is visible', async () => {
    const c = await campaign([{ event: 'conversion', type: 'fixed', amount: USD('10.00') }], 2);
    const [a, b] = [defined(c.members[0], 'A'), defined(c.members[1], 'B')];
    const customerId = `cus-${randomUUID()}`;
    await track(c.brand, sale(c.campaignId, { customerId, influencerId: a.id }));
    const linkB = await b.client.post<{ url: string }>(`/api/v1/campaigns/${c.campaignId}/links`);
    const hit = await new Client(base).request('GET', linkB.body.url, undefined, BROWSER);
    const clickId = new URL(defined(hit.headers.get('location'), 'the redirect')).searchParams.get('click_id');
    const [later] = await track(c.brand, sale(c.campaignId, { customerId, clickId }));
    const byEvent = await commissions(c.brand, c.campaignId, [later]);
    expect(byEvent.get(defined(later, 'the later sale'))).toMatchObject({
      influencerId: a.id,
      attribution: 'customer',
    });
  }, 120_000);

  it('a customer id two brands both use stays two customers', async () => {
    const [one, two] = [
      await campaign([{ event: 'conversion', type: 'fixed', amount: USD('1.00') }]),
      await campaign([{ event: 'conversion', type: 'fixed', amount: USD('1.00') }]),
    ];
    const customerId = `cus-${randomUUID()}`;
    for (const c of [one, two])
      await track(c.brand, sale(c.campaignId, { customerId, influencerId: defined(c.members[0], 'a member').id }));
    for (const c of [one, two]) {
      const page = await c.brand.until<Page>('/api/v1/customers', (p) => p.items.length === 1);
      expect(page.items).toEqual([
        expect.objectContaining({
          customerId,
          campaignId: c.campaignId,
          influencerId: defined(c.members[0], 'a member').id,
        }),
      ]);
    }
    // A brand's customers page by (brand, customer id); a cursor it did not make is a 400.
    const member = defined(one.members[0], 'a member').id;
    await track(one.brand, sale(one.campaignId, { customerId: `${customerId}-b`, influencerId: member }));
    await one.brand.until<Page>('/api/v1/customers', (p) => p.items.length === 2);
    const first = await one.brand.get<Page & { nextCursor: string | null }>('/api/v1/customers?limit=1');
    const next = await one.brand.get<Page & { nextCursor: string | null }>(
      `/api/v1/customers?limit=1&cursor=${defined(first.body.nextCursor, 'a cursor')}`,
    );
    expect([...first.body.items, ...next.body.items].map((i) => i.customerId)).toEqual([customerId, `${customerId}-b`]);
    expect(next.body.nextCursor).toBeNull();
    expect((await one.brand.get('/api/v1/customers?cursor=bm90LW1pbmU')).status).toBe(400);
  }, 120_000);
});

describe('coupon codes', () => {
  it('a sale with a code and no click is its influencer’s; a deactivated code and another brand’s do not attribute', async () => {
    const c = await campaign([{ event: 'conversion', type: 'fixed', amount: USD('10.00') }]);
    const other = await campaign([{ event: 'conversion', type: 'fixed', amount: USD('10.00') }]);
    const maya = defined(c.members[0], 'an influencer');
    const code = `MAYA${randomUUID().slice(0, 6)}`;
    const made = await c.brand.command(`/api/v1/campaigns/${c.campaignId}/coupons`, { code, influencerId: maya.id });
    expect(made.operation.status).toBe('completed');
    // Unique per brand ignoring case.
    const again = await c.brand.command(`/api/v1/campaigns/${c.campaignId}/coupons`, {
      code: code.toLowerCase(),
      influencerId: maya.id,
    });
    expect(again.operation).toMatchObject({ status: 'failed', reason: 'CODE_TAKEN' });
    const otherCode = `ELSE${randomUUID().slice(0, 6)}`;
    const otherMember = defined(other.members[0], 'a member').id;
    await other.brand.command(`/api/v1/campaigns/${other.campaignId}/coupons`, {
      code: otherCode,
      influencerId: otherMember,
    });
    const [byCode] = await track(c.brand, sale(c.campaignId, { couponCode: code.toLowerCase() }));
    const [foreign] = await track(c.brand, sale(c.campaignId, { couponCode: otherCode }));
    const off = await c.brand.command(`/api/v1/campaigns/${c.campaignId}/coupons/${code}/deactivate`);
    expect(off.operation.status).toBe('completed');
    await c.brand.until<Page>(
      `/api/v1/coupons?campaignId=${c.campaignId}`,
      (p) => p.items[0]?.status === 'deactivated',
    );
    const [afterOff] = await track(c.brand, sale(c.campaignId, { couponCode: code }));
    const byEvent = await commissions(c.brand, c.campaignId, [byCode, foreign, afterOff]);
    expect(byEvent.get(defined(byCode, 'the coupon sale'))).toMatchObject({
      influencerId: maya.id,
      attribution: 'coupon',
      status: 'approved',
    });
    for (const id of [foreign, afterOff])
      expect(byEvent.get(defined(id, 'a sale'))).toMatchObject({ status: 'rejected', reason: 'UNATTRIBUTED' });
    const events = await c.brand.get<Page>(`/api/v1/tracking/events?campaignId=${c.campaignId}&type=conversion`);
    expect(events.body.items.filter((e) => (e.notes as string[]).includes('UNKNOWN_COUPON'))).toHaveLength(2);
    // Each sees only its own codes: the influencer its own, the other brand none of these.
    expect((await maya.client.get<Page>('/api/v1/coupons')).body.items.map((i) => i.code)).toEqual([code]);
    expect((await other.brand.get<Page>('/api/v1/coupons')).body.items.map((i) => i.code)).toEqual([otherCode]);
    expect(
      (
        await other.brand.post(`/api/v1/campaigns/${c.campaignId}/coupons`, {
          code: 'STEAL1',
          influencerId: otherMember,
        })
      ).status,
    ).toBe(404);
  }, 150_000);
});

describe('attribution models', () => {
  it('on the same visitor history, first_click credits the first link clicked and last_click the last', async () => {
    const rules = [{ event: 'conversion', type: 'fixed', amount: USD('10.00') }];
    const answers: unknown[] = [];
    for (const attributionModel of ['first_click', 'last_click']) {
      const c = await campaign(rules, 2, { attributionModel });
      const [a, b] = [defined(c.members[0], 'A'), defined(c.members[1], 'B')];
      const visitorId = `v-${randomUUID()}`;
      const [conversion] = await track(
        c.brand,
        { type: 'click', campaignId: c.campaignId, influencerId: a.id, visitorId, occurredAt: daysAgo(3) },
        { type: 'click', campaignId: c.campaignId, influencerId: b.id, visitorId, occurredAt: daysAgo(2) },
        sale(c.campaignId, { visitorId, occurredAt: daysAgo(1) }),
      ).then((ids) => ids.slice(2));
      const byEvent = await commissions(c.brand, c.campaignId, [conversion]);
      const got = byEvent.get(defined(conversion, 'the conversion'));
      answers.push([
        attributionModel,
        got?.influencerId === a.id ? 'A' : got?.influencerId === b.id ? 'B' : got,
        got?.attribution,
      ]);
    }
    expect(answers).toEqual([
      ['first_click', 'A', 'first_click'],
      ['last_click', 'B', 'last_click'],
    ]);
  }, 150_000);
});
