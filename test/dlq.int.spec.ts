import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { createWebSocketBus } from '@beacon/messaging';
import { defined } from '@beacon/domain';

const run = promisify(execFile);
const dlqCli = async (...args: string[]) =>
  (await run('node_modules/.bin/tsx', ['scripts/dlq.ts', ...args], { timeout: 60_000 })).stdout;

it('lists dead-lettered messages without removing them, and re-drives them to their topic', async () => {
  const bus = createWebSocketBus({ serviceUrl: process.env.PULSAR_ADMIN_URL ?? 'http://127.0.0.1:8080' });
  const topic = `persistent://beacon/test/dlq-cli-${randomUUID().slice(0, 8)}`;
  let healthy = false;
  const received: string[] = [];
  const sub = await bus.subscribe(
    { topic, subscription: 'shop-service', nackRedeliveryDelayMs: 200, maxDeliveries: 2 },
    async (m) => {
      if (!healthy) throw new Error('poison until fixed');
      received.push(defined(m.properties['message-id'], 'a message id'));
    },
  );
  for (const id of ['m-1', 'm-2'])
    await bus.publish({
      topic,
      key: 'k',
      payload: Buffer.from(id),
      properties: { 'message-id': id, 'message-type': 'test.Thing', 'correlation-id': 'c' },
    });
  let listed = '';
  for (let i = 0; i < 10 && !listed.startsWith('2 message'); i++) listed = await dlqCli('list', topic, 'shop-service');
  expect(listed).toMatch(/^2 message\(s\) waiting/);
  expect(listed).toContain('message-id=m-1');
  expect(await dlqCli('list', topic, 'shop-service')).toMatch(/^2 message\(s\) waiting/); // listing removed nothing
  healthy = true; // the cause is fixed
  expect(await dlqCli('redrive', topic, 'shop-service')).toMatch(/^re-drove 2 message\(s\)/);
  const deadline = Date.now() + 20_000;
  while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(received.sort()).toEqual(['m-1', 'm-2']);
  expect(await dlqCli('list', topic, 'shop-service')).toMatch(/^0 message\(s\) waiting/);
  await sub.close();
  await bus.close();
}, 120_000);
