/**
 * The BFF in front of a broker that refuses connections, on real PostgreSQL: a command answers 503
 * without revealing internal addresses, and its operation fails instead of staying pending.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { codecs } from '@beacon/contracts';
import { createBus, type MessageBus } from '@beacon/messaging';
import { createMetrics } from '@beacon/service-kit';
import { freshServiceDatabase } from '@beacon/testing';
import { createApp } from '../src/app.js';
import { endpoints } from '../src/contract.js';
import { mountedEndpoints } from '../src/http/endpoint.js';
import { createVerifier } from '../src/http/jwt.js';
import { createPublisher } from '../src/command-gateway.js';
import { createTrackingBatcher } from '../src/tracking/batches.js';
import type { Database } from '../src/db.js';
import { mintDevToken } from '../src/http/dev-token.js';
import { visitorCookies } from '../src/tracking/links.js';
import { migrations } from '../src/migrations.js';

let db: Kysely<Database>;
let bus: MessageBus;
let server: http.Server;
let base: string;

beforeAll(async () => {
  db = await freshServiceDatabase<Database>('beacon_bff_unavailable_test', migrations);
  // Nothing listens on port 9 here: every connection to this "broker" is refused.
  bus = await createBus({ driver: 'websocket', serviceUrl: 'http://127.0.0.1:9', producerName: 'bff-test' });
  const metrics = createMetrics('bff-test');
  const app = createApp({
    db,
    publisher: createPublisher({ bus, db, codecs: codecs() }),
    batcher: createTrackingBatcher({ bus, db, codecs: codecs() }),
    verify: createVerifier({ secret: 's', issuer: 'beacon', audience: 'beacon-bff', algorithms: ['HS256'] }),
    linkSecret: 'l',
    visitors: visitorCookies('l', false),
    trustProxy: false,
    logger: pino({ level: 'silent' }),
    readiness: async () => ({ ready: true, checks: {} }),
    httpSeconds: metrics.httpSeconds,
    deadLetters: async () => [],
    webhookKey: 'a-webhook-key-for-this-test-only-32+',
  });
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await bus.close();
  await db.destroy();
});

it('answers 503 without internal addresses and fails the operation (BROKER_UNAVAILABLE) instead of leaving it pending', async () => {
  const token = await mintDevToken({ sub: 'brand-503', roles: ['brand'], secret: 's' });
  const reply = await fetch(`${base}/api/v1/tracking/events`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'X-Correlation-ID': 'flow-503' },
    body: JSON.stringify({ type: 'impression', campaignId: 'c-1', visitorId: 'v-1' }),
  });
  const text = await reply.text();
  expect(reply.status).toBe(503);
  expect(reply.headers.get('content-type')).toContain('application/problem+json');
  expect(text).not.toMatch(/127\.0\.0\.1|localhost|ws:\/\/|ECONNREFUSED|:9\b/);
  const operation = await db
    .selectFrom('operations')
    .select(['status', 'reason', 'started_by'])
    .where('correlation_id', '=', 'flow-503')
    .executeTakeFirstOrThrow();
  expect(operation).toEqual({ status: 'failed', reason: 'BROKER_UNAVAILABLE', started_by: 'brand:brand-503' });
});

it('fails every request whose events shared the refused batch, batch requests included', async () => {
  const token = await mintDevToken({ sub: 'brand-503b', roles: ['brand'], secret: 's' });
  const post = (path: string, correlationId: string, body: unknown) =>
    fetch(`${base}/api/v1/tracking/${path}`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        'X-Correlation-ID': correlationId,
      },
      body: JSON.stringify(body),
    });
  const replies = await Promise.all([
    post('events', 'flow-503-a', { type: 'impression', campaignId: 'c-1', visitorId: 'v-1' }),
    post('events', 'flow-503-b', { type: 'impression', campaignId: 'c-1', visitorId: 'v-2' }),
    post('events:batch', 'flow-503-c', {
      events: [
        { type: 'impression', campaignId: 'c-1', visitorId: 'v-3' },
        { type: 'impression', campaignId: 'c-2', visitorId: 'v-4' },
      ],
    }),
  ]);
  expect(replies.map((r) => r.status)).toEqual([503, 503, 503]);
  const operations = await db
    .selectFrom('operations')
    .select(['correlation_id', 'status', 'reason'])
    .where('correlation_id', 'like', 'flow-503-%')
    .orderBy('correlation_id')
    .execute();
  expect(operations).toEqual(
    ['a', 'b', 'c'].map((x) => ({ correlation_id: `flow-503-${x}`, status: 'failed', reason: 'BROKER_UNAVAILABLE' })),
  );
});

it('mounts every route of the contract, so the OpenAPI document describes exactly what answers', () => {
  const name = (e: { method: string; path: string }) => `${e.method.toUpperCase()} ${e.path}`;
  expect([...mountedEndpoints()].map(name).sort()).toEqual(Object.values(endpoints).map(name).sort());
});
