/**
 * Publish → consume latency and throughput of the websocket driver on the real broker.
 *
 *   pnpm bench [-- --messages 5000 --size 1024 --window 100]
 *
 * Messages carry their send time as a property; the Key_Shared consumer records now − sent.
 * `--window` bounds the sends in flight (the outbox relay pipelines much like this).
 */
import { measureWebSocketDriver } from './lib/websocket-driver.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const options = { messages: arg('messages', 5000), size: arg('size', 1024), window: arg('window', 100) };
const r = await measureWebSocketDriver(options);
console.log(
  `websocket driver, ${r.messages} messages of ${r.size} B, ${options.window} sends in flight, 64 keys, 1 Key_Shared consumer`,
);
console.log(`received        ${r.received}/${r.messages}`);
console.log(`latency ms      p50 ${r.p50Ms.toFixed(1)}  p99 ${r.p99Ms.toFixed(1)}`);
console.log(`publish rate    ${r.publishPerSecond.toFixed(0)} msg/s`);
console.log(`end-to-end rate ${r.endToEndPerSecond.toFixed(0)} msg/s`);
