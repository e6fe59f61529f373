/**
 * Zero trust inside the fleet, on the real broker and database as `scripts/provision.ts` left them:
 * a service's role may produce and consume only what FLEET_ACCESS says, the broker refuses a client
 * without a token, and a service's database role reaches no other service's database.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import WebSocket from 'ws';
import { FLEET_ACCESS, FLEET_SERVICES, HISTORY_NAMESPACES, retentionPolicyFromEnv } from '@beacon/contracts';
import { createWebSocketBus, newFlowEnvelope, pulsarTopic, toProperties } from '@beacon/messaging';
import { databaseRole, pulsarTokenFile, serviceDatabaseUrl } from '../scripts/lib/secrets.js';

const admin = (process.env.PULSAR_ADMIN_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const ws = admin.replace(/^http/, 'ws');
const tokenOf = (role: string) => readFileSync(pulsarTokenFile(role), 'utf8').trim();

/** The HTTP status the broker's WebSocket service answers an upgrade with (101 when it opens). */
function upgradeStatus(path: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${ws}/ws/v2/${path}`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_req, res) => {
      socket.terminate();
      resolve(res.statusCode ?? 0);
    });
    socket.once('error', (error) => reject(error));
  });
}

const producer = (topic: string) => `producer/persistent/beacon/${topic}`;
const consumer = (topic: string, service: string) => `consumer/persistent/beacon/${topic}/${service}-service`;

describe('Pulsar: each service may do its own job only', () => {
  it('refuses an unauthenticated WebSocket upgrade, and an unauthenticated admin call', async () => {
    expect(await upgradeStatus(producer('tracking/events'))).toBe(401);
    expect(await upgradeStatus(consumer('tracking/events', 'commission'))).toBe(401);
    expect((await fetch(`${admin}/admin/v2/clusters`)).status).toBe(401);
  });

  it("refuses tracking's token when it opens a producer on beacon/commission/events", async () => {
    expect(await upgradeStatus(producer('commission/events'), tokenOf('tracking'))).toBe(403);
    // and through the fleet's own driver: the publish fails, nothing reaches payment's ledger
    const bus = createWebSocketBus({ serviceUrl: admin, token: tokenOf('tracking'), sendTimeoutMs: 3000 });
    try {
      const envelope = newFlowEnvelope({
        messageType: 'commission.CommissionApproved',
        schemaVersion: 'forged',
        producer: 'tracking',
      });
      await expect(
        bus.publish({
          topic: pulsarTopic('commission/events'),
          key: 'inf-1',
          payload: Buffer.from('forged'),
          properties: toProperties(envelope),
        }),
      ).rejects.toThrow(/HTTP 403/);
    } finally {
      await bus.close();
    }
  });

  it('lets every service produce to exactly its own topics and consume exactly its subscriptions', async () => {
    const allTopics = [
      ...new Set(FLEET_SERVICES.flatMap((s) => [...FLEET_ACCESS[s].produces, ...FLEET_ACCESS[s].consumes])),
    ];
    for (const service of FLEET_SERVICES) {
      const token = tokenOf(service);
      const { produces, consumes } = FLEET_ACCESS[service];
      for (const topic of allTopics) {
        expect([service, 'produce', topic, await upgradeStatus(producer(topic), token)]).toEqual([
          service,
          'produce',
          topic,
          produces.includes(topic) ? 101 : 403,
        ]);
        expect([service, 'consume', topic, await upgradeStatus(consumer(topic, service), token)]).toEqual([
          service,
          'consume',
          topic,
          consumes.includes(topic) ? 101 : 403,
        ]);
      }
    }
  });
});

describe('PostgreSQL: each service owns its own database and reaches no other', () => {
  it("refuses commission's role on beacon_payment, and lets it work in its own database", async () => {
    const url = new URL(serviceDatabaseUrl('commission'));
    url.pathname = '/beacon_payment';
    const intruder = new pg.Client({ connectionString: url.toString() });
    await expect(intruder.connect()).rejects.toThrow(/permission denied for database "beacon_payment"/);
    await intruder.end().catch(() => undefined);

    const own = new pg.Client({ connectionString: serviceDatabaseUrl('commission') });
    await own.connect();
    try {
      const { rows } = await own.query<{ user: string; superuser: string }>(
        "SELECT current_user AS user, current_setting('is_superuser') AS superuser",
      );
      expect(rows[0]).toEqual({ user: databaseRole('commission'), superuser: 'off' });
      // it owns its tables (a migration could create them), and cannot create a database or a role
      await own.query('CREATE TABLE IF NOT EXISTS zero_trust_probe (id int)');
      await own.query('DROP TABLE zero_trust_probe');
      await expect(own.query('CREATE DATABASE zero_trust_probe')).rejects.toThrow(/permission denied/);
      await expect(own.query('CREATE ROLE zero_trust_probe')).rejects.toThrow(/permission denied/);
    } finally {
      await own.end();
    }
  });

  it('gives every service database to its own role, with no connect right for anyone else', async () => {
    const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string; owner: string; acl: string }>(
        `SELECT datname, pg_get_userbyid(datdba) AS owner, datacl::text AS acl FROM pg_database
          WHERE datname = ANY($1) ORDER BY datname`,
        [FLEET_SERVICES.map((s) => `beacon_${s}`)],
      );
      expect(rows).toHaveLength(FLEET_SERVICES.length);
      for (const row of rows) {
        const role = row.datname;
        expect(row.owner).toBe(role);
        // only the owner appears in the ACL: no PUBLIC entry ("=c/…"), no other role
        expect(row.acl).toBe(`{${role}=CTc/${role}}`);
      }
    } finally {
      await client.end();
    }
  });
});

describe('Pulsar: the event topics keep their history (retention)', () => {
  it('sets the retention policy on tracking, campaign, commission and payment, and none elsewhere', async () => {
    const headers = { Authorization: `Bearer ${tokenOf('admin')}` };
    // A namespace with no policy of its own answers an empty body.
    const policyOf = async (ns: string) => {
      const reply = await fetch(`${admin}/admin/v2/namespaces/beacon/${ns}/retention`, { headers });
      expect(reply.status).toBe(200);
      const text = await reply.text();
      return text ? (JSON.parse(text) as unknown) : null;
    };
    for (const ns of HISTORY_NAMESPACES) expect(await policyOf(ns)).toEqual(retentionPolicyFromEnv());
    expect(HISTORY_NAMESPACES).toContain('webhook');
    // The BFF's namespace carries only what the BFF itself sends: nothing to replay there.
    expect(await policyOf('bff')).not.toEqual(retentionPolicyFromEnv());
  });
});
