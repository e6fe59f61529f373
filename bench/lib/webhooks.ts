/**
 * The webhook measurement: a local receiver, `endpoints` endpoints of one brand for conversion.recorded,
 * conversions at a fixed rate through the BFF, and, per delivery, the time from the conversion's 202
 * to the delivery's arrival. Each conversion fans out to every endpoint, so the webhook service carries
 * `endpoints` times the rate the rest of the fleet does (a conversion costs the fleet far more than a
 * delivery: at 200 conversions/s this machine's two cores are the limit, not the sender). Beside it the
 * limit: the same receiver taking the same number of signed requests straight from this process, 32
 * at a time (what the sender keeps in flight per replica).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { webhookHeaders, webhookSecretOf } from '@beacon/domain';
import { percentile, type Client } from '../../scripts/lib/client.js';

export interface WebhookFigures {
  sent: number;
  delivered: number;
  /** requests the receiver took: more than delivered when a delivery was retried */
  requests: number;
  deliveriesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  directPerSecond: number;
}

export async function measureWebhooks(
  brand: Client,
  campaignId: string,
  options: { rate: number; seconds: number; endpoints: number; timeoutMs?: number },
): Promise<WebhookFigures> {
  const arrivals = new Map<string, number>();
  let requests = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests += 1;
      const eventId = (JSON.parse(body) as { data?: { eventId?: string } }).data?.eventId;
      const key = `${req.url} ${eventId}`;
      if (eventId && !arrivals.has(key)) arrivals.set(key, performance.now());
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const paths = Array.from({ length: options.endpoints }, (_, i) => `/hook/${i}`);
    for (const path of paths) {
      const hook = await brand.post('/api/v1/webhooks', { url: `${url}${path}`, events: ['conversion.recorded'] });
      if (hook.status !== 201) throw new Error(`registering a bench endpoint: HTTP ${hook.status}`);
    }
    // The endpoints reach the webhook service before the first conversion does.
    await new Promise((r) => setTimeout(r, 2000));

    const sent = new Map<string, number>();
    const perTick = Math.max(1, Math.round(options.rate / 10));
    const ticks = options.seconds * 10;
    const started = performance.now();
    for (let t = 0; t < ticks; t++) {
      const events = Array.from({ length: perTick }, () => ({
        eventId: randomUUID(),
        type: 'conversion',
        campaignId,
        visitorId: `wh-${randomUUID()}`,
        value: { amount: '10.00', currency: 'USD' },
        orderId: `wh-${randomUUID()}`,
      }));
      const reply = await brand.post('/api/v1/tracking/events:batch', { events });
      const at = performance.now();
      if (reply.status === 202) for (const e of events) sent.set(e.eventId, at);
      const next = started + (t + 1) * 100;
      if (next > performance.now()) await new Promise((r) => setTimeout(r, next - performance.now()));
    }
    const deadline = performance.now() + (options.timeoutMs ?? 120_000);
    const expected = [...sent].flatMap(([id, at]) => paths.map((path) => [`${path} ${id}`, at] as const));
    while (expected.some(([key]) => !arrivals.has(key)) && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    const latencies = expected.flatMap(([key, at]) => {
      const arrived = arrivals.get(key);
      return arrived === undefined ? [] : [arrived - at];
    });
    const times = expected.flatMap(([key]) => arrivals.get(key) ?? []);
    const span = (Math.max(...times) - Math.min(...times)) / 1000;
    return {
      sent: expected.length,
      delivered: latencies.length,
      requests,
      deliveriesPerSecond: latencies.length / Math.max(span, 0.001),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      directPerSecond: await direct(`${url}/direct`, expected.length),
    };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** The receiver's own ceiling here: `count` signed requests from this process, 32 in flight. */
async function direct(url: string, count: number): Promise<number> {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const secret = webhookSecretOf('a-bench-key-of-at-least-32-characters', 'bench', 'salt');
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      next += 1;
      const body = JSON.stringify({ type: 'conversion.recorded', data: { eventId: `direct-${next}` } });
      const headers = webhookHeaders(`msg_${next}`, Math.floor(Date.now() / 1000), body, [secret]);
      const answer = await request(url, { method: 'POST', headers, body, dispatcher: agent });
      await answer.body.dump();
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  return count / seconds;
}
