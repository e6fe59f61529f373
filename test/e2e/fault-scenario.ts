/**
 * Exactly-once under faults, on the real fleet: conversions and impressions stream in while the
 * services are killed with SIGKILL (no shutdown, work lost mid-transaction) and restarted,
 * PostgreSQL is restarted once (every service reconnects by itself), and the Pulsar broker is
 * restarted once. Afterwards every conversion has exactly one commission and one ledger credit, and
 * every impression is stored once and counted once. FAULT_CONVERSIONS / FAULT_IMPRESSIONS scale it
 * (default 2,000 / 20,000). On one replica per service, tracking, commission and payment are
 * killed; on two, one replica of every service (the BFF and campaign too), while the client spreads
 * its requests over both BFFs, and both replicas of each service must have handled messages.
 * The webhook service is killed too: the brand's endpoint (a receiver in this process, verifying each
 * request with the standardwebhooks package) hears of every approval at least once, and, deduplicated
 * by webhook-id, exactly once.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Fleet, ServiceName } from '../../scripts/fleet.js';
import { Client } from '../../scripts/lib/client.js';
import type { Schemas } from '@beacon/api-client';

const CONVERSIONS = Number(process.env.FAULT_CONVERSIONS ?? 2_000);
const IMPRESSIONS = Number(process.env.FAULT_IMPRESSIONS ?? 20_000);
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const PG = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

async function scalar(database: string, text: string, values: unknown[]): Promise<number> {
  const client = new pg.Client({ connectionString: `${PG}/${database}` });
  await client.connect();
  try {
    return Number((await client.query(text, values)).rows[0].n);
  } finally {
    await client.end();
  }
}

/**
 * Posts until a BFF answers 202: the same Idempotency-Key on every retry, so a retry has one effect.
 * Each attempt goes to the next BFF replica, as a load balancer would send it past a dead one.
 */
let turn = 0;
async function deliver(clients: Client[], path: string, body: unknown): Promise<void> {
  const key = { 'Idempotency-Key': randomUUID() };
  for (let attempt = 0; ; attempt++) {
    try {
      const client = clients[turn++ % clients.length] as Client;
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

/** Messages each replica's log says it handled (`handled` lines), per service, replica 0 first. */
function handledPerReplica(logDir: string, services: ServiceName[], replicas: number): Record<string, number[]> {
  const count = (file: string) => {
    try {
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.includes('"msg":"handled"')).length;
    } catch {
      return 0;
    }
  };
  return Object.fromEntries(
    services.map((s) => [
      s,
      Array.from({ length: replicas }, (_, r) => count(join(logDir, r === 0 ? `${s}.log` : `${s}-${r}.log`))),
    ]),
  );
}

export interface FaultScenario {
  fleet: Fleet;
  replicas: number;
  /** Campaigns the stream is spread over (more keys, so Key_Shared gives every replica some). */
  campaigns: number;
  /** The fleet's own log folder (replicas > 1: where each replica's work is counted). */
  logDir?: string;
}

/** A brand's endpoint: every request kept as (webhook-id, the commission it names, whether it verified). */
async function receiverOf(secret: () => string) {
  const got: Array<{ id: string; commissionId: string; verified: boolean }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      let verified = true;
      try {
        new Webhook(secret()).verify(body, req.headers as Record<string, string>);
      } catch {
        verified = false;
      }
      const parsed = JSON.parse(body) as { data: { id: string } };
      got.push({ id: String(req.headers['webhook-id']), commissionId: parsed.data.id, verified });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    got,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export async function faultScenario({
  fleet,
  replicas,
  campaigns: campaignCount,
  logDir,
}: FaultScenario): Promise<void> {
  {
    const run = randomUUID().slice(0, 8);
    const brandId = `fault-brand-${run}`;
    const influencerId = `fault-inf-${run}`;
    const brand = await Client.as(fleet.baseUrl, brandId, 'brand');
    const influencer = await Client.as(fleet.baseUrl, influencerId, 'influencer');
    const campaignIds: string[] = [];
    for (let c = 0; c < campaignCount; c++) {
      const created = await brand.command('/api/v1/campaigns', {
        name: `Fault ${c}`,
        landingUrl: 'https://fault.example',
        budget: { amount: '10000000.00', currency: 'USD' },
        commissionRules: [{ event: 'conversion', type: 'fixed', amount: { amount: '1.00', currency: 'USD' } }],
      });
      campaignIds.push(created.id);
      await influencer.command(`/api/v1/campaigns/${created.id}/accept`, { acceptedTerms: true });
    }
    const campaignOf = (n: number) => campaignIds[n % campaignCount] as string;
    let secret = '';
    const receiver = await receiverOf(() => secret);
    const hook = await brand.post<{ secret: string; id: string }>('/api/v1/webhooks', {
      url: receiver.url,
      events: ['commission.approved'],
    });
    expect(hook.status).toBe(201);
    secret = hook.body.secret;
    const ingest = await Promise.all(
      fleet.baseUrls.map(async (url) => Client.ingestFor(url, brandId, `fault-ingest-${run}`)),
    );

    // Requests: impressions 1,000 per batch, conversions 100 per batch, interleaved.
    const requests: unknown[] = [];
    for (let i = 0; i < IMPRESSIONS; i += 1000) {
      requests.push({
        events: Array.from({ length: Math.min(1000, IMPRESSIONS - i) }, (_, j) => ({
          eventId: `imp-${run}-${i + j}`,
          type: 'impression',
          campaignId: campaignOf(i + j),
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
          campaignId: campaignOf(i + j),
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
    if (replicas > 1) {
      // The other replica keeps serving: clients go to the second BFF, keys move to the live consumer.
      faults[at(0.3)] = killAndRestart('bff');
      faults[at(0.7)] = killAndRestart('campaign');
    }
    faults[at(0.4)] = killAndRestart('commission');
    faults[at(0.45)] = killAndRestart('webhook');
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

    const inCampaign = [campaignIds];
    const total = IMPRESSIONS + CONVERSIONS;
    await until(
      'tracking to store every event',
      async () =>
        (await scalar(
          'beacon_tracking',
          'SELECT count(*) AS n FROM tracking_events WHERE campaign_id = ANY($1)',
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
          'SELECT coalesce(sum(impressions + conversions), 0) AS n FROM rm_stats WHERE campaign_id = ANY($1)',
          inCampaign,
        )) >= total,
      900_000,
    );
    // Let redeliveries that are still in flight arrive: a doubled effect would show after this.
    await new Promise((r) => setTimeout(r, 5000));

    expect({
      stored: await scalar(
        'beacon_tracking',
        'SELECT count(*) AS n FROM tracking_events WHERE campaign_id = ANY($1)',
        inCampaign,
      ),
      storedValid: await scalar(
        'beacon_tracking',
        'SELECT count(*) AS n FROM tracking_events WHERE campaign_id = ANY($1) AND valid AND NOT duplicate',
        inCampaign,
      ),
      // The BFF owns the figures: every event in its read model once, every impression counted once.
      projected: await scalar(
        'beacon_bff',
        'SELECT count(*) AS n FROM rm_tracking_events WHERE campaign_id = ANY($1)',
        inCampaign,
      ),
      impressionsCounted: await scalar(
        'beacon_bff',
        'SELECT coalesce(sum(impressions), 0) AS n FROM rm_stats WHERE campaign_id = ANY($1)',
        inCampaign,
      ),
      commissions: await scalar(
        'beacon_commission',
        "SELECT count(*) AS n FROM commissions WHERE campaign_id = ANY($1) AND event_type = 'conversion'",
        inCampaign,
      ),
      commissionsApproved: await scalar(
        'beacon_commission',
        "SELECT count(*) AS n FROM commissions WHERE campaign_id = ANY($1) AND event_type = 'conversion' AND status = 'approved'",
        inCampaign,
      ),
      // Commission counts impressions itself (per-mille milestones): each counted once, one decision per 1,000th.
      impressionsCountedByCommission: await scalar(
        'beacon_commission',
        'SELECT coalesce(sum(count), 0) AS n FROM impression_counts WHERE campaign_id = ANY($1)',
        inCampaign,
      ),
      milestones: await scalar(
        'beacon_commission',
        "SELECT count(*) AS n FROM commissions WHERE campaign_id = ANY($1) AND event_type = 'impression'",
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
      // Milestones are per campaign: each campaign's 1,000th impression, 2,000th, …
      milestones: campaignIds.reduce(
        (sum, _, c) => sum + Math.floor(Math.ceil((IMPRESSIONS - c) / campaignCount) / 1000),
        0,
      ),
      ledgerCredits: CONVERSIONS,
      ledgerTotalMinor: CONVERSIONS * 100,
    });
    const figures = { impressions: 0, conversions: 0, invalidEvents: 0, commissions: 0 };
    for (const campaignId of campaignIds) {
      const stats = (
        await brand.get<{
          impressions: number;
          conversions: number;
          invalidEvents: number;
          commissions: { amount: string };
        }>(`/api/v1/campaigns/${campaignId}/stats`)
      ).body;
      figures.impressions += stats.impressions;
      figures.conversions += stats.conversions;
      figures.invalidEvents += stats.invalidEvents;
      figures.commissions += Number(stats.commissions.amount);
    }
    expect(figures).toEqual({
      impressions: IMPRESSIONS,
      conversions: CONVERSIONS,
      invalidEvents: 0,
      commissions: CONVERSIONS,
    });
    // The balance is the BFF's read model of payment's ledger, projected after payment booked it: wait
    // for it (a CI run on two replicas read 1,873.00 of 2,000.00 here; the read model held all 2,000 after).
    const balanceNow = () => influencer.get<Schemas['Balance']>('/api/v1/balance');
    await until(
      'the BFF to show every credit in the balance',
      async () => (await balanceNow()).body.balances[0]?.available.amount === `${CONVERSIONS}.00`,
      120_000,
    ).catch(() => undefined);
    const balance = await balanceNow();
    expect(balance.body.balances).toEqual([
      expect.objectContaining({ available: { amount: `${CONVERSIONS}.00`, currency: 'USD' } }),
    ]);
    // Every approval reached the endpoint: at least once, and once per webhook-id (a resend after the
    // kill -9 reuses the id of the delivery it resends).
    await until(
      'the endpoint to hear of every approval',
      async () => new Set(receiver.got.map((r) => r.commissionId)).size >= CONVERSIONS,
      300_000,
    ).catch(() => undefined);
    await receiver.close();
    const ids = new Map<string, Set<string>>();
    for (const r of receiver.got) ids.set(r.id, (ids.get(r.id) ?? new Set()).add(r.commissionId));
    console.log(`webhook requests: ${receiver.got.length} for ${ids.size} webhook-ids`);
    expect({
      commissionsHeardOf: new Set(receiver.got.map((r) => r.commissionId)).size,
      webhookIds: ids.size,
      idsNamingMoreThanOneCommission: [...ids.values()].filter((c) => c.size > 1).length,
      unverified: receiver.got.filter((r) => !r.verified).length,
    }).toEqual({
      commissionsHeardOf: CONVERSIONS,
      webhookIds: CONVERSIONS,
      idsNamingMoreThanOneCommission: 0,
      unverified: 0,
    });
    if (replicas > 1 && logDir) {
      const handled = handledPerReplica(
        logDir,
        ['bff', 'campaign', 'tracking', 'commission', 'payment', 'webhook'],
        replicas,
      );
      console.log(`messages handled per replica: ${JSON.stringify(handled)}`);
      for (const [service, perReplica] of Object.entries(handled))
        expect({ service, everyReplicaWorked: perReplica.every((n) => n > 0) }).toEqual({
          service,
          everyReplicaWorked: true,
        });
    }
  }
}
