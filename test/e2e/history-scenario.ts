/**
 * A campaign with a history worth replaying, made through the public API: three influencers, a
 * coupon code, a review threshold, a budget that runs out, and a few thousand tracking events over
 * the past week — impressions, clicks, leads, conversions (by click, coupon, customer and explicit
 * influencer; some duplicates), refunds — with held commissions approved and rejected by the brand.
 * Seeded, so two runs send the same shape of traffic.
 */
import { randomUUID } from 'node:crypto';
import { Client } from '../../scripts/lib/client.js';

const USD = (amount: string) => ({ amount, currency: 'USD' });
const HOUR = 3_600_000;

export const HISTORY_RULES = [
  { event: 'click', type: 'fixed', amount: USD('0.05') },
  { event: 'lead', type: 'fixed', amount: USD('1.50') },
  { event: 'conversion', type: 'percent', rate: '8', customerDurationMonths: 1 },
];

/** A small deterministic generator (mulberry32), so the history's shape does not change from run to run. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface History {
  brand: Client;
  brandId: string;
  campaignId: string;
  influencers: Array<{ id: string; client: Client }>;
  /** tracking events sent (all accepted) */
  events: number;
  from: string;
  to: string;
}

type Item = Record<string, unknown>;

/** Waits for every commission of the campaign to leave `pending`, and answers them. */
export async function settledCommissions(brand: Client, campaignId: string, atLeast = 1): Promise<Item[]> {
  const all: Item[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await brand.until<{ items: Item[]; nextCursor?: string | null }>(
      `/api/v1/commissions?campaignId=${campaignId}&limit=500${after ? `&cursor=${after}` : ''}`,
      (b) => b.items.every((c) => c.status !== 'pending'),
      120_000,
    );
    all.push(...page.items);
    if (!page.nextCursor) break;
    after = page.nextCursor;
  }
  if (all.length < atLeast) throw new Error(`only ${all.length} commissions`);
  return all;
}

export async function makeHistory(base: string, options: { visitors?: number; seed?: number } = {}): Promise<History> {
  const rnd = random(options.seed ?? 20261203);
  const pick = <T>(list: T[]) => list[Math.floor(rnd() * list.length)] as T;
  const brandId = `brand-${randomUUID()}`;
  const brand = await Client.as(base, brandId, 'brand');
  const created = await brand.command('/api/v1/campaigns', {
    name: 'History',
    landingUrl: 'https://shop.example/h',
    budget: USD('4000.00'),
    commissionRules: HISTORY_RULES,
    attributionWindowDays: 2,
    review: { thresholdAmount: USD('15.00'), reviewDays: 90, signals: [] },
  });
  if (created.operation.status !== 'completed') throw new Error(`campaign: ${JSON.stringify(created.operation)}`);
  const campaignId = created.id;
  const influencers = [];
  for (let i = 0; i < 3; i++) {
    const id = `inf-${randomUUID()}`;
    const client = await Client.as(base, id, 'influencer');
    await client.command(`/api/v1/campaigns/${campaignId}/accept`, { acceptedTerms: true });
    influencers.push({ id, client });
  }
  const code = `H${randomUUID().slice(0, 6)}`.toUpperCase();
  const coupon = await brand.command(`/api/v1/campaigns/${campaignId}/coupons`, {
    code,
    influencerId: influencers[0]?.id,
  });
  if (coupon.operation.status !== 'completed') throw new Error(`coupon: ${JSON.stringify(coupon.operation)}`);

  // A week of traffic, in time order: visitors click one or two influencers' links, some sign up, some buy.
  const start = Date.now() - 7 * 24 * HOUR;
  const events: Item[] = [];
  const orders: Array<{ orderId: string; at: number }> = [];
  const visitors = options.visitors ?? 900;
  for (let v = 0; v < visitors; v++) {
    const visitorId = `v-${randomUUID()}`;
    let at = start + (v / visitors) * 6.5 * 24 * HOUR;
    const stamp = () => new Date((at += 60_000 + rnd() * 3 * HOUR)).toISOString();
    const ua = {
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/140.0',
      ip: `10.1.${v % 250}.${v % 7}`,
    };
    const first = pick(influencers).id;
    events.push({ type: 'impression', campaignId, influencerId: first, visitorId, occurredAt: stamp() });
    events.push({ type: 'click', campaignId, influencerId: first, visitorId, occurredAt: stamp(), ...ua });
    if (rnd() < 0.4)
      events.push({
        type: 'click',
        campaignId,
        influencerId: pick(influencers).id,
        visitorId,
        occurredAt: stamp(),
        ...ua,
      });
    const customerId = rnd() < 0.35 ? `cust-${randomUUID().slice(0, 12)}` : undefined;
    if (customerId) events.push({ type: 'lead', campaignId, visitorId, customerId, occurredAt: stamp(), ...ua });
    const buys = rnd() < 0.55 ? 1 + Math.floor(rnd() * 2) : 0;
    for (let b = 0; b < buys; b++) {
      const orderId = `o-${randomUUID().slice(0, 12)}`;
      const value = USD(
        `${(20 + Math.floor(rnd() * 300)).toString()}.${String(Math.floor(rnd() * 100)).padStart(2, '0')}`,
      );
      const how = rnd();
      const extra = how < 0.15 ? { couponCode: code } : how < 0.22 ? { influencerId: pick(influencers).id } : {};
      const occurredAt = stamp();
      events.push({
        type: 'conversion',
        campaignId,
        visitorId,
        orderId,
        value,
        occurredAt,
        ...(customerId ? { customerId } : {}),
        ...extra,
        ...ua,
      });
      orders.push({ orderId, at });
      // Now and then the same order again: stored as a duplicate, earns nothing.
      if (rnd() < 0.05)
        events.push({ type: 'conversion', campaignId, visitorId, orderId, value, occurredAt: stamp(), ...ua });
    }
    // A late visit after the attribution window: a sale that only a longer window would attribute.
    if (rnd() < 0.1) {
      at += 3 * 24 * HOUR;
      if (at < Date.now() - HOUR)
        events.push({
          type: 'conversion',
          campaignId,
          visitorId,
          orderId: `o-${randomUUID().slice(0, 12)}`,
          value: USD('99.00'),
          occurredAt: stamp(),
          ...ua,
        });
    }
  }
  // Refunds of about one order in twelve, a few hours after it.
  for (const { orderId, at } of orders)
    if (rnd() < 0.08)
      events.push({
        type: 'refund',
        campaignId,
        visitorId: 'v-refunds',
        orderId,
        occurredAt: new Date(Math.min(at + 5 * HOUR, Date.now() - 60_000)).toISOString(),
      });
  const past = events.filter((e) => Date.parse(e.occurredAt as string) < Date.now() - 60_000);
  past.sort((a, b) => Date.parse(a.occurredAt as string) - Date.parse(b.occurredAt as string));

  const ingest = await Client.ingestFor(base, brandId);
  for (let i = 0; i < past.length; i += 500) {
    const reply = await ingest.post<{ accepted: number; rejected: unknown[]; correlationId: string }>(
      '/api/v1/tracking/events:batch',
      { events: past.slice(i, i + 500) },
    );
    if (reply.status !== 202 || reply.body.rejected.length > 0)
      throw new Error(`batch ${i}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 400)}`);
    await ingest.settle(reply.body.correlationId, 120_000);
  }

  // The brand decides some held commissions: approves most, rejects every fourth.
  const held = (await settledCommissions(brand, campaignId)).filter((c) => c.status === 'held');
  for (const [i, c] of held.slice(0, 12).entries()) {
    const decision = i % 4 === 3 ? 'reject' : 'approve';
    await brand.command(
      `/api/v1/commissions/${c.id as string}/${decision}`,
      decision === 'reject' ? { reason: 'FRAUD' } : {},
    );
  }
  return {
    brand,
    brandId,
    campaignId,
    influencers,
    events: past.length,
    from: new Date(start - HOUR).toISOString(),
    to: new Date().toISOString(),
  };
}
