/**
 * Exactly-once under faults, on the real fleet: conversions and impressions stream in while the
 * tracking, commission and payment services are killed with SIGKILL (no shutdown, work lost
 * mid-transaction) and restarted, PostgreSQL is restarted once (every service reconnects by itself),
 * and the Pulsar broker is restarted once. Afterwards every
 * conversion has exactly one commission and one ledger credit, and every impression is stored once
 * and counted once. FAULT_CONVERSIONS / FAULT_IMPRESSIONS scale it (default 2,000 / 20,000).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { ServiceName } from '../../scripts/fleet.js';
import { Client } from '../../scripts/lib/client.js';
import { useFleet } from './fleet-under-test.js';
import type { Schemas } from '@beacon/api-client';

const CONVERSIONS = Number(process.env.FAULT_CONVERSIONS ?? 2_000);
const IMPRESSIONS = Number(process.env.FAULT_IMPRESSIONS ?? 20_000);
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const PG = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

const fleet = useFleet({ bffPort: 18030, opsPortBase: 19130 });

async function scalar(database: string, text: string, values: unknown[]): Promise<number> {
  const client = new pg.Client({ connectionString: `${PG}/${database}` });
  await client.connect();
  try {
    return Number((await client.query(text, values)).rows[0].n);
  } finally {
    await client.end();
  }
}

/** Posts until the BFF answers 202: the same Idempotency-Key on every retry, so a retry has one effect. */
async function deliver(client: Client, path: string, body: unknown): Promise<void> {
  const key = { 'Idempotency-Key': randomUUID() };
  for (let attempt = 0; ; attempt++) {
    try {
      const reply = await client.post(path, body, key);
      if (reply.status === 202) return;
      if (reply.status < 500 && reply.status !== 409)
        throw new Error(`POST ${path} → ${reply.status} ${JSON.stringify(reply.body)}`);
    } catch (error) {
      if (!(error instanceof TypeError) && !String(error).includes('fetch failed')) throw error;
    }
    if (attempt > 600) throw new Error(`POST ${path} never accepted`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describe('exactly once under faults', () => {
  it('kill -9 of tracking, commission and payment, a PostgreSQL restart and a broker restart mid-stream lose and double nothing', async () => {
    const run = randomUUID().slice(0, 8);
    const brandId = `fault-brand-${run}`;
    const influencerId = `fault-inf-${run}`;
    const brand = await Client.as(fleet.baseUrl, brandId, 'brand');
    const influencer = await Client.as(fleet.baseUrl, influencerId, 'influencer');
    const created = await brand.command('/api/v1/campaigns', {
      name: 'Fault',
      landingUrl: 'https://fault.example',
      budget: { amount: '10000000.00', currency: 'USD' },
      commissionRules: [{ event: 'conversion', type: 'fixed', amount: { amount: '1.00', currency: 'USD' } }],
    });
    const campaignId = created.id;
    await influencer.command(`/api/v1/campaigns/${campaignId}/accept`, { acceptedTerms: true });
    const ingest = await Client.ingestFor(fleet.baseUrl, brandId, `fault-ingest-${run}`);

    // Requests: impressions 1,000 per batch, conversions 100 per batch, interleaved.
    const requests: unknown[] = [];
    for (let i = 0; i < IMPRESSIONS; i += 1000) {
      requests.push({
        events: Array.from({ length: Math.min(1000, IMPRESSIONS - i) }, (_, j) => ({
          eventId: `imp-${run}-${i + j}`,
          type: 'impression',
          campaignId,
          influencerId,
          visitorId: `v-${(i + j) % 997}`,
        })),
      });
    }
    for (let i = 0; i < CONVERSIONS; i += 100) {
      requests.splice(Math.floor((i / CONVERSIONS) * requests.length) + 1, 0, {
        events: Array.from({ length: Math.min(100, CONVERSIONS - i) }, (_, j) => ({
          eventId: `conv-${run}-${i + j}`,
          type: 'conversion',
          campaignId,
          influencerId,
          visitorId: `b-${i + j}`,
          value: { amount: '10.00', currency: 'USD' },
          orderId: `o-${run}-${i + j}`,
        })),
      });
    }
    const faults: Record<number, () => Promise<void>> = {};
    const killAndRestart = (service: ServiceName) => async () => {
      await fleet.kill(service);
      await new Promise((r) => setTimeout(r, 1000));
      await fleet.restart(service);
    };
    const at = (fraction: number) => Math.floor(requests.length * fraction);
    faults[at(0.2)] = killAndRestart('tracking');
    faults[at(0.4)] = killAndRestart('commission');
    faults[at(0.5)] = async () => {
      // Every connection of every service drops at once; nobody is told, nobody is restarted.
      const cluster = readdirSync('/etc/postgresql')[0] ?? '15';
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', cluster, 'main', 'restart'], { stdio: 'ignore' });
    };
    faults[at(0.6)] = killAndRestart('payment');
    faults[at(0.8)] = async () => {
      execFileSync(join(root, 'scripts/pulsar.sh'), ['stop'], { stdio: 'ignore' });
      execFileSync(join(root, 'scripts/pulsar.sh'), ['start'], { stdio: 'ignore' });
    };
    for (const [index, body] of requests.entries()) {
      await deliver(ingest, '/api/v1/tracking/events:batch', body);
      await faults[index]?.();
    }

    const inCampaign = [campaignId];
    const total = IMPRESSIONS + CONVERSIONS;
    await until(
      'tracking to store every event',
      async () =>
        (await scalar(
          'beacon_tracking',
          'SELECT count(*) AS n FROM tracking_events WHERE campaign_id = $1',
          inCampaign,
        )) >= total,
      900_000,
    );
    await until(
      'payment to credit every conversion',
      async () =>
        (await scalar(
          'beacon_payment',
          "SELECT count(*) AS n FROM ledger_entries WHERE influencer_id = $1 AND kind = 'commission_credit'",
          [influencerId],
        )) >= CONVERSIONS,
      900_000,
    );
    await until(
      'the BFF to count every event',
      async () =>
        (await scalar(
          'beacon_bff',
          'SELECT coalesce(sum(impressions + conversions), 0) AS n FROM rm_stats WHERE campaign_id = $1',
          inCampaign,
        )) >= total,
      900_000,
    );
    // Let redeliveries that are still in flight arrive: a doubled effect would show after this.
    await new Promise((r) => setTimeout(r, 5000));

    expect({
      stored: await scalar(
        'beacon_tracking',
        'SELECT count(*) AS n FROM tracking_events WHERE campaign_id = $1',
        inCampaign,
      ),
      storedValid: await scalar(
        'beacon_tracking',
        'SELECT count(*) AS n FROM tracking_events WHERE campaign_id = $1 AND valid AND NOT duplicate',
        inCampaign,
      ),
      // The BFF owns the figures: every event in its read model once, every impression counted once.
      projected: await scalar(
        'beacon_bff',
        'SELECT count(*) AS n FROM rm_tracking_events WHERE campaign_id = $1',
        inCampaign,
      ),
      impressionsCounted: await scalar(
        'beacon_bff',
        'SELECT coalesce(sum(impressions), 0) AS n FROM rm_stats WHERE campaign_id = $1',
        inCampaign,
      ),
      commissions: await scalar(
        'beacon_commission',
        "SELECT count(*) AS n FROM commissions WHERE campaign_id = $1 AND event_type = 'conversion'",
        inCampaign,
      ),
      commissionsApproved: await scalar(
        'beacon_commission',
        "SELECT count(*) AS n FROM commissions WHERE campaign_id = $1 AND event_type = 'conversion' AND status = 'approved'",
        inCampaign,
      ),
      // Commission counts impressions itself (per-mille milestones): each counted once, one decision per 1,000th.
      impressionsCountedByCommission: await scalar(
        'beacon_commission',
        'SELECT coalesce(sum(count), 0) AS n FROM impression_counts WHERE campaign_id = $1',
        inCampaign,
      ),
      milestones: await scalar(
        'beacon_commission',
        "SELECT count(*) AS n FROM commissions WHERE campaign_id = $1 AND event_type = 'impression'",
        inCampaign,
      ),
      ledgerCredits: await scalar(
        'beacon_payment',
        "SELECT count(*) AS n FROM ledger_entries WHERE influencer_id = $1 AND kind = 'commission_credit'",
        [influencerId],
      ),
      ledgerTotalMinor: await scalar(
        'beacon_payment',
        'SELECT coalesce(sum(amount_minor), 0) AS n FROM ledger_entries WHERE influencer_id = $1',
        [influencerId],
      ),
    }).toEqual({
      stored: total,
      storedValid: total,
      projected: total,
      impressionsCounted: IMPRESSIONS,
      commissions: CONVERSIONS,
      commissionsApproved: CONVERSIONS,
      impressionsCountedByCommission: IMPRESSIONS,
      milestones: Math.floor(IMPRESSIONS / 1000),
      ledgerCredits: CONVERSIONS,
      ledgerTotalMinor: CONVERSIONS * 100,
    });
    const stats = await brand.get(`/api/v1/campaigns/${campaignId}/stats`);
    expect(stats.body).toMatchObject({
      impressions: IMPRESSIONS,
      conversions: CONVERSIONS,
      invalidEvents: 0,
      commissions: { amount: `${CONVERSIONS}.00`, currency: 'USD' },
    });
    const balance = await influencer.get<Schemas['Balance']>('/api/v1/balance');
    expect(balance.body.balances).toEqual([
      expect.objectContaining({ available: { amount: `${CONVERSIONS}.00`, currency: 'USD' } }),
    ]);
  }, 1_800_000);
});
