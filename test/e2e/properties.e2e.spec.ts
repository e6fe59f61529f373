/**
 * Property-based: random and adversarial requests against every BFF route, on the real fleet, as
 * every role (and none), with other tenants' ids, NUL, lone surrogates, huge and deep JSON, wrong
 * types and injection strings. Three properties:
 *   - no response is a 5xx;
 *   - every 202 ends in a settled operation (a stored row, or a failed operation) within a bound;
 *   - nothing the attackers do changes what the victim tenant sees.
 * PROPERTY_RUNS sets the number of requests (default 400); a failure prints the request and the seed.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Client, type Reply } from '../../scripts/lib/client.js';
import { useFleet } from './fleet-under-test.js';
import { defined } from '@beacon/domain';
import type { Schemas } from '@beacon/api-client';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 400);
const SETTLE_BOUND_MS = 90_000;
const USD = (amount: string) => ({ amount, currency: 'USD' });

const fleet = useFleet({ bffPort: 18020, opsPortBase: 19120 });
let base: string;
beforeAll(() => {
  base = fleet.baseUrl;
});

interface Victim {
  heldCommissionId: string;
  brand: Client;
  influencer: Client;
  campaignId: string;
  influencerId: string;
  visitorId: string;
  correlationId: string;
  payoutId: string;
  couponCode: string;
  customerId: string;
  webhookId: string;
}

/**
 * A tenant with an invite-only campaign, an accepted influencer, a coupon code, a customer its lead
 * bound, a conversion, commissions and a payout.
 */
async function victimTenant(): Promise<Victim> {
  const brandId = `victim-${randomUUID()}`;
  const influencerId = `victim-inf-${randomUUID()}`;
  const brand = await Client.as(base, brandId, 'brand');
  const influencer = await Client.as(base, influencerId, 'influencer');
  const created = await brand.command('/api/v1/campaigns', {
    name: 'Victim',
    landingUrl: 'https://victim.example',
    budget: USD('500.00'),
    visibility: 'invite_only',
    influencerIds: [influencerId],
    commissionRules: [
      { event: 'conversion', type: 'fixed', amount: USD('10.00') },
      { event: 'click', type: 'fixed', amount: USD('0.10') },
      { event: 'lead', type: 'fixed', amount: USD('1.00') },
    ],
    review: { reviewDays: 90, signals: ['BOT_USER_AGENT'] },
  });
  const campaignId = created.id;
  await influencer.command(`/api/v1/campaigns/${campaignId}/accept`, { acceptedTerms: true });
  const visitorId = `victim-visitor-${randomUUID()}`;
  const couponCode = `VICTIM-${randomUUID().slice(0, 8)}`;
  await brand.command(`/api/v1/campaigns/${campaignId}/coupons`, { code: couponCode, influencerId });
  const customerId = `victim-customer-${randomUUID()}`;
  await brand.command('/api/v1/tracking/events', { type: 'lead', campaignId, visitorId, customerId, couponCode });
  const sale = await brand.command('/api/v1/tracking/events', {
    type: 'conversion',
    campaignId,
    influencerId,
    visitorId,
    value: USD('80.00'),
    orderId: 'victim-order',
  });
  await influencer.until(
    '/api/v1/balance',
    (b: { balances: Array<{ available: { amount: string } }> }) => b.balances[0]?.available.amount === '11.00',
  );
  const payout = await influencer.command('/api/v1/payouts', {
    amount: USD('4.00'),
    method: 'paypal',
    destination: 'victim@example.com',
  });
  await influencer.until(
    '/api/v1/balance',
    (b: { balances: Array<{ paidOut: { amount: string } }> }) => b.balances[0]?.paidOut.amount === '4.00',
  );
  // A sale from a crawler: held for the brand's review, which only the brand (or admin) may decide.
  await brand.command('/api/v1/tracking/events', {
    type: 'conversion',
    campaignId,
    influencerId,
    visitorId,
    value: USD('80.00'),
    orderId: 'victim-order-bot',
    userAgent: 'Googlebot/2.1',
  });
  const held = await brand.until<{ items: Array<{ id: string }> }>(
    `/api/v1/commissions?campaignId=${campaignId}&status=held`,
    (p) => p.items.length === 1,
  );
  // An endpoint nothing will be sent to (no approval follows its registration): its log stays empty.
  const hook = await brand.post<{ id: string }>('/api/v1/webhooks', {
    url: 'http://127.0.0.1:9/victim',
    events: ['commission.approved'],
  });
  return {
    heldCommissionId: defined(held.items[0], 'the held commission').id,
    webhookId: hook.body.id,
    brand,
    influencer,
    campaignId,
    influencerId,
    visitorId,
    correlationId: sale.operation.correlationId,
    payoutId: payout.id,
    couponCode,
    customerId,
  };
}

/** Everything the victim's brand and influencer can read. */
async function snapshot(v: Victim): Promise<unknown> {
  const read = async (client: Client, path: string) => {
    const reply = await client.get(path);
    return { path, status: reply.status, body: reply.body };
  };
  return Promise.all([
    read(v.brand, '/api/v1/campaigns'),
    read(v.brand, `/api/v1/campaigns/${v.campaignId}`),
    read(v.brand, `/api/v1/campaigns/${v.campaignId}/stats`),
    read(v.brand, `/api/v1/tracking/events?campaignId=${v.campaignId}`),
    read(v.brand, `/api/v1/tracking/activity?visitorId=${v.visitorId}`),
    read(v.brand, '/api/v1/commissions'),
    read(v.brand, `/api/v1/operations/${v.correlationId}`),
    read(v.influencer, '/api/v1/balance'),
    read(v.influencer, '/api/v1/payouts'),
    read(v.influencer, '/api/v1/commissions'),
    read(v.brand, '/api/v1/coupons'),
    read(v.brand, '/api/v1/customers'),
    read(v.influencer, '/api/v1/coupons'),
    read(v.influencer, '/api/v1/customers'),
    read(v.brand, '/api/v1/webhooks'),
    read(v.brand, `/api/v1/webhooks/${v.webhookId}`),
    read(v.brand, `/api/v1/webhooks/${v.webhookId}/deliveries`),
    read(v.brand, '/api/v1/commissions?status=held'),
    read(v.influencer, '/api/v1/commissions?status=held'),
  ]);
}

const NASTY = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  "' OR 1=1 --",
  '"; DROP TABLE campaigns; --',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  'javascript:alert(1)',
  '',
  ' ',
  'NaN',
  '-1',
  '1e308',
  '+275760-09-13T00:00:00Z',
  'Jan 1',
  '2026-02-30T00:00:00Z',
];

/** Any UTF-16 code units, lone surrogates included. */
const codeUnits = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
const nasty = fc.oneof(
  fc.constantFrom(...NASTY),
  codeUnits,
  fc.string({ maxLength: 3000 }).map((s) => s.repeat(3)),
);
/** A JSON value nested `depth` deep, written as text (too deep for JSON.stringify to be safe). */
const deepJson = fc
  .integer({ min: 20, max: 20_000 })
  .map((depth) => ({ raw: `${'['.repeat(depth)}${']'.repeat(depth)}` }));
const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A plausible value most of the time, something hostile otherwise. */
const mostly = <T>(plausible: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 24, arbitrary: plausible }, { weight: 1, arbitrary: nasty }, { weight: 1, arbitrary: wrongType });

interface Attacker {
  name: string;
  client: Client;
  /** Ids this caller may legitimately act on (admin gets no victim ids, so its writes never touch the victim). */
  ownCampaign?: string;
}

interface Request {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  headers: Record<string, string>;
}

function requests(
  victim: Victim,
  attackers: Attacker[],
  adminCampaign: string,
): fc.Arbitrary<{ who: number; request: Request }> {
  const ids = (who: Attacker) =>
    fc.oneof(
      fc.constantFrom(
        ...[who.name === 'admin' ? adminCampaign : victim.campaignId, who.ownCampaign ?? adminCampaign, randomUUID()],
      ),
      nasty,
    );
  const money = fc.record({
    amount: mostly(fc.constantFrom('1.00', '10', '0.001', '99999999999999999', '-5')),
    currency: mostly(fc.constantFrom('USD', 'JPY', 'KWD', 'XAU', 'usd')),
  });
  const rule = fc.oneof(
    fc.record({
      event: mostly(fc.constant('conversion')),
      type: mostly(fc.constant('percent')),
      rate: mostly(fc.constantFrom('10', '100', '100.5', '0', '1e2')),
    }),
    fc.record({
      event: mostly(fc.constantFrom('click', 'conversion', 'impression')),
      type: mostly(fc.constantFrom('fixed', 'per_mille')),
      amount: money,
    }),
  );
  /** A well-formed event (so many requests reach a 202), or one with any field hostile. */
  const trackingEvent = (campaignIds: fc.Arbitrary<unknown>) =>
    fc.oneof(cleanEvent(campaignIds), cleanEvent(campaignIds), hostileEvent(campaignIds));
  const cleanEvent = (campaignIds: fc.Arbitrary<unknown>) =>
    fc.record({
      type: fc.constantFrom('impression', 'click', 'custom', 'conversion', 'refund', 'lead'),
      campaignId: campaignIds,
      visitorId: fc.constantFrom(victim.visitorId, 'v-1'),
      customerId: fc.constantFrom(victim.customerId, 'cus-1'),
      couponCode: fc.constantFrom(victim.couponCode, 'NOPE10'),
      influencerId: fc.constantFrom(victim.influencerId, 'inf-x'),
      name: fc.constant('signup'),
      value: fc.constant(USD('12.00')),
      orderId: fc.constantFrom('victim-order', 'o-1', 'o-2'),
      properties: fc.oneof(
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
        fc.jsonValue({ maxDepth: 2 }),
      ),
    });
  const hostileEvent = (campaignIds: fc.Arbitrary<unknown>) =>
    fc.record(
      {
        eventId: mostly(fc.uuid()),
        type: mostly(fc.constantFrom('impression', 'click', 'conversion', 'refund', 'custom', 'lead')),
        customerId: mostly(fc.constantFrom(victim.customerId, 'cus-1')),
        couponCode: mostly(fc.constantFrom(victim.couponCode, 'NOPE10')),
        campaignId: campaignIds,
        influencerId: mostly(fc.constantFrom(victim.influencerId, 'inf-x')),
        clickId: mostly(fc.uuid()),
        visitorId: mostly(fc.constantFrom(victim.visitorId, 'v-1')),
        occurredAt: mostly(
          fc
            .date({ min: new Date(Date.now() - 30 * 86_400_000), max: new Date(), noInvalidDate: true })
            .map((d) => d.toISOString()),
        ),
        value: money,
        orderId: mostly(fc.constantFrom('victim-order', 'o-1')),
        name: mostly(fc.constant('signup')),
        properties: fc.oneof(
          fc.dictionary(fc.string({ maxLength: 8 }), wrongType, { maxKeys: 4 }),
          nasty,
          deepJson,
          wrongType,
        ),
        userAgent: mostly(fc.constant('ua')),
        ip: mostly(fc.constant('127.0.0.1')),
        referrer: mostly(fc.constant('https://r.example')),
      },
      { requiredKeys: [] },
    );

  return fc.nat({ max: attackers.length - 1 }).chain((who) => {
    const attacker = defined(attackers[who], `attacker ${who}`);
    const id = ids(attacker);
    const plausibleQuery: Record<string, fc.Arbitrary<string>> = {
      campaignId: fc.constantFrom(victim.campaignId, attacker.ownCampaign ?? adminCampaign),
      influencerId: fc.constantFrom(victim.influencerId, 'inf-x'),
      visitorId: fc.constantFrom(victim.visitorId, 'v-1'),
      type: fc.constantFrom('impression', 'click', 'conversion'),
      status: fc.constantFrom('approved', 'paid'),
      from: fc.constant(new Date(Date.now() - 86_400_000).toISOString()),
      to: fc.constant(new Date().toISOString()),
      limit: fc.constantFrom('1', '50', '500'),
      cursor: fc.constantFrom('MQ', 'bad'),
    };
    // Admin may act on every endpoint (api.md), so it gets no victim ids, as with campaigns.
    const webhookIds = mostly(
      fc.constantFrom(...(attacker.name === 'admin' ? [] : [victim.webhookId]), `wh_${randomUUID()}`),
    );
    const query = (...names: string[]) =>
      fc.record(Object.fromEntries(names.map((n) => [n, mostly(defined(plausibleQuery[n], `a plausible ${n}`))])), {
        requiredKeys: [],
      });
    const headers = fc
      .record(
        {
          'Idempotency-Key': mostly(fc.uuid()),
          'X-Correlation-ID': mostly(fc.constantFrom(victim.correlationId, `flow-${randomUUID()}`)),
        },
        { requiredKeys: [] },
      )
      .map(
        (h) =>
          Object.fromEntries(
            Object.entries(h).filter(([, v]) => typeof v === 'string' && /^[\x20-\x7e]*$/.test(v)),
          ) as Record<string, string>,
      );
    const route: fc.Arbitrary<Omit<Request, 'headers'>> = fc.oneof(
      fc.record({
        method: fc.constant('POST' as const),
        path: fc.constant('/api/v1/campaigns'),
        body: fc.record(
          {
            id: mostly(fc.constantFrom(victim.campaignId, randomUUID())),
            name: mostly(fc.constant('Fuzz')),
            landingUrl: mostly(fc.constantFrom('https://a.example', 'javascript:x')),
            budget: money,
            commissionRules: fc.oneof(fc.array(rule, { maxLength: 3 }), wrongType),
            visibility: mostly(fc.constantFrom('open', 'invite_only')),
            attributionWindowDays: mostly(fc.integer({ min: -5, max: 400 })),
            holdingPeriodDays: mostly(fc.integer({ min: -5, max: 400 })),
            influencerIds: fc.oneof(fc.array(mostly(fc.constant('inf-1')), { maxLength: 3 }), wrongType),
          },
          { requiredKeys: [] },
        ),
      }),
      fc.record({
        method: fc.constant('GET' as const),
        path: fc.tuple(id, query('limit', 'cursor')).map(([, q]) => `/api/v1/campaigns?${qs(q)}`),
      }),
      fc.record({ method: fc.constant('GET' as const), path: id.map((i) => `/api/v1/campaigns/${seg(i)}`) }),
      fc.record({
        method: fc.constant('POST' as const),
        path: fc
          .tuple(id, fc.constantFrom('pause', 'resume', 'complete', 'links'))
          .map(([i, a]) => `/api/v1/campaigns/${seg(i)}/${a}`),
        body: fc.constant({}),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        path: id.map((i) => `/api/v1/campaigns/${seg(i)}/invitations`),
        body: fc.record({
          influencerIds: fc.oneof(fc.array(mostly(fc.constant('inf-z')), { maxLength: 3 }), wrongType),
        }),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        path: id.map((i) => `/api/v1/campaigns/${seg(i)}/accept`),
        body: fc.record({ acceptedTerms: mostly(fc.constant(true)) }),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        path: id.map((i) => `/api/v1/campaigns/${seg(i)}/evidence`),
        body: fc.record(
          {
            type: mostly(fc.constantFrom('photo', 'story')),
            url: mostly(fc.constantFrom('https://x.example/p', 'javascript:alert(1)')),
            description: mostly(fc.constant('d')),
          },
          { requiredKeys: [] },
        ),
      }),
      fc.record({
        method: fc.constant('GET' as const),
        path: fc.tuple(id, query('from', 'to')).map(([i, q]) => `/api/v1/campaigns/${seg(i)}/stats?${qs(q)}`),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        path: fc.constant('/api/v1/tracking/events'),
        body: trackingEvent(id),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        path: fc.constant('/api/v1/tracking/events:batch'),
        body: fc.record({ events: fc.oneof(fc.array(trackingEvent(id), { maxLength: 5 }), wrongType) }),
      }),
      fc.record({
        method: fc.constant('GET' as const),
        path: query('campaignId', 'influencerId', 'visitorId', 'type', 'from', 'to', 'limit', 'cursor').map(
          (q) => `/api/v1/tracking/events?${qs(q)}`,
        ),
      }),
      fc.record({
        method: fc.constant('GET' as const),
        path: query('visitorId', 'from', 'to').map((q) => `/api/v1/tracking/activity?${qs(q)}`),
      }),
      fc.record({
        method: fc.constant('GET' as const),
        path: query('campaignId', 'influencerId', 'status').map((q) => `/api/v1/commissions?${qs(q)}`),
      }),
      fc.record({ method: fc.constant('GET' as const), path: fc.constantFrom('/api/v1/balance', '/api/v1/payouts') }),
      fc.record({
        method: fc.constant('GET' as const),
        path: mostly(fc.constantFrom(victim.payoutId, randomUUID())).map((i) => `/api/v1/payouts/${seg(i)}`),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        path: fc.constant('/api/v1/payouts'),
        body: fc.record(
          {
            amount: money,
            method: mostly(fc.constantFrom('paypal', 'bank_transfer')),
            destination: mostly(fc.constantFrom('me@example.com', 'DE89370400440532013000', 'fail@example.com')),
          },
          { requiredKeys: [] },
        ),
      }),
      fc.record({
        method: fc.constant('GET' as const),
        path: mostly(fc.constantFrom(victim.correlationId, randomUUID())).map((i) => `/api/v1/operations/${seg(i)}`),
      }),
      fc.record({ method: fc.constant('GET' as const), path: nasty.map((t) => `/c/${seg(t)}`) }),
      fc.record({
        method: fc.constant('POST' as const),
        path: id.map((i) => `/api/v1/campaigns/${seg(i)}/coupons`),
        body: fc.record(
          {
            code: mostly(
              fc.constantFrom(victim.couponCode, victim.couponCode.toLowerCase(), `FUZZ${randomUUID().slice(0, 6)}`),
            ),
            influencerId: mostly(fc.constantFrom(victim.influencerId, 'inf-x')),
          },
          { requiredKeys: [] },
        ),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        path: fc
          .tuple(id, mostly(fc.constantFrom(victim.couponCode, 'NOPE10')))
          .map(([i, code]) => `/api/v1/campaigns/${seg(i)}/coupons/${seg(code)}/deactivate`),
        body: fc.constant({}),
      }),
      fc.record({
        method: fc.constant('GET' as const),
        path: query('campaignId', 'limit', 'cursor').map((q) => `/api/v1/coupons?${qs(q)}`),
      }),
      fc.record({
        method: fc.constant('GET' as const),
        path: query('campaignId', 'influencerId', 'limit', 'cursor').map((q) => `/api/v1/customers?${qs(q)}`),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        path: fc.constant('/api/v1/webhooks'),
        body: fc.record(
          {
            url: mostly(
              fc.constantFrom('https://hooks.attacker.example/x', 'http://127.0.0.1:9/x', 'file:///etc/passwd'),
            ),
            events: fc.oneof(
              fc.subarray(['commission.approved', 'payout.completed', 'campaign.budget_exhausted', 'lead.recorded']),
              wrongType,
            ),
          },
          { requiredKeys: [] },
        ),
      }),
      fc.record({
        method: fc.constant('GET' as const),
        path: fc
          .tuple(webhookIds, fc.constantFrom('', '/deliveries'))
          .map(([i, tail]) => `/api/v1/webhooks/${seg(i)}${tail}`),
      }),
      fc.record({
        method: fc.constantFrom('POST' as const),
        path: fc
          .tuple(webhookIds, fc.constantFrom('rotate-secret', 'test'))
          .map(([i, action]) => `/api/v1/webhooks/${seg(i)}/${action}`),
        body: fc.constant({}),
      }),
      fc.record({
        method: fc.constant('DELETE' as const),
        path: webhookIds.map((i) => `/api/v1/webhooks/${seg(i)}`),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        path: webhookIds.map(
          (i) => `/api/v1/webhooks/${seg(i)}/deliveries/msg_${randomUUID().replace(/-/g, '')}/redeliver`,
        ),
        body: fc.constant({}),
      }),
      fc.record({
        method: fc.constant('GET' as const),
        path: query('limit', 'cursor').map((q) => `/api/v1/webhooks?${qs(q)}`),
      }),
      // Review decisions: admin may decide any, so it is given no victim commission.
      fc.record({
        method: fc.constant('POST' as const),
        path: fc
          .tuple(
            mostly(
              fc.constantFrom(...(attacker.name === 'admin' ? [] : [victim.heldCommissionId]), `com-${randomUUID()}`),
            ),
            fc.constantFrom('approve', 'reject'),
          )
          .map(([i, action]) => `/api/v1/commissions/${seg(i)}/${action}`),
        body: fc.record({ reason: mostly(fc.constantFrom('FRAUD', 'attacker says so')) }, { requiredKeys: [] }),
      }),
    );
    return fc.record({
      who: fc.constant(who),
      request: fc.tuple(route, headers).map(([r, h]) => ({ ...r, headers: h })),
    });
  });
}

/** Percent-encodes any string, lone surrogates included (encodeURIComponent throws on those). */
function seg(value: unknown): string {
  const s = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  try {
    return encodeURIComponent(s) || 'empty';
  } catch {
    return [...s]
      .map((ch) =>
        /^[\uD800-\uDFFF]$/.test(ch)
          ? [(ch.charCodeAt(0) >> 12) | 0xe0, ((ch.charCodeAt(0) >> 6) & 0x3f) | 0x80, (ch.charCodeAt(0) & 0x3f) | 0x80]
              .map((byte) => `%${byte.toString(16)}`)
              .join('')
          : encodeURIComponent(ch),
      )
      .join('');
  }
}

function qs(query: Record<string, unknown>): string {
  return Object.entries(query)
    .map(([k, v]) => `${k}=${seg(v)}`)
    .join('&');
}

/** The body as text: deep JSON stays raw text, everything else is JSON. */
function bodyText(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  return JSON.stringify(body, (_k, v: unknown) =>
    v && typeof v === 'object' && 'raw' in v ? `__RAW__${(v as { raw: string }).raw}__RAW__` : v,
  ).replace(/"__RAW__(.*?)__RAW__"/g, '$1');
}

describe('every BFF route under random and adversarial input', () => {
  it('never answers 5xx, settles every 202, and leaves another tenant untouched', async () => {
    const victim = await victimTenant();
    const before = await snapshot(victim);
    const attackerBrandId = `attacker-${randomUUID()}`;
    const attackerBrand = await Client.as(base, attackerBrandId, 'brand');
    const own = await attackerBrand.command('/api/v1/campaigns', {
      name: 'Attacker',
      landingUrl: 'https://attacker.example',
      budget: USD('50.00'),
      commissionRules: [{ event: 'click', type: 'fixed', amount: USD('1.00') }],
    });
    const admin = await Client.as(base, `admin-${randomUUID()}`, 'admin');
    const adminCampaign = (
      await admin.command('/api/v1/campaigns', {
        name: 'Admin sandbox',
        landingUrl: 'https://admin.example',
        budget: USD('50.00'),
        commissionRules: [{ event: 'click', type: 'fixed', amount: USD('1.00') }],
      })
    ).id;
    const attackers: Attacker[] = [
      { name: 'brand', client: attackerBrand, ownCampaign: own.id },
      { name: 'influencer', client: await Client.as(base, `attacker-inf-${randomUUID()}`, 'influencer') },
      { name: 'ingest', client: await Client.ingestFor(base, attackerBrandId), ownCampaign: own.id },
      { name: 'ingest-without-brand', client: await Client.as(base, `attacker-ingest-${randomUUID()}`, 'ingest') },
      {
        name: 'brand+influencer',
        client: await Client.as(base, `attacker-both-${randomUUID()}`, 'brand', 'influencer'),
      },
      { name: 'admin', client: admin },
      { name: 'anonymous', client: new Client(base) },
      { name: 'forged', client: new Client(base, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.') },
    ];

    const accepted: Array<{ client: Client; correlationId: string; request: Request }> = [];
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(requests(victim, attackers, adminCampaign), async ({ who, request }) => {
        const { client, name } = defined(attackers[who], `attacker ${who}`);
        const text = bodyText(request.body);
        const reply: Reply = await client.request(request.method, request.path, text, {
          ...(text !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...request.headers,
        });
        if (reply.status >= 500)
          throw new Error(
            `${name} ${request.method} ${request.path} → ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`,
          );
        const path = request.path
          .replace(/\?.*$/, '')
          .replace(/\/(campaigns|payouts|operations|commissions|c)\/[^/]+/, '/$1/:x')
          .replace(/\/coupons\/[^/]+/, '/coupons/:code')
          .replace(/\/(webhooks|deliveries)\/[^/]+/g, '/$1/:x');
        const route = `${request.method} ${path} ${reply.status}`;
        seen.set(route, (seen.get(route) ?? 0) + 1);
        // A 202 starts a flow, except a batch that accepted none of its events.
        const answer = reply.body as Partial<Schemas['BatchAccepted']> & Partial<Schemas['Accepted']>;
        const started = reply.status === 202 && answer.accepted !== 0;
        if (started && answer.correlationId) accepted.push({ client, correlationId: answer.correlationId, request });
      }),
      { numRuns: RUNS, endOnFailure: true },
    );

    console.log(
      [...seen]
        .sort()
        .map(([k, n]) => `${String(n).padStart(5)}  ${k}`)
        .join('\n'),
    );

    // Every accepted command settles: a stored row (completed) or a failed operation, within the bound.
    const deadline = Date.now() + SETTLE_BOUND_MS;
    const pending = new Map(accepted.map((a) => [a.correlationId, a]));
    while (pending.size > 0 && Date.now() < deadline) {
      for (const [id, a] of pending) {
        const op = await a.client.get<Schemas['Operation']>(`/api/v1/operations/${id}`);
        expect(op.status).toBe(200);
        if (op.body.status !== 'pending') pending.delete(id);
      }
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect([...pending.values()].map((a) => `${a.request.method} ${a.request.path}`)).toEqual([]);
    expect(accepted.length).toBeGreaterThan(0);

    // Nothing the attackers did reached the victim.
    expect(await snapshot(victim)).toEqual(before);
  }, 600_000);
});
