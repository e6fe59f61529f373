/**
 * The demo scenario, replayed through the BFF only: a brand, two campaigns, three influencers,
 * impressions, clicks, conversions, a refund, one payout that completes and one that fails. Then a
 * creator program: a creator's coupon code and link bring two leads, the leads become subscribers,
 * and their renewals pay the creator for two months per subscriber.
 * Prints each flow's timeline and the figures the read models settle on. It fails when a flow does
 * not end as the story says (a payout to a failing destination fails) or when the creator program's
 * figures are not the ones the rules give; the first part's figures are judged by
 * test/e2e/fleet.e2e.spec.ts, from the API.
 *
 *   npm run demo      (starts the fleet, runs this, stops the fleet)
 *   tsx scripts/demo.ts http://localhost:8000   (against a running fleet)
 */
import { randomUUID } from 'node:crypto';
import { createBeaconClient, must, type BeaconClient, type Schemas } from '@beacon/api-client';
import type { Role } from '@beacon/bff-service/auth';
import { mintDevToken } from '@beacon/bff-service/dev-token';
import { percentile } from './lib/client.js';
import { defined } from '@beacon/domain';

type Operation = Schemas['Operation'];
type Commission = Schemas['Commission'];
const USD = (amount: string) => ({ amount, currency: 'USD' });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A caller of the BFF's typed client with a development token. */
async function clientOf(baseUrl: string, sub: string, roles: Role[], brand?: string): Promise<BeaconClient> {
  return createBeaconClient({ baseUrl, token: await mintDevToken({ sub, roles, brand }) });
}

/** Polls `read` until `done` accepts its value; the last value after `timeoutMs` otherwise. */
async function poll<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await pause(everyMs);
    value = await read();
  }
  return value;
}

export interface DemoResult {
  ok: boolean;
  /** each flow that did not end as the story says, and each figure that is not the one the rules give */
  failures: string[];
  flowLatenciesMs: number[];
  wallMs: number;
  campaigns: { summer: string; winter: string };
  influencers: { inf1: string; inf2: string; inf3: string };
  /** The correlation id of Winter's first conversion: its flow crosses every service. */
  winterConversionFlow: string;
}

export async function runDemo(baseUrl: string, log: (line: string) => void = console.log): Promise<boolean> {
  return (await demo(baseUrl, log)).ok;
}

export async function demo(baseUrl: string, log: (line: string) => void = console.log): Promise<DemoResult> {
  const started = performance.now();
  const run = randomUUID().slice(0, 6);
  const ids = {
    brand: `brand-${run}`,
    inf1: `inf-1-${run}`,
    inf2: `inf-2-${run}`,
    inf3: `inf-3-${run}`,
    creator: `maya-${run}`,
  };
  const brand = await clientOf(baseUrl, ids.brand, ['brand']);
  const ingest = await clientOf(baseUrl, `ingest-${run}`, ['ingest'], ids.brand);
  const inf1 = await clientOf(baseUrl, ids.inf1, ['influencer']);
  const inf2 = await clientOf(baseUrl, ids.inf2, ['influencer']);
  const inf3 = await clientOf(baseUrl, ids.inf3, ['influencer']);
  const creator = await clientOf(baseUrl, ids.creator, ['influencer']);
  const latencies: number[] = [];
  const failures: string[] = [];

  const operationOf = async (client: BeaconClient, correlationId: string) =>
    must(client.GET('/api/v1/operations/{correlationId}', { params: { path: { correlationId } } }));
  /** Sends a command, waits for its operation to settle, prints its timeline and judges its outcome. */
  const flow = async (
    title: string,
    client: BeaconClient,
    send: Promise<{ data?: Schemas['Accepted']; error?: unknown; response: Response }>,
    expect: Operation['status'] = 'completed',
  ) => {
    const accepted = await must(send);
    const acceptedAt = performance.now();
    const operation = await poll(
      () => operationOf(client, accepted.correlationId),
      (o) => o.status !== 'pending',
      60_000,
      25,
    );
    const result = { id: accepted.id, operation, ms: performance.now() - acceptedAt };
    latencies.push(result.ms);
    log(
      `\n▶ ${title}  [${result.operation.status}${result.operation.reason ? `: ${result.operation.reason}` : ''}, ` +
        `${result.ms.toFixed(0)} ms]`,
    );
    for (const s of result.operation.steps) log(`    ${s.kind.padEnd(7)} ${s.type.padEnd(34)} ${s.service}`);
    if (result.operation.status !== expect)
      failures.push(`${title}: expected ${expect}, got ${result.operation.status} ${result.operation.reason ?? ''}`);
    return result;
  };
  // Read models are eventually consistent: read until the value holds still for a moment, then print it.
  const show = async (what: string, read: () => Promise<unknown>) => {
    let last = '';
    let stableSince = Date.now();
    const value = await poll(
      read,
      (v) => {
        const text = JSON.stringify(v);
        if (text !== last) [last, stableSince] = [text, Date.now()];
        return Date.now() - stableSince >= 1000;
      },
      30_000,
      200,
    );
    log(`  ${what}: ${JSON.stringify(value)}`);
    return value;
  };
  /** Like `show`, and the story fails unless the value is the one the rules give. */
  const expectShown = async (what: string, read: () => Promise<unknown>, expected: unknown) => {
    const value = await show(what, read);
    if (JSON.stringify(value) !== JSON.stringify(expected))
      failures.push(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(value)}`);
  };

  log(`Demo run ${run} against ${baseUrl}`);
  const summer = await flow(
    'Brand creates "Summer launch" (100.00 USD; 10% per conversion, 0.25 per click, 2.00 per 1,000 impressions)',
    brand,
    brand.POST('/api/v1/campaigns', {
      body: {
        name: 'Summer launch',
        landingUrl: 'https://shop.example/summer',
        budget: USD('100.00'),
        visibility: 'open',
        commissionRules: [
          { event: 'conversion', type: 'percent', rate: '10' },
          { event: 'click', type: 'fixed', amount: USD('0.25') },
          { event: 'impression', type: 'per_mille', amount: USD('2.00') },
        ],
      },
    }),
  );
  const winter = await flow(
    'Brand creates "Winter teaser" (30.00 USD; 12.00 per conversion; invite only: influencer 3)',
    brand,
    brand.POST('/api/v1/campaigns', {
      body: {
        name: 'Winter teaser',
        landingUrl: 'https://shop.example/winter?ref=beacon',
        budget: USD('30.00'),
        visibility: 'invite_only',
        commissionRules: [{ event: 'conversion', type: 'fixed', amount: USD('12.00') }],
        influencerIds: [ids.inf3],
      },
    }),
  );
  const A = summer.id;
  const B = winter.id;
  const accept = (client: BeaconClient, id: string) =>
    client.POST('/api/v1/campaigns/{id}/accept', { params: { path: { id } }, body: { acceptedTerms: true } });
  await flow('Influencer 1 joins Summer', inf1, accept(inf1, A));
  await flow('Influencer 2 joins Summer', inf2, accept(inf2, A));
  await flow('Influencer 3 joins Winter', inf3, accept(inf3, B));
  const uninvited = await accept(inf2, B);
  log('\n▶ Influencer 2 tries the invite-only Winter campaign');
  log(`  an uninvited influencer cannot even see it: HTTP ${uninvited.response.status}`);

  const at = new Date().toISOString();
  const impressions = Array.from({ length: 1000 }, (_, i) => ({
    type: 'impression' as const,
    campaignId: A,
    influencerId: ids.inf1,
    visitorId: `v-${run}-${i % 50}`,
    occurredAt: at,
  }));
  const batch = await must(ingest.POST('/api/v1/tracking/events:batch', { body: { events: impressions } }));
  log(`\n▶ 1,000 impressions for influencer 1 in one batch → accepted ${batch.accepted}`);

  const linkOf = (client: BeaconClient) =>
    must(client.POST('/api/v1/campaigns/{id}/links', { params: { path: { id: A } } }));
  const [link1, link2] = [await linkOf(inf1), await linkOf(inf2)];
  // Two visitors' browsers following links: no token, and the redirect is what we look at. (A client
  // that names itself as a bot or a link preview, as curl and node's fetch do, is redirected unrecorded.)
  const browser = (engine: string) => `Mozilla/5.0 (X11; Linux x86_64) ${engine}`;
  const [firefox, chrome] = [browser('Gecko/20100101 Firefox/140.0'), browser('AppleWebKit/537.36 Chrome/140.0')];
  const visit = (url: string, userAgent: string) =>
    fetch(`${baseUrl}${url}`, { redirect: 'manual', headers: { 'user-agent': userAgent } });
  const clicks = [await visit(link1.url, firefox), await visit(link1.url, chrome), await visit(link2.url, firefox)];
  const redirect = defined(clicks[2]?.headers.get('location'), 'the redirect of the third click');
  const clickId2 = defined(new URL(redirect).searchParams.get('click_id'), 'its click_id');
  log(
    `\n▶ 3 clicks on tracking links → ${clicks.map((c) => c.status).join(', ')}; influencer 2's click id ${clickId2}`,
  );

  const record = (body: Schemas['TrackingEvent']) => ingest.POST('/api/v1/tracking/events', { body });
  const conversion = (campaignId: string, orderId: string, amount: string, extra: Record<string, string> = {}) => ({
    type: 'conversion' as const,
    campaignId,
    visitorId: `buyer-${orderId}`,
    value: USD(amount),
    orderId,
    occurredAt: new Date().toISOString(),
    ...extra,
  });
  await flow(
    'Conversion of 100.00 on Summer by influencer 1 (explicit)',
    ingest,
    record(conversion(A, `A1-${run}`, '100.00', { influencerId: ids.inf1 })),
  );
  await flow(
    "Conversion of 50.00 on Summer through influencer 2's click id",
    ingest,
    record(conversion(A, `A2-${run}`, '50.00', { clickId: clickId2 })),
  );
  let firstWinterConversion = '';
  for (let i = 1; i <= 4; i++) {
    const r = await flow(
      `Conversion ${i} of 100.00 on Winter by influencer 3`,
      ingest,
      record(conversion(B, `B${i}-${run}`, '100.00', { influencerId: ids.inf3 })),
    );
    firstWinterConversion ||= r.operation.correlationId;
  }
  await flow(
    'Refund of Summer order A1',
    ingest,
    record({ type: 'refund', campaignId: A, visitorId: `buyer-A1-${run}`, orderId: `A1-${run}` }),
  );

  // Everything downstream of the tracking events is asynchronous: wait until commissions settle.
  const commissionsOf = async (campaignId: string) =>
    (await must(brand.GET('/api/v1/commissions', { params: { query: { campaignId, limit: 500 } } }))).items;
  const settled = (items: Commission[]) => items.every((c) => c.status !== 'pending');
  await poll(
    () => commissionsOf(A),
    (items) => items.length === 6 && settled(items) && items.some((c) => c.status === 'reversed'),
    120_000,
  );
  await poll(
    () => commissionsOf(B),
    (items) => items.length === 4 && settled(items),
    120_000,
  );

  log('\nCommissions and budgets');
  const amounts = async (campaignId: string) =>
    (await commissionsOf(campaignId))
      .map(
        (x) =>
          `${x.influencerId === ids.inf1 ? 'inf1' : x.influencerId === ids.inf2 ? 'inf2' : 'inf3'} ` +
          `${x.amount?.amount ?? '-'} ${x.status}${x.reason ? ` ${x.reason}` : ''}`,
      )
      .sort();
  await show('Summer commissions', () => amounts(A));
  await show('Winter commissions', () => amounts(B));
  const budget = async (id: string) => {
    const c = await must(brand.GET('/api/v1/campaigns/{id}', { params: { path: { id } } }));
    return [c.spent?.amount, c.remaining?.amount, c.status];
  };
  await show('Summer budget spent / remaining / status', () => budget(A));
  await show('Winter budget spent / remaining / status', () => budget(B));
  await show('Summer stats impressions / clicks / conversions / revenue / commissions', async () => {
    const stats = await must(brand.GET('/api/v1/campaigns/{id}/stats', { params: { path: { id: A } } }));
    return [stats.impressions, stats.clicks, stats.conversions, stats.revenue.amount, stats.commissions.amount];
  });

  log('\nPayouts');
  const payout = (client: BeaconClient, amount: string, destination: string) =>
    client.POST('/api/v1/payouts', { body: { amount: USD(amount), method: 'paypal', destination } });
  await flow('Influencer 3 is paid 30.00 by PayPal', inf3, payout(inf3, '30.00', `inf3-${run}@example.com`));
  await flow(
    'Influencer 2 asks for 5.00 to a failing destination',
    inf2,
    payout(inf2, '5.00', `fail-${run}@example.com`),
    'failed',
  );
  await flow(
    'Influencer 1 asks for more than available',
    inf1,
    payout(inf1, '50.00', `inf1-${run}@example.com`),
    'failed',
  );

  const balance = async (c: BeaconClient) => {
    const usd = (await must(c.GET('/api/v1/balance'))).balances[0];
    return usd ? [usd.pending.amount, usd.available.amount, usd.paidOut.amount] : [];
  };
  await show('influencer 1 balance pending / available / paidOut', () => balance(inf1));
  await show('influencer 2 balance (failed payout returned)', () => balance(inf2));
  await show('influencer 3 balance after the payout', () => balance(inf3));
  await show('Winter commissions after the payout', () => amounts(B));

  await creatorProgram();

  const timeline = async () => (await operationOf(ingest, firstWinterConversion)).steps;
  await show('services the conversion passed', async () =>
    [...new Set((await timeline()).map((s) => s.service))].sort(),
  );
  log('\nThe whole flow of Winter conversion 1, now that it has settled (one correlation id):');
  for (const s of await timeline()) log(`    ${s.kind.padEnd(7)} ${s.type.padEnd(34)} ${s.service}`);

  /**
   * A creator's coupon code, read out in a podcast, and her link, under a video, each bring a lead
   * (3.00 each). Both leads subscribe at 25.00 a month; a renewal earns 20% for 2 months after the
   * subscriber was bound. The podcast listener's history is three months old: the brand's billing
   * system reports it with the times it happened.
   */
  async function creatorProgram() {
    log('\nA creator program: a coupon code and a link, leads, subscribers, renewals');
    const program = await flow(
      'Brand creates "Creator subscriptions" (3.00 per lead; 20% of each sale for 2 months per subscriber)',
      brand,
      brand.POST('/api/v1/campaigns', {
        body: {
          name: 'Creator subscriptions',
          landingUrl: 'https://shop.example/subscribe',
          budget: USD('200.00'),
          visibility: 'open',
          commissionRules: [
            { event: 'lead', type: 'fixed', amount: USD('3.00') },
            { event: 'conversion', type: 'percent', rate: '20', customerDurationMonths: 2 },
          ],
        },
      }),
    );
    const P = program.id;
    await flow('Maya, a creator, joins', creator, accept(creator, P));
    const code = `MAYA-${run}`.toUpperCase();
    await flow(
      `Brand makes Maya the code ${code}`,
      brand,
      brand.POST('/api/v1/campaigns/{id}/coupons', {
        params: { path: { id: P } },
        body: { code, influencerId: ids.creator },
      }),
    );
    const link = await must(creator.POST('/api/v1/campaigns/{id}/links', { params: { path: { id: P } } }));
    const videoClick = await visit(link.url, chrome);
    const clickId = defined(
      new URL(defined(videoClick.headers.get('location'), 'the redirect')).searchParams.get('click_id'),
      'the click id',
    );
    const DAY = 86_400_000;
    const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();
    const [listener, viewer] = [`sub-podcast-${run}`, `sub-video-${run}`];
    await flow(
      `A podcast listener signs up with "${code.toLowerCase()}" (100 days ago)`,
      ingest,
      record({
        type: 'lead',
        campaignId: P,
        visitorId: `v-${listener}`,
        customerId: listener,
        couponCode: code.toLowerCase(),
        occurredAt: daysAgo(100),
      }),
    );
    await flow(
      "A video viewer signs up through Maya's link (today)",
      ingest,
      record({
        type: 'lead',
        campaignId: P,
        visitorId: `v-${viewer}`,
        customerId: viewer,
        clickId,
        occurredAt: daysAgo(0),
      }),
    );
    const subscription = (customerId: string, month: number, days: number) =>
      record({
        type: 'conversion',
        campaignId: P,
        visitorId: `v-${customerId}`,
        customerId,
        value: USD('25.00'),
        orderId: `${customerId}-month-${month}`,
        occurredAt: daysAgo(days),
      });
    for (const [month, days] of [
      [1, 100],
      [2, 70],
      [3, 40],
      [4, 10],
    ] as const)
      await flow(
        `The listener pays month ${month} (${days} days ago), no code and no click`,
        ingest,
        subscription(listener, month, days),
      );
    await flow('The viewer pays month 1 (today)', ingest, subscription(viewer, 1, 0));

    const settledProgram = await poll(
      () => commissionsOf(P),
      (items) => items.length === 8 && settled(items),
      120_000,
    );
    log(`  ${settledProgram.length} commissions settled`);
    const byOrder = async () =>
      (await commissionsOf(P))
        .map((c) => `${c.amount?.amount ?? '-'} ${c.status} ${c.attribution ?? ''}${c.reason ? ` ${c.reason}` : ''}`)
        .sort();
    await expectShown('Creator program commissions (amount status attribution reason)', byOrder, [
      '- rejected customer CUSTOMER_DURATION_ENDED',
      '- rejected explicit NO_RULE', // the click: this program pays for leads and sales, not clicks
      '3.00 approved click_id',
      '3.00 approved coupon',
      '5.00 approved customer',
      '5.00 approved customer',
      '5.00 approved customer',
      '5.00 approved customer',
    ]);
    await expectShown(
      'Creator program stats clicks / leads / customers / sales / lead-to-sale rate / commissions',
      async () => {
        const st = await must(brand.GET('/api/v1/campaigns/{id}/stats', { params: { path: { id: P } } }));
        return [st.clicks, st.leads, st.customers, st.conversions, st.leadToSaleRate, st.commissions.amount];
      },
      [1, 2, 2, 5, 1, '26.00'],
    );
    await expectShown(
      "Brand's subscribers (customer, bound by, sales, revenue)",
      async () =>
        (await must(brand.GET('/api/v1/customers', { params: { query: { campaignId: P } } }))).items
          .map((c) => ('customerId' in c ? [c.customerId, c.attribution, c.sales, c.revenue.amount] : []))
          .sort(),
      [
        [listener, 'coupon', 4, '100.00'],
        [viewer, 'click_id', 1, '25.00'],
      ].sort(),
    );
    await expectShown(
      'What Maya sees of them (customers, sales, revenue, earned; never who they are)',
      async () =>
        (await must(creator.GET('/api/v1/customers'))).items.map((c) =>
          'customers' in c ? [c.customers, c.sales, c.revenue.amount, c.earnings.amount] : ['a customer id!'],
        ),
      [[2, 5, '125.00', '26.00']],
    );
    await expectShown('Maya balance pending / available / paidOut', () => balance(creator), ['0.00', '26.00', '0.00']);
  }

  const wallMs = performance.now() - started;
  log(
    `\n${latencies.length} flows: 202 → operation settled p50 ${percentile(latencies, 50).toFixed(0)} ms, ` +
      `p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`,
  );
  log(`demo wall time ${(wallMs / 1000).toFixed(1)} s`);
  log(
    failures.length === 0
      ? 'EVERY FLOW AND FIGURE IS AS THE STORY SAYS'
      : `NOT AS THE STORY SAYS: ${failures.join('; ')}`,
  );
  return {
    ok: failures.length === 0,
    failures,
    flowLatenciesMs: latencies,
    wallMs,
    campaigns: { summer: A, winter: B },
    influencers: { inf1: ids.inf1, inf2: ids.inf2, inf3: ids.inf3 },
    winterConversionFlow: firstWinterConversion,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ok = await runDemo(process.argv[2] ?? `http://localhost:${process.env.BFF_PORT ?? 8000}`);
  process.exit(ok ? 0 : 1);
}
