/**
 * Scale: two replicas of the campaign service share one Key_Shared subscription on the real broker
 * and one database. Reservations for many campaigns arrive at once; each campaign's budget must
 * come out exact (per-key order and no doubled effects), and both replicas must have done work.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { codecs } from '@beacon/contracts';
import { buildMessage, createWebSocketBus, pulsarAuthHeaders } from '@beacon/messaging';
import { startService, type RunningService } from '@beacon/service-kit';
import { eventually, USD } from '@beacon/testing';
import { stateFromJson } from '../src/campaign.js';
import type { Database } from '../src/db.js';
import { campaignService } from '../src/service.js';
import { defined } from '@beacon/domain';

const admin = process.env.PULSAR_ADMIN_URL ?? 'http://127.0.0.1:8080';
// A tenant of its own: fresh topics and subscriptions for every run, removed afterwards.
const tenant = `replicas-${randomUUID().slice(0, 8)}`;
const env = {
  ...process.env,
  PULSAR_TENANT: tenant,
  CAMPAIGN_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/beacon_campaign_replicas_test',
  LOG_LEVEL: 'silent',
};
const replicas: RunningService<Database>[] = [];
// Every context: services register all topic schemas at startup.
const NAMESPACES = ['bff', 'campaign', 'tracking', 'commission', 'payment'];

async function adminCall(method: string, path: string, body?: unknown) {
  const res = await fetch(`${admin}/admin/v2/${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...pulsarAuthHeaders() },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok && res.status !== 409 && res.status !== 404)
    throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

beforeAll(async () => {
  const pg = new (await import('pg')).default.Client({
    connectionString: 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  await pg.connect();
  await pg.query('DROP DATABASE IF EXISTS beacon_campaign_replicas_test WITH (FORCE)');
  await pg.end();
  await adminCall('PUT', `tenants/${tenant}`, { allowedClusters: ['standalone'] });
  for (const ns of NAMESPACES) await adminCall('PUT', `namespaces/${tenant}/${ns}`);
  for (const port of [0, 0])
    replicas.push(
      await startService(campaignService, {
        env: { ...env, OPS_PORT: String(port) },
        exitOnSignal: false,
        logger: pino({ level: 'silent' }),
      }),
    );
}, 60_000);

afterAll(async () => {
  for (const r of replicas) await r.stop();
  // Best effort: a broker that forbids forced deletion keeps the (small) tenant.
  await adminCall('DELETE', `tenants/${tenant}?force=true`).catch((error: Error) =>
    console.warn(`left tenant ${tenant}: ${error.message}`),
  );
}, 60_000);

it('two replicas share the work without overspending or doubling any reservation', async () => {
  const bus = createWebSocketBus({ serviceUrl: admin });
  const send = (
    messageType: 'campaign.CreateCampaign' | 'commission.CommissionCalculated',
    key: string,
    value: unknown,
  ) => {
    const { message } = buildMessage(codecs(), { messageType, key, value, producer: 'test', tenant });
    return bus.publish(message);
  };
  const campaigns = Array.from({ length: 8 }, () => randomUUID());
  await Promise.all(
    campaigns.map((campaignId) =>
      send('campaign.CreateCampaign', campaignId, {
        campaignId,
        brandId: 'b',
        name: 'n',
        landingUrl: 'https://x.example',
        budget: USD(2500),
        commissionRules: [
          { event: 'conversion', type: 'fixed', rate: null, amount: USD(1000), customerDurationMonths: null },
        ],
        visibility: 'open',
        attributionWindowDays: 30,
        holdingPeriodDays: 0,
        influencerIds: [],
      }),
    ),
  );
  const db = defined(replicas[0], 'a replica').db;
  await eventually(
    async () =>
      (await db.selectFrom('campaigns').select('id').where('id', 'in', campaigns).execute()).length === 8
        ? true
        : undefined,
    30_000,
    'campaigns created',
  );
  // Four reservations of 10.00 per 25.00 campaign, each also sent twice under the same message id would be
  // the inbox's job; here every commission id is sent twice as two messages: the ledger must answer once.
  const sends = [];
  for (let i = 0; i < 4; i++) {
    for (const campaignId of campaigns) {
      const value = {
        commissionId: `${campaignId}-${i}`,
        campaignId,
        influencerId: 'inf',
        sourceEventId: randomUUID(),
        eventType: 'conversion',
        attribution: null,
        amount: USD(1000),
      };
      sends.push(
        send('commission.CommissionCalculated', campaignId, value),
        send('commission.CommissionCalculated', campaignId, value),
      );
    }
  }
  await Promise.all(sends);
  const states = await eventually(
    async () => {
      // Reservations first: a campaign row read after them is at least as new (one transaction writes both).
      const reservations = await db
        .selectFrom('reservations')
        .selectAll()
        .where('campaign_id', 'in', campaigns)
        .execute();
      if (reservations.length < 4 * campaigns.length) return undefined;
      const rows = await db.selectFrom('campaigns').select(['id', 'state']).where('id', 'in', campaigns).execute();
      return rows.map((r) => ({
        state: stateFromJson(r.state),
        reserved: reservations.filter((x) => x.campaign_id === r.id),
      }));
    },
    60_000,
    'all reservations answered',
  );
  for (const { state, reserved } of states) {
    expect(state.spent).toBe(2500n);
    expect(state.status).toBe('budget_exhausted');
    // In order per key: 10.00, 10.00, 5.00 capped, then refused.
    const amountOf = (i: number) => reserved.find((r) => r.commission_id === `${state.id}-${i}`)?.amount_minor;
    expect([0, 1, 2, 3].map(amountOf)).toEqual([1000n, 1000n, 500n, 0n]);
  }
  const handled = await Promise.all(
    replicas.map(async (r) =>
      (await r.metrics.consumed.get()).values
        .filter((v) => v.labels.outcome === 'handled')
        .reduce((a, v) => a + v.value, 0),
    ),
  );
  expect(handled.every((n) => n > 0)).toBe(true);
  await bus.close();
}, 120_000);
