/**
 * The console in a real browser (Debian's chromium, driven by playwright-core) against a real fleet.
 * Every page it visits is written to artifacts/screenshots/ on every run, for a reviewer to look at.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { mintDevToken } from '@beacon/bff-service/dev-token';
import { useFleet } from '../e2e/fleet-under-test.js';
import { defined } from '@beacon/domain';
import { Client } from '../../scripts/lib/client.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36';
const SHOTS = join(process.cwd(), 'artifacts', 'screenshots');
// As root on a closed network: no sandbox, and none of Chromium's background connections.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

const fleet = useFleet({ bffPort: 18700, opsPortBase: 19700 });
const run = randomUUID().slice(0, 6);
const brandId = `brand-${run}`;
const influencerId = `influencer-${run}`;
const CAMPAIGN = `Winter launch ${run}`;
let browser: Browser;
let brand: { context: BrowserContext; page: Page };
let influencer: { context: BrowserContext; page: Page };
let campaignId = '';
let trackingLink = '';
let conversionFlow = '';

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true, animations: 'disabled' });
}

async function signIn(role: 'brand' | 'influencer' | 'admin', id: string, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, baseURL: fleet.baseUrl });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: fleet.baseUrl });
  const page = await context.newPage();
  await page.goto('/app/');
  await page.getByRole('form', { name: 'development sign-in' }).waitFor();
  await page.getByLabel('Role').selectOption(role);
  await page.getByLabel('Id', { exact: true }).fill(id);
  await page.getByRole('button', { name: `Sign in as ${role}` }).click();
  await page.getByText(id, { exact: true }).waitFor();
  return { context, page };
}

/** Reloads the data a page shows (its Refresh button) until `check` holds. */
async function refreshUntil(page: Page, check: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.getByRole('button', { name: 'Refresh' }).first().click();
    await page.waitForTimeout(700);
  }
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe('the console in a browser', () => {
  it('a brand creates a campaign, watches its flow complete and sees it go active', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: fleet.baseUrl });
    const first = await context.newPage();
    await first.goto('/app/');
    await first.getByRole('form', { name: 'development sign-in' }).waitFor();
    await shot(first, '01-sign-in');
    await context.close();

    brand = await signIn('brand', brandId);
    const { page } = brand;
    await page.getByText('No campaigns yet').waitFor();
    await shot(page, '02-brand-no-campaigns');
    await page.getByRole('button', { name: 'New campaign' }).click();
    await page.getByLabel('Name').fill(CAMPAIGN);
    await page.getByLabel('Landing URL').fill('https://shop.example/winter');
    await page.getByLabel('Budget').fill('500.00');
    await page.getByLabel('rule 1 kind').selectOption('conversion-fixed');
    await page.getByLabel('rule 1 value').fill('5.00');
    await page.getByRole('button', { name: 'Add a rule' }).click();
    await page.getByLabel('rule 2 value').fill('0.25');
    await page.getByLabel('Invite influencers (ids, comma separated)').fill(influencerId);

    // A rule the API refuses shows the API's own validation message.
    await page.getByLabel('rule 2 value').fill('abc');
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('commissionRules');
    await shot(page, '03-new-campaign-validation');
    await page.getByLabel('rule 2 value').fill('0.25');
    await page.getByRole('button', { name: 'Create campaign' }).click();

    const timeline = page.getByRole('region', { name: 'operation timeline' });
    await timeline
      .locator('[data-status="completed"]')
      .or(page.locator('section.timeline[data-status="completed"]'))
      .first()
      .waitFor({ timeout: 30_000 });
    expect(await timeline.locator('.step .type').allTextContents()).toEqual(
      expect.arrayContaining(['CreateCampaign', 'CampaignCreated']),
    );
    await shot(page, '04-campaign-created-timeline');

    await page.getByRole('button', { name: 'Open the campaign' }).click();
    await page.getByTestId('campaign-status').waitFor();
    campaignId = decodeURIComponent(page.url().split('#/campaigns/')[1] ?? '');
    expect(await page.getByTestId('campaign-status').textContent()).toBe('active');
    await page.goto('/app/#/campaigns');
    await page.locator('.card', { hasText: CAMPAIGN }).locator('.pill', { hasText: 'active' }).waitFor();
    await shot(page, '05-brand-campaigns');
  }, 120_000);

  it('an influencer accepts the invitation and copies a tracking link', async () => {
    influencer = await signIn('influencer', influencerId);
    const { page } = influencer;
    await page.locator('.card', { hasText: CAMPAIGN }).click();
    await page.getByRole('button', { name: 'Accept the invitation' }).click();
    await page.locator('section.timeline[data-status="completed"]').waitFor({ timeout: 30_000 });
    await refreshUntilAccepted(page);
    await page.getByRole('button', { name: 'Make a tracking link' }).click();
    trackingLink = (await page.getByTestId('tracking-link').textContent()) ?? '';
    expect(trackingLink).toMatch(new RegExp(`^${fleet.baseUrl}/c/[A-Za-z0-9._-]+$`));
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(trackingLink);
    await shot(page, '06-influencer-link');
  }, 90_000);

  it('a click on the link and a conversion show up on the brand chart', async () => {
    // a visitor's browser (node's own user agent is a bot's, and records nothing)
    const click = await fetch(trackingLink, { redirect: 'manual', headers: { 'user-agent': BROWSER_UA } });
    expect(click.status).toBe(302);
    const clickId = new URL(defined(click.headers.get('location'), 'the redirect')).searchParams.get('click_id');
    expect(clickId).toBeTruthy();
    const token = await mintDevToken({ sub: brandId, roles: ['brand'] });
    const sent = await fetch(`${fleet.baseUrl}/api/v1/tracking/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        type: 'conversion',
        campaignId,
        clickId,
        visitorId: 'v-browser',
        value: { amount: '80.00', currency: 'USD' },
        orderId: `o-${run}`,
      }),
    });
    expect(sent.status).toBe(202);
    conversionFlow = ((await sent.json()) as { correlationId: string }).correlationId;

    const { page } = brand;
    await page.goto(`/app/#/campaigns/${encodeURIComponent(campaignId)}`);
    await page.locator('[data-kpi="conversions"]').waitFor();
    await refreshUntil(
      page,
      async () =>
        (await page.locator('[data-kpi="conversions"]').textContent()) === '1' &&
        (await page.locator('[data-kpi="clicks"]').textContent()) === '1',
      'the click and the conversion in the stats',
    );
    await refreshUntil(
      page,
      async () => (await page.locator('[data-kpi="commissions"]').textContent())?.startsWith('5.25') === true,
      'both commissions approved',
    );
    expect(await page.locator('.recharts-bar-rectangle').count()).toBeGreaterThan(0);
    await page
      .locator('table tr', { hasText: influencerId })
      .locator('.pill', { hasText: 'approved' })
      .first()
      .waitFor();
    // The spent budget comes from campaign events, the commissions from commission events: two
    // subscriptions of the BFF, each in order but not with each other, so the budget may show a moment later.
    await refreshUntil(
      page,
      async () => (await page.locator('.budget span').first().textContent())?.includes('5.25 / 500.00 USD') === true,
      'both reservations in the spent budget',
    );
    await shot(page, '07-brand-campaign-chart');
  }, 90_000);

  it('the live timeline of the conversion lists its services in causal order', async () => {
    const { page } = brand;
    await page.goto(`/app/#/flows/${encodeURIComponent(conversionFlow)}`);
    const steps = page.locator('section.timeline .step');
    await page.locator('section.timeline .step', { hasText: 'LedgerEntryRecorded' }).waitFor({ timeout: 30_000 });
    const rows = await steps.evaluateAll((items) =>
      items.map((li) => `${li.querySelector('.service')?.textContent} ${li.querySelector('.type')?.textContent}`),
    );
    const order = [
      'bff RecordTrackingEvents',
      'tracking TrackingEventsRecorded',
      'commission CommissionCalculated',
      'campaign BudgetReserved',
      'commission CommissionApproved',
      'payment LedgerEntryRecorded',
    ];
    expect(rows.filter((r) => order.includes(r))).toEqual(order);
    await shot(page, '08-conversion-timeline');
  }, 60_000);

  it('an influencer requests a payout and watches it complete', async () => {
    const { page } = influencer;
    await page.goto('/app/#/earnings');
    await refreshUntil(
      page,
      async () =>
        (await page
          .getByTestId('available-USD')
          .textContent()
          .catch(() => '')) === '5.25 USD',
      'the available balance',
    );
    await shot(page, '09-influencer-earnings');
    await page.getByLabel('Amount').fill('5.25');
    await page.getByLabel('Destination').fill(`${influencerId}@example.com`);
    await page.getByRole('button', { name: 'Request payout' }).click();
    await page.locator('section.timeline[data-status="completed"]').waitFor({ timeout: 30_000 });
    await refreshUntil(
      page,
      async () => (await page.locator('tr[data-payout] .pill').first().textContent()) === 'completed',
      'the payout completed',
    );
    expect(await page.getByTestId('available-USD').textContent()).toBe('0.00 USD');
    await shot(page, '10-payout-completed');
  }, 90_000);

  it('a coupon code the brand makes brings a lead and a customer: funnel, customers and attribution show it', async () => {
    const code = `WINTER-${run}`.toUpperCase();
    const { page } = brand;
    await page.goto(`/app/#/campaigns/${encodeURIComponent(campaignId)}`);
    await page.getByLabel('coupon code', { exact: true }).fill(code);
    expect(await page.getByLabel('coupon influencer').inputValue()).toBe(influencerId);
    await page.getByRole('button', { name: 'Create code' }).click();
    await page.locator('section.timeline[data-status="completed"]').first().waitFor({ timeout: 30_000 });
    await refreshUntil(
      page,
      async () => page.locator(`tr[data-coupon="${code}"]`).isVisible(),
      'the new code in the list',
    );

    // The influencer sees its code beside its tracking link.
    const mine = influencer.page;
    await mine.goto(`/app/#/campaigns/${encodeURIComponent(campaignId)}`);
    await mine.getByRole('button', { name: 'Make a tracking link' }).click();
    await mine.getByTestId('tracking-link').waitFor();
    await mine.locator(`tr[data-coupon="${code}"]`).locator('.pill', { hasText: 'active' }).waitFor();
    await shot(mine, '14-influencer-link-and-code');

    // A sign-up read from the code (no click), then the same customer buys with neither code nor click.
    const customerId = `cus-${run}`;
    const token = await mintDevToken({ sub: brandId, roles: ['brand'] });
    for (const event of [
      { type: 'lead', campaignId, visitorId: 'v-podcast', customerId, couponCode: code.toLowerCase() },
      {
        type: 'conversion',
        campaignId,
        visitorId: 'v-podcast',
        customerId,
        value: { amount: '40.00', currency: 'USD' },
        orderId: `o2-${run}`,
      },
    ]) {
      const sent = await fetch(`${fleet.baseUrl}/api/v1/tracking/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(event),
      });
      expect([sent.status, await sent.text()]).toEqual([202, expect.any(String)]);
    }

    await page.getByRole('button', { name: 'Refresh' }).first().click();
    const funnel = async () =>
      Promise.all(
        ['clicks', 'leads', 'customers', 'sales'].map(
          async (step) => (await page.locator(`[data-funnel="${step}"] strong`).textContent()) ?? '',
        ),
      );
    await refreshUntil(
      page,
      async () => (await funnel()).join(' ') === '1 1 1 2',
      'clicks 1, leads 1, customers 1, sales 2',
    );
    await refreshUntil(
      page,
      async () =>
        (await page.locator(`tr[data-customer="${customerId}"]`).textContent())?.includes('40.00 USD') === true,
      'the customer and its sale',
    );
    const customer = page.locator(`tr[data-customer="${customerId}"] td`);
    expect(await customer.allTextContents()).toEqual(
      expect.arrayContaining([customerId, influencerId, 'coupon', '1', '40.00 USD']),
    );
    await refreshUntil(
      page,
      async () => (await page.locator('td[data-field="attribution"]').allTextContents()).includes('customer'),
      'the sale attributed by the customer binding',
    );
    expect(await page.locator('td[data-field="attribution"]').allTextContents()).toEqual(
      expect.arrayContaining(['coupon', 'customer', 'click id']),
    );
    await shot(page, '15-brand-funnel-customers-codes');

    await page.getByRole('button', { name: `deactivate ${code}` }).click();
    await page.locator('section.timeline[data-status="completed"]').first().waitFor({ timeout: 30_000 });
    await refreshUntil(
      page,
      async () => (await page.locator(`tr[data-coupon="${code}"] .pill`).textContent()) === 'deactivated',
      'the code deactivated',
    );
    await shot(page, '16-brand-code-deactivated');

    // The influencer sees how many customers it brought and what they earned it, never who they are.
    await mine.goto('/app/#/earnings');
    const summary = mine.locator(`tr[data-customer-summary="${campaignId}"]`);
    await refreshUntil(
      mine,
      async () =>
        (await summary
          .locator('[data-field="earnings"]')
          .textContent()
          .catch(() => '')) === '5.00 USD',
      'the customer summary with the sale’s commission',
    );
    expect(await summary.locator('[data-field="customers"]').textContent()).toBe('1');
    expect(await summary.locator('[data-field="sales"]').textContent()).toBe('1');
    expect(await mine.locator('.customers').textContent()).not.toContain(customerId);
    await shot(mine, '17-influencer-customers');
  }, 120_000);

  it('a held commission waits in the brand’s review queue with why; approved there, the influencer is credited', async () => {
    const api = await Client.as(fleet.baseUrl, brandId, 'brand');
    const them = await Client.as(fleet.baseUrl, influencerId, 'influencer');
    const created = await api.command('/api/v1/campaigns', {
      name: `Reviewed ${run}`,
      landingUrl: 'https://shop.example/reviewed',
      budget: { amount: '300.00', currency: 'USD' },
      commissionRules: [{ event: 'conversion', type: 'percent', rate: '10' }],
      review: { thresholdAmount: { amount: '20.00', currency: 'USD' }, reviewDays: 7, signals: ['BOT_USER_AGENT'] },
    });
    await them.command(`/api/v1/campaigns/${created.id}/accept`, { acceptedTerms: true });
    const sale = (value: string, userAgent: string) => ({
      type: 'conversion',
      campaignId: created.id,
      influencerId,
      visitorId: `v-${randomUUID()}`,
      value: { amount: value, currency: 'USD' },
      orderId: `o-${randomUUID()}`,
      userAgent,
    });
    await api.command('/api/v1/tracking/events', sale('250.00', BROWSER_UA));
    await api.command('/api/v1/tracking/events', sale('30.00', 'Googlebot/2.1 (+http://www.google.com/bot.html)'));

    const { page } = brand;
    await page.goto('/app/#/review');
    const rows = page.locator('section.review-queue tr[data-commission]');
    await refreshUntil(page, async () => (await rows.count()) === 2, 'two held commissions in the queue');
    const reasons = await page.locator('section.review-queue td[data-field="reason"]').allTextContents();
    expect(reasons.map((r) => r.split('approved by itself')[0])).toEqual(
      expect.arrayContaining(['THRESHOLD', 'BOT_USER_AGENT']),
    );
    await shot(page, '18-brand-review-queue');

    const big = rows.filter({ hasText: 'THRESHOLD' });
    await big.getByRole('button', { name: 'Approve' }).click();
    await page.locator('section.timeline[data-status="completed"]').first().waitFor({ timeout: 30_000 });
    await refreshUntil(page, async () => (await rows.count()) === 1, 'the approved commission leaving the queue');
    await page.getByLabel('rejection reason').fill('bot traffic from a link preview');
    await rows.first().getByRole('button', { name: 'Reject' }).click();
    await refreshUntil(page, async () => (await rows.count()) === 0, 'the rejected commission leaving the queue');
    await page.getByLabel('commission status').selectOption('');
    await refreshUntil(
      page,
      async () =>
        (await page.locator('section.review-queue td[data-field="reason"]').allTextContents()).some((r) =>
          r.startsWith('bot traffic from a link preview'),
        ),
      'the rejection with the brand’s words',
    );
    await shot(page, '19-brand-review-decided');

    // The influencer saw them held by category only, and now the approved 25.00 is in its commissions.
    const mine = await them.until<{ items: Array<{ status: string; reason?: string; reasons?: string[] }> }>(
      `/api/v1/commissions?campaignId=${created.id}`,
      (p) => p.items.some((c) => c.status === 'approved'),
    );
    expect(JSON.stringify(mine.items)).not.toMatch(/BOT_USER_AGENT|THRESHOLD/);
    expect(mine.items.find((c) => c.status === 'approved')?.reasons).toEqual(['AMOUNT_REVIEW']);
  }, 120_000);

  it('a brand adds a webhook endpoint, sees its secret once, sends a test and reads the delivery log', async () => {
    const { page } = brand;
    await page.goto('/app/#/webhooks');
    // Development delivers to loopback: nothing listens on port 9, so the test delivery fails and is retried.
    await page.getByLabel('endpoint url').fill('http://127.0.0.1:9/hooks');
    await page.getByLabel('commission.held').check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = await page.getByTestId('webhook-secret').textContent();
    expect(secret).toMatch(/^whsec_/);
    const row = page.locator('tr[data-webhook]').first();
    await refreshUntil(page, async () => row.isVisible(), 'the new endpoint');
    expect(await row.textContent()).toContain('commission.approved, commission.held');
    await shot(page, '20-brand-webhook-created');
    await row.getByRole('button', { name: 'Send test' }).click();
    await page.locator('section.timeline[data-status="completed"]').first().waitFor({ timeout: 30_000 });
    await row.getByRole('button', { name: 'Deliveries' }).click();
    const delivery = page.locator('tr[data-delivery]').first();
    await refreshUntil(
      page,
      async () =>
        Number(
          (await delivery
            .locator('[data-field="attempts"]')
            .textContent()
            .catch(() => '0')) ?? 0,
        ) >= 1,
      'the test delivery attempted',
    );
    expect(await delivery.textContent()).toContain('webhook.test');
    await shot(page, '21-brand-webhook-deliveries');
    // Reloaded, the page never shows the secret again.
    await page.reload();
    await page.locator('tr[data-webhook]').first().waitFor();
    expect(await page.content()).not.toContain(defined(secret, 'the secret'));
  }, 120_000);

  it('a brand tries new terms on its campaign: what they would have paid, beside what was paid, per day', async () => {
    const { page } = brand;
    await page.goto(`/app/#/campaigns/${encodeURIComponent(campaignId)}`);
    const panel = page.getByRole('region', { name: 'try new terms' });
    await panel.waitFor();
    // The campaign pays 5.00 a conversion: try 9.00.
    await panel.getByLabel('proposed rule 1 amount').fill('9.00');
    await panel.getByRole('button', { name: 'Run' }).click();
    await panel.getByTestId('backtest-table').waitFor({ timeout: 120_000 });
    const money = async (id: string) => Number(((await panel.getByTestId(id).textContent()) ?? '').split(' ')[0]);
    const actual = await money('actual-total');
    expect(actual).toBeGreaterThan(0);
    // Every conversion pays 4.00 more; the clicks pay as they did.
    expect(await money('proposed-total')).toBeGreaterThan(actual);
    await panel.scrollIntoViewIfNeeded();
    await shot(page, '22-brand-try-new-terms');
    await panel.screenshot({ path: join(SHOTS, '23-try-new-terms-panel.png'), animations: 'disabled' });
  }, 180_000);

  it('works at phone width, and an admin sees every tenant and the dead-letter topics', async () => {
    const phone = await signIn('brand', brandId, { width: 390, height: 844 });
    await phone.page.locator('.card', { hasText: CAMPAIGN }).waitFor();
    const overflow = await phone.page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(phone.page, '11-phone-campaigns');
    await phone.context.close();

    const admin = await signIn('admin', `admin-${run}`);
    await admin.page.locator('.card', { hasText: CAMPAIGN }).waitFor();
    await admin.page.getByRole('link', { name: 'Dead letters' }).click();
    await admin.page.locator('table td', { hasText: 'tracking/command-batches' }).first().waitFor();
    await shot(admin.page, '12-admin-dead-letters');
    await admin.context.close();
  }, 60_000);

  it('renders the API document at /docs with Redoc, offline, under its content security policy', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: fleet.baseUrl });
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && refused.push(m.text())));
    const answer = await page.goto('/docs');
    expect(answer?.headers()['content-security-policy']).toContain("script-src 'self'");
    // Redoc draws each operation from /openapi.json: these come from the contract, not the page.
    await page.getByRole('heading', { name: 'Create a campaign' }).first().waitFor({ timeout: 30_000 });
    await page.getByText('Idempotency-Key').first().waitFor();
    // Nothing the page needs is refused; Redoc's "by Redocly" logo comes from a CDN, and the policy blocks it.
    const blocked = refused.filter((t) => /Content Security Policy|Refused/i.test(t));
    expect(blocked.filter((t) => !t.startsWith('Loading the image'))).toEqual([]);
    // The document is tens of thousands of pixels long: the first screen is what a reader looks at.
    await page.screenshot({ path: join(SHOTS, '13-api-docs.png'), animations: 'disabled' });
    await context.close();
  }, 60_000);
});

async function refreshUntilAccepted(page: Page) {
  const deadline = Date.now() + 20_000;
  while (!(await page.getByRole('button', { name: 'Make a tracking link' }).isVisible())) {
    if (Date.now() > deadline) throw new Error('the acceptance never reached the campaign page');
    await page.reload();
    await page.getByTestId('campaign-status').waitFor();
  }
}
