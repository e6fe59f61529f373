/** Publish → consume throughput and latency of the websocket driver alone, on the real broker. */
import { randomUUID } from 'node:crypto';
import { createWebSocketBus } from '@beacon/messaging';
import { actAsAdmin } from '../../scripts/lib/secrets.js';

// The bench's topics live in the `test` namespace, which only the admin role may use.
actAsAdmin();

export interface DriverResult {
  messages: number;
  size: number;
  received: number;
  p50Ms: number;
  p99Ms: number;
  publishPerSecond: number;
  endToEndPerSecond: number;
}

export async function measureWebSocketDriver(options: {
  messages: number;
  size: number;
  window: number;
  serviceUrl?: string;
}): Promise<DriverResult> {
  const { messages, size, window } = options;
  const topic = `persistent://${process.env.PULSAR_TENANT ?? 'beacon'}/test/bench-${randomUUID().slice(0, 8)}`;
  const bus = createWebSocketBus({
    serviceUrl: options.serviceUrl ?? process.env.PULSAR_ADMIN_URL ?? 'http://127.0.0.1:8080',
    maxInFlightSends: window,
  });
  const latencies: number[] = [];
  let lastReceived = 0;
  const sub = await bus.subscribe({ topic, subscription: 'bench', receiverQueueSize: 1000 }, async (m) => {
    lastReceived = performance.now();
    latencies.push(lastReceived - Number(m.properties.sentAt));
  });
  const payload = Buffer.alloc(size, 7);
  // Warm-up: open the producer socket so connection setup is not measured.
  await bus.publish({ topic: `${topic}-warmup`, key: 'w', payload, properties: { sentAt: '0' } });
  const firstSent = performance.now();
  let next = 0;
  const sender = async (): Promise<void> => {
    while (next < messages) {
      const i = next++;
      await bus.publish({
        topic,
        key: `key-${i % 64}`,
        payload,
        properties: { sentAt: String(performance.now()), n: String(i) },
      });
    }
  };
  await Promise.all(Array.from({ length: window }, sender));
  const publishSeconds = (performance.now() - firstSent) / 1000;
  const deadline = Date.now() + 60_000;
  while (latencies.length < messages && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await sub.close();
  await bus.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return {
    messages,
    size,
    received: latencies.length,
    p50Ms: pct(50),
    p99Ms: pct(99),
    publishPerSecond: messages / publishSeconds,
    endToEndPerSecond: latencies.length / ((lastReceived - firstSent) / 1000),
  };
}
