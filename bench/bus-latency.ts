/**
 * Publish → consume latency and throughput of the websocket driver on the real broker.
 *
 *   pnpm bench [-- --messages 5000 --size 1024 --window 100]
 *
 * Messages carry their send time as a property; the Key_Shared consumer records now − sent.
 * `--window` bounds the sends in flight (the outbox relay pipelines much like this).
 */
import { randomUUID } from 'node:crypto';
import { createWebSocketBus } from '@beacon/messaging';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const messages = arg('messages', 5000);
const size = arg('size', 1024);
const window = arg('window', 100);
const serviceUrl = process.env.PULSAR_ADMIN_URL ?? 'http://127.0.0.1:8080';
const topic = `persistent://beacon/test/bench-${randomUUID().slice(0, 8)}`;
const bus = createWebSocketBus({ serviceUrl, maxInFlightSends: window });
const latencies: number[] = [];
let firstSent = 0;
let lastReceived = 0;

const sub = await bus.subscribe({ topic, subscription: 'bench', receiverQueueSize: 1000 }, async (m) => {
  lastReceived = performance.now();
  latencies.push(lastReceived - Number(m.properties.sentAt));
});

const payload = Buffer.alloc(size, 7);
// Warm-up: open the producer socket so connection setup is not measured.
await bus.publish({ topic: `${topic}-warmup`, key: 'w', payload, properties: { sentAt: '0' } });
firstSent = performance.now();
// Keep `window` sends in flight, stamping each when it is really handed to the socket.
let next = 0;
async function sender(): Promise<void> {
  while (next < messages) {
    const i = next++;
    await bus.publish({ topic, key: `key-${i % 64}`, payload, properties: { sentAt: String(performance.now()), n: String(i) } });
  }
}
await Promise.all(Array.from({ length: window }, sender));
const publishSeconds = (performance.now() - firstSent) / 1000;
const deadline = Date.now() + 60_000;
while (latencies.length < messages && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
const endToEndSeconds = (lastReceived - firstSent) / 1000;

latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
console.log(`websocket driver, ${messages} messages of ${size} B, ${window} sends in flight, 64 keys, 1 Key_Shared consumer`);
console.log(`received        ${latencies.length}/${messages}`);
console.log(`latency ms      p50 ${pct(50)}  p99 ${pct(99)}  max ${latencies.at(-1)!.toFixed(1)}`);
console.log(`publish rate    ${(messages / publishSeconds).toFixed(0)} msg/s (all acks in ${publishSeconds.toFixed(2)} s)`);
console.log(`end-to-end rate ${(latencies.length / endToEndSeconds).toFixed(0)} msg/s (last delivery after ${endToEndSeconds.toFixed(2)} s)`);
await sub.close();
await bus.close();
