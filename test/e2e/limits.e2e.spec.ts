/**
 * What keeps one caller from stalling the others, on the real fleet with small limits of its own:
 * per-caller rate limits (429), link clicks over the IP limit (redirected, recorded nothing) and
 * admission control on the tracking queue (503), each with Retry-After where the client should wait.
 */
import { randomUUID } from 'node:crypto';
import { Client } from '../../scripts/lib/client.js';
import { useFleet } from './fleet-under-test.js';
import type { Schemas } from '@beacon/api-client';

const USD = (amount: string) => ({ amount, currency: 'USD' });
const OPS = 19140;
const fleet = useFleet({
  bffPort: 18040,
  opsPortBase: OPS,
  env: {
    RATE_LIMIT_WINDOW_S: '60',
    RATE_LIMIT_INFLUENCER: '40',
    LINK_CLICKS_PER_IP: '3',
    TRACKING_QUEUE_MAX_EVENTS: '100',
    // behind a proxy on loopback: each run's visitors come from an address of their own
    TRUST_PROXY: 'loopback',
  },
});
let base: string;
beforeAll(() => {
  base = fleet.baseUrl;
});

type Item = Record<string, unknown>;
const items = (body: unknown) => (body as { items: Item[] }).items;
const refusedCount = async (reason: string) => {
  const text = await (await fetch(`http://127.0.0.1:${OPS}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('beacon_http_refused_total') && l.includes(`"${reason}"`));
  return line ? Number(line.split(' ').pop()) : 0;
};

async function campaignWith(rules: unknown[]) {
  const brand = await Client.as(base, `brand-${randomUUID()}`, 'brand');
  const influencer = await Client.as(base, `inf-${randomUUID()}`, 'influencer');
  const created = await brand.command('/api/v1/campaigns', {
    name: 'Limits',
    landingUrl: 'https://shop.example/l',
    budget: USD('100.00'),
    commissionRules: rules,
  });
  expect(created.operation.status).toBe('completed');
  await influencer.command(`/api/v1/campaigns/${created.id}/accept`, { acceptedTerms: true });
  return { brand, influencer, campaignId: created.id };
}

describe('per-caller rate limits', () => {
  it('answers 429 with Retry-After once a caller spends its window, and only that caller', async () => {
    const sub = `inf-${randomUUID()}`;
    const busy = await Client.as(base, sub, 'influencer');
    const statuses: number[] = [];
    let refusal;
    for (let i = 0; i < 45; i++) {
      const reply = await busy.get('/api/v1/balance');
      statuses.push(reply.status);
      if (reply.status === 429) refusal = reply;
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(40);
    expect(statuses.slice(40)).toEqual([429, 429, 429, 429, 429]);
    expect(Number(refusal?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refusal?.headers.get('content-type')).toContain('application/problem+json');
    expect(refusal?.body).toMatchObject({ status: 429, title: 'Too Many Requests' });
    // another influencer, and a brand with the same sub, are other callers with budgets of their own
    expect((await (await Client.as(base, `inf-${randomUUID()}`, 'influencer')).get('/api/v1/balance')).status).toBe(
      200,
    );
    expect((await (await Client.as(base, sub, 'brand')).get('/api/v1/campaigns')).status).toBe(200);
    expect(await refusedCount('caller_rate')).toBeGreaterThanOrEqual(5);
  }, 120_000);
});

describe('link clicks over the IP limit', () => {
  it('still redirect, but record nothing that earns', async () => {
    const a = await campaignWith([{ event: 'click', type: 'fixed', amount: USD('0.25') }]);
    const link = (await a.influencer.post<Schemas['TrackingLink']>(`/api/v1/campaigns/${a.campaignId}/links`)).body.url;
    const visitor = new Client(base);
    // five people behind one address (a fresh one per run: counters are shared and outlive a fleet)
    const address = `198.51.100.${Math.floor(Math.random() * 250) + 1}, 10.0.0.${Math.floor(Math.random() * 250) + 1}`;
    for (let n = 1; n <= 5; n++) {
      // each with a browser of its own, so none repeats another's click
      const reply = await visitor.request('GET', link, undefined, {
        'User-Agent': `Mozilla/5.0 Firefox/${100 + n}.0`,
        'X-Forwarded-For': address,
      });
      expect(reply.status).toBe(302);
      expect(reply.headers.get('location')).toMatch(/^https:\/\/shop\.example\/l/);
    }
    const clicks = items(
      await a.brand.until(
        `/api/v1/tracking/events?campaignId=${a.campaignId}&type=click`,
        (b: { items: Item[] }) => b.items.length >= 3,
      ),
    );
    const commissions = await a.brand.until(
      `/api/v1/commissions?campaignId=${a.campaignId}`,
      (b: { items: Array<{ status: string }> }) => b.items.length >= 3 && b.items.every((c) => c.status !== 'pending'),
    );
    // a later event is projected, so any fourth click would be by now
    await a.brand.command('/api/v1/tracking/events', {
      type: 'impression',
      campaignId: a.campaignId,
      visitorId: 'v-1',
    });
    await a.brand.until(
      `/api/v1/tracking/events?campaignId=${a.campaignId}&type=impression`,
      (b: { items: Item[] }) => b.items.length === 1,
    );
    expect(clicks).toHaveLength(3);
    expect(
      items((await a.brand.get(`/api/v1/tracking/events?campaignId=${a.campaignId}&type=click`)).body),
    ).toHaveLength(3);
    expect(commissions.items.map((c: { status: string }) => c.status)).toEqual(['approved', 'approved', 'approved']);
    expect(await refusedCount('link_clicks')).toBe(2);
  }, 120_000);
});

describe('admission control', () => {
  it('refuses a batch the tracking queue cannot hold with 503 and Retry-After, and stores none of it', async () => {
    const a = await campaignWith([{ event: 'impression', type: 'per_mille', amount: USD('1.00') }]);
    const events = Array.from({ length: 150 }, (_, i) => ({
      type: 'impression',
      campaignId: a.campaignId,
      visitorId: `v-${i}`,
    }));
    const refused = await a.brand.post('/api/v1/tracking/events:batch', { events });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.body).toMatchObject({ status: 503 });
    const accepted = await a.brand.post<{ accepted: number }>('/api/v1/tracking/events:batch', {
      events: events.slice(0, 50),
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body.accepted).toBe(50);
    const stored = await a.brand.until(
      `/api/v1/tracking/events?campaignId=${a.campaignId}&limit=500`,
      (b: { items: Item[] }) => b.items.length >= 50,
    );
    expect(items(stored)).toHaveLength(50);
    expect(await refusedCount('tracking_queue_full')).toBe(1);
  }, 120_000);
});
