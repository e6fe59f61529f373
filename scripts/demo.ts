/**
 * The demo scenario, replayed through the BFF only: a brand, two campaigns, three influencers,
 * impressions, clicks, conversions, a refund, one payout that completes and one that fails.
 * Prints each flow's timeline and checks every amount; returns false when any differs.
 *
 *   npm run demo      (starts the fleet, runs this, stops the fleet)
 *   tsx scripts/demo.ts http://localhost:8000   (against a running fleet)
 */
import { randomUUID } from 'node:crypto';
import { Client, percentile, type Operation } from './lib/client.js';

type Money = { amount: string; currency: string };
const USD = (amount: string): Money => ({ amount, currency: 'USD' });

export interface DemoResult {
  ok: boolean;
  flowLatenciesMs: number[];
  wallMs: number;
  campaigns: { summer: string; winter: string };
  influencers: { inf1: string; inf2: string; inf3: string };
}

export async function runDemo(baseUrl: string, log: (line: string) => void = console.log): Promise<boolean> {
  return (await demo(baseUrl, log)).ok;
}

export async function demo(baseUrl: string, log: (line: string) => void = console.log): Promise<DemoResult> {
  const started = performance.now();
  const run = randomUUID().slice(0, 6);
  const ids = { brand: `brand-${run}`, inf1: `inf-1-${run}`, inf2: `inf-2-${run}`, inf3: `inf-3-${run}` };
  const brand = await Client.as(baseUrl, ids.brand, 'brand');
  const ingest = await Client.ingestFor(baseUrl, ids.brand, `ingest-${run}`);
  const inf1 = await Client.as(baseUrl, ids.inf1, 'influencer');
  const inf2 = await Client.as(baseUrl, ids.inf2, 'influencer');
  const inf3 = await Client.as(baseUrl, ids.inf3, 'influencer');
  const latencies: number[] = [];
  const failures: string[] = [];

  const flow = async (title: string, client: Client, path: string, body?: unknown, expect: Operation['status'] = 'completed') => {
    const result = await client.command(path, body);
    latencies.push(result.ms);
    log(`\n▶ ${title}  [${result.operation.status}${result.operation.reason ? `: ${result.operation.reason}` : ''}, ${result.ms.toFixed(0)} ms]`);
    for (const s of result.operation.steps) log(`    ${s.kind.padEnd(7)} ${s.type.padEnd(34)} ${s.service}`);
    if (result.operation.status !== expect) failures.push(`${title}: expected ${expect}, got ${result.operation.status} ${result.operation.reason ?? ''}`);
    return result;
  };
  // Read models are eventually consistent: poll until the value matches (or 30 s pass), then judge it.
  const settle = async (what: string, read: () => Promise<unknown>, expected: unknown) => {
    const deadline = Date.now() + 30_000;
    let actual = await read();
    while (JSON.stringify(actual) !== JSON.stringify(expected) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      actual = await read();
    }
    check(what, actual, expected);
  };
  const check = (what: string, actual: unknown, expected: unknown) => {
    const same = JSON.stringify(actual) === JSON.stringify(expected);
    log(`  ${same ? '✓' : '✗'} ${what}: ${JSON.stringify(actual)}${same ? '' : ` (expected ${JSON.stringify(expected)})`}`);
    if (!same) failures.push(what);
  };

  log(`Demo run ${run} against ${baseUrl}`);
  const summer = await flow('Brand creates "Summer launch" (100.00 USD; 10% per conversion, 0.25 per click, 2.00 per 1,000 impressions)', brand, '/api/v1/campaigns', {
    name: 'Summer launch', landingUrl: 'https://shop.example/summer', budget: USD('100.00'), visibility: 'open',
    commissionRules: [
      { event: 'conversion', type: 'percent', rate: '10' },
      { event: 'click', type: 'fixed', amount: USD('0.25') },
      { event: 'impression', type: 'per_mille', amount: USD('2.00') },
    ],
  });
  const winter = await flow('Brand creates "Winter teaser" (30.00 USD; 12.00 per conversion; invite only: influencer 3)', brand, '/api/v1/campaigns', {
    name: 'Winter teaser', landingUrl: 'https://shop.example/winter?ref=beacon', budget: USD('30.00'), visibility: 'invite_only',
    commissionRules: [{ event: 'conversion', type: 'fixed', amount: USD('12.00') }], influencerIds: [ids.inf3],
  });
  const A = summer.id;
  const B = winter.id;
  await flow('Influencer 1 joins Summer', inf1, `/api/v1/campaigns/${A}/accept`, { acceptedTerms: true });
  await flow('Influencer 2 joins Summer', inf2, `/api/v1/campaigns/${A}/accept`, { acceptedTerms: true });
  await flow('Influencer 3 joins Winter', inf3, `/api/v1/campaigns/${B}/accept`, { acceptedTerms: true });
  const uninvited = await inf2.post(`/api/v1/campaigns/${B}/accept`, { acceptedTerms: true });
  log('\n▶ Influencer 2 tries the invite-only Winter campaign');
  check('an uninvited influencer cannot even see it (HTTP status)', uninvited.status, 404);

  const at = new Date().toISOString();
  const impressions = Array.from({ length: 1000 }, (_, i) => ({ type: 'impression', campaignId: A, influencerId: ids.inf1, visitorId: `v-${run}-${i % 50}`, occurredAt: at }));
  const batch = await ingest.post('/api/v1/tracking/events:batch', { events: impressions });
  log(`\n▶ 1,000 impressions for influencer 1 in one batch → ${batch.status} accepted ${batch.body.accepted}`);

  const link1 = (await inf1.post(`/api/v1/campaigns/${A}/links`)).body as { url: string };
  const link2 = (await inf2.post(`/api/v1/campaigns/${A}/links`)).body as { url: string };
  const anonymous = new Client(baseUrl);
  const clicks = [await anonymous.get(link1.url), await anonymous.get(link1.url), await anonymous.get(link2.url)];
  const clickId2 = new URL(clicks[2]!.headers.get('location')!).searchParams.get('click_id')!;
  log(`\n▶ 3 clicks on tracking links → ${clicks.map((c) => c.status).join(', ')}; influencer 2's click id ${clickId2}`);

  const conversion = (campaignId: string, orderId: string, amount: string, extra: Record<string, string> = {}) =>
    ({ type: 'conversion', campaignId, visitorId: `buyer-${orderId}`, value: USD(amount), orderId, occurredAt: new Date().toISOString(), ...extra });
  await flow('Conversion of 100.00 on Summer by influencer 1 (explicit)', ingest, '/api/v1/tracking/events', conversion(A, `A1-${run}`, '100.00', { influencerId: ids.inf1 }));
  await flow("Conversion of 50.00 on Summer through influencer 2's click id", ingest, '/api/v1/tracking/events', conversion(A, `A2-${run}`, '50.00', { clickId: clickId2 }));
  let firstWinterConversion = '';
  for (let i = 1; i <= 4; i++) {
    const r = await flow(`Conversion ${i} of 100.00 on Winter by influencer 3`, ingest, '/api/v1/tracking/events', conversion(B, `B${i}-${run}`, '100.00', { influencerId: ids.inf3 }));
    firstWinterConversion ||= r.operation.correlationId;
  }
  await flow('Refund of Summer order A1', ingest, '/api/v1/tracking/events', { type: 'refund', campaignId: A, visitorId: `buyer-A1-${run}`, orderId: `A1-${run}` });

  // Everything downstream of the tracking events is asynchronous: wait until commissions settle.
  const commissionsOf = (c: Client, campaignId: string) => `/api/v1/commissions?campaignId=${campaignId}&limit=500`;
  const settled = (items: Array<{ status: string }>) => items.every((c) => c.status !== 'pending');
  await brand.until<{ items: Array<{ status: string }> }>(commissionsOf(brand, A), (b) => b.items.length === 6 && settled(b.items) && b.items.some((c) => c.status === 'reversed'), 120_000);
  await brand.until<{ items: Array<{ status: string }> }>(commissionsOf(brand, B), (b) => b.items.length === 4 && settled(b.items), 120_000);

  log('\nCommissions and budgets');
  const amounts = async (c: Client, campaignId: string) =>
    ((await c.get(commissionsOf(c, campaignId))).body.items as Array<{ influencerId: string; amount: Money | null; status: string; reason?: string }>)
      .map((x) => `${x.influencerId === ids.inf1 ? 'inf1' : x.influencerId === ids.inf2 ? 'inf2' : 'inf3'} ${x.amount?.amount ?? '-'} ${x.status}${x.reason ? ` ${x.reason}` : ''}`).sort();
  await settle('Summer commissions', () => amounts(brand, A), ['inf1 0.25 approved', 'inf1 0.25 approved', 'inf1 10.00 reversed', 'inf1 2.00 approved', 'inf2 0.25 approved', 'inf2 5.00 approved']);
  await settle('Winter commissions', () => amounts(brand, B), ['inf3 12.00 approved', 'inf3 12.00 approved', 'inf3 12.00 rejected BUDGET_EXHAUSTED', 'inf3 6.00 approved']);
  const budget = async (id: string) => {
    const c = (await brand.get(`/api/v1/campaigns/${id}`)).body;
    return [c.spent.amount, c.remaining.amount, c.status];
  };
  await settle('Summer budget spent / remaining / status', () => budget(A), ['7.75', '92.25', 'active']);
  await settle('Winter budget spent / remaining / status', () => budget(B), ['30.00', '0.00', 'budget_exhausted']);
  await settle('Summer stats impressions / clicks / conversions / revenue / commissions', async () => {
    const stats = (await brand.get(`/api/v1/campaigns/${A}/stats`)).body;
    return [stats.impressions, stats.clicks, stats.conversions, stats.revenue.amount, stats.commissions.amount];
  }, [1000, 3, 2, '50.00', '7.75']);

  log('\nPayouts');
  await flow('Influencer 3 is paid 30.00 by PayPal', inf3, '/api/v1/payouts', { amount: USD('30.00'), method: 'paypal', destination: `inf3-${run}@example.com` });
  await flow('Influencer 2 asks for 5.00 to a failing destination', inf2, '/api/v1/payouts', { amount: USD('5.00'), method: 'paypal', destination: `fail-${run}@example.com` }, 'failed');
  await flow('Influencer 1 asks for more than available', inf1, '/api/v1/payouts', { amount: USD('50.00'), method: 'paypal', destination: `inf1-${run}@example.com` }, 'failed');

  const balance = async (c: Client) => {
    const usd = (await c.get<{ balances: Array<{ pending: Money; available: Money; paidOut: Money }> }>('/api/v1/balance')).body.balances[0];
    return usd ? [usd.pending.amount, usd.available.amount, usd.paidOut.amount] : [];
  };
  await settle('influencer 1 balance pending / available / paidOut', () => balance(inf1), ['0.00', '2.50', '0.00']);
  await settle('influencer 2 balance (failed payout returned)', () => balance(inf2), ['0.00', '5.25', '0.00']);
  await settle('influencer 3 balance after the payout', () => balance(inf3), ['0.00', '0.00', '30.00']);
  await settle('Winter commissions after the payout', () => amounts(brand, B), ['inf3 12.00 paid', 'inf3 12.00 paid', 'inf3 12.00 rejected BUDGET_EXHAUSTED', 'inf3 6.00 paid']);

  const timeline = async () => ((await ingest.get(`/api/v1/operations/${firstWinterConversion}`)).body as Operation).steps;
  await settle('services the conversion passed', async () => [...new Set((await timeline()).map((s) => s.service))].sort(), ['bff', 'campaign', 'commission', 'payment', 'tracking']);
  log('\nThe whole flow of Winter conversion 1, now that it has settled (one correlation id):');
  for (const s of await timeline()) log(`    ${s.kind.padEnd(7)} ${s.type.padEnd(34)} ${s.service}`);

  const wallMs = performance.now() - started;
  log(`\n${latencies.length} flows: 202 → operation settled p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`);
  log(`demo wall time ${(wallMs / 1000).toFixed(1)} s`);
  log(failures.length === 0 ? 'ALL AMOUNTS AS EXPECTED' : `MISMATCHES: ${failures.join('; ')}`);
  return { ok: failures.length === 0, flowLatenciesMs: latencies, wallMs, campaigns: { summer: A, winter: B }, influencers: { inf1: ids.inf1, inf2: ids.inf2, inf3: ids.inf3 } };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ok = await runDemo(process.argv[2] ?? `http://localhost:${process.env.BFF_PORT ?? 8000}`);
  process.exit(ok ? 0 : 1);
}
