import { randomUUID } from 'node:crypto';
import { createMemoryBus } from '../src/drivers/memory.js';
import { createWebSocketBus } from '../src/drivers/websocket.js';
import { enqueue, startOutboxRelay, type OutboxRelay } from '../src/outbox.js';
import { BROKER_URL, testTopic, waitFor } from './helpers.js';
import { freshDatabase } from './pg.js';
import { recording } from './recording-bus.js';
import { defined } from '@beacon/domain';

const row = (topic: string, key: string, n: number) => ({
  topic,
  key,
  payload: Buffer.from(`payload-${n}`),
  properties: { 'message-id': randomUUID(), n: String(n) },
});

describe('transactional outbox on real PostgreSQL', () => {
  it('a relay that dies between commit and publish loses nothing: the next one publishes every row once', async () => {
    const { db, url } = await freshDatabase('beacon_outbox_crash_test');
    const topic = testTopic('outbox-crash');
    const inner = createWebSocketBus({ serviceUrl: BROKER_URL });
    const received: string[] = [];
    const sub = await inner.subscribe({ topic, subscription: 'check' }, async (m) => {
      received.push(defined(m.properties['message-id'], 'a message id'));
    });
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < 20; i++) await enqueue(trx, row(topic, `k${i % 3}`, i));
    });
    // Relay 1 cannot reach the broker (its process is as good as dead) and is stopped.
    const first = recording(inner);
    first.fail(true);
    const dead = startOutboxRelay({ db, connectionString: url, bus: first.bus, pollIntervalMs: 50 });
    await new Promise((r) => setTimeout(r, 300));
    await dead.stop(100);
    expect(first.published).toHaveLength(0);
    const pending = await db.selectFrom('outbox').select('id').where('published_at', 'is', null).execute();
    expect(pending).toHaveLength(20);

    const second = recording(inner);
    const relay = startOutboxRelay({ db, connectionString: url, bus: second.bus, pollIntervalMs: 50 });
    await waitFor(() => received.length >= 20, 20000, 'all rows published');
    await relay.stop();
    expect(new Set(received).size).toBe(20);
    expect(second.published).toHaveLength(20);
    expect(await relay.stats()).toEqual({ backlog: 0, oldestAgeSeconds: 0 });
    await sub.close();
    await inner.close();
    await db.destroy();
  });

  it('two relays at once never publish one row twice and keep order per key', async () => {
    const { db, url } = await freshDatabase('beacon_outbox_two_relays_test');
    const memory = createMemoryBus();
    const shared = recording(memory);
    const topic = 'persistent://beacon/test/two-relays';
    const relays: OutboxRelay[] = [
      startOutboxRelay({ db, connectionString: url, bus: shared.bus, pollIntervalMs: 20, batchSize: 25 }),
      startOutboxRelay({ db, connectionString: url, bus: shared.bus, pollIntervalMs: 20, batchSize: 25 }),
    ];
    // Rows arrive while both relays run.
    for (let batch = 0; batch < 10; batch++) {
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < 30; i++) await enqueue(trx, row(topic, `k${i % 5}`, batch * 30 + i));
      });
    }
    await waitFor(() => shared.published.length >= 300, 20000, '300 publishes');
    await new Promise((r) => setTimeout(r, 200));
    await Promise.all(relays.map((r) => r.stop()));
    const ids = shared.published.map((m) => m.properties['message-id']);
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
    for (let k = 0; k < 5; k++) {
      const ns = shared.published.filter((m) => m.key === `k${k}`).map((m) => Number(m.properties.n));
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
    await memory.close();
    await db.destroy();
  });

  async function relayWithOneFailure(name: string, failsAlsoLaterSends: boolean) {
    const { db, url } = await freshDatabase(name);
    const memory = createMemoryBus();
    const inner = recording(memory);
    let failedPass = false;
    const flaky = {
      ...inner.bus,
      async publish(message: Parameters<typeof inner.bus.publish>[0]) {
        const n = Number(message.properties.n);
        // The first pass fails message 2 (and, like a Pulsar producer timing out, every send after it).
        if (!failedPass && (n === 2 || (failsAlsoLaterSends && n > 2))) {
          if (n === 5 || !failsAlsoLaterSends) failedPass = true;
          throw new Error('injected: send timed out');
        }
        return inner.bus.publish(message);
      },
    };
    const topic = 'persistent://beacon/test/retry-order';
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < 6; i++) await enqueue(trx, row(topic, 'same-key', i));
    });
    const relay = startOutboxRelay({ db, connectionString: url, bus: flaky, pollIntervalMs: 20 });
    return { db, memory, inner, relay };
  }

  it('resends a key from its first failed message, in order, when the broker fails that send and those after it', async () => {
    const { db, memory, inner, relay } = await relayWithOneFailure('beacon_outbox_retry_order_test', true);
    await waitFor(() => inner.published.length >= 6, 20000, 'all six');
    await relay.stop();
    expect(inner.published.map((m) => m.properties.n)).toEqual(['0', '1', '2', '3', '4', '5']);
    const failed = await db
      .selectFrom('outbox')
      .select(['attempts', 'last_error'])
      .where('properties', '@>', JSON.stringify({ n: '2' }) as never)
      .executeTakeFirst();
    expect(failed?.attempts).toBe(1);
    expect(failed?.last_error).toContain('send timed out');
    await memory.close();
    await db.destroy();
  });

  it('resends from the first failed message even when later ones were stored: those arrive twice, for the inbox to absorb', async () => {
    const { db, memory, inner, relay } = await relayWithOneFailure('beacon_outbox_retry_window_test', false);
    await waitFor(() => inner.published.length >= 9, 20000, 'the window and its resend');
    await relay.stop();
    // The pipelined window stored 3, 4, 5 while 2 failed; the retry sends 2, 3, 4, 5 again, in order.
    expect(inner.published.map((m) => m.properties.n)).toEqual(['0', '1', '3', '4', '5', '2', '3', '4', '5']);
    const unpublished = await db.selectFrom('outbox').select('id').where('published_at', 'is', null).execute();
    expect(unpublished).toEqual([]);
    await memory.close();
    await db.destroy();
  });

  it('LISTEN/NOTIFY wakes the relay long before its next poll', async () => {
    const { db, url } = await freshDatabase('beacon_outbox_notify_test');
    const memory = createMemoryBus();
    const shared = recording(memory);
    const relay = startOutboxRelay({ db, connectionString: url, bus: shared.bus, pollIntervalMs: 60_000 });
    await new Promise((r) => setTimeout(r, 500)); // first (empty) pass done, LISTEN connected
    const committed = Date.now();
    await db.transaction().execute(async (trx) => enqueue(trx, row('persistent://beacon/test/notify', 'k', 1)));
    await waitFor(() => shared.published.length === 1, 10000, 'the notified publish');
    expect(Date.now() - committed).toBeLessThan(5000);
    await relay.stop();
    await memory.close();
    await db.destroy();
  });
});
