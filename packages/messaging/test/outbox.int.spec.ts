import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { MessageBus, OutgoingMessage } from '../src/bus.js';
import type { MessagingTables } from '../src/schema.js';
import { createMemoryBus } from '../src/drivers/memory.js';
import { createWebSocketBus } from '../src/drivers/websocket.js';
import { PACK_PROPERTY, unpack } from '../src/pack.js';
import { enqueue, startOutboxRelay, type CommittedRow, type OutboxRelay } from '../src/outbox.js';
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

/** A fresh database and an in-memory broker that records what it is given: where a relay under test runs. */
async function relayBench(database: string) {
  const { db, url } = await freshDatabase(database);
  const memory = createMemoryBus();
  return { db, url, memory, published: recording(memory) };
}

type RelayTuning = Omit<Parameters<typeof startOutboxRelay>[0], 'db' | 'connectionString' | 'bus'>;

/** A relay on a fresh bench; `close` stops it and ends the bench. */
async function benchRelay(database: string, tuning: RelayTuning) {
  const bench = await relayBench(database);
  const relay = startOutboxRelay({ db: bench.db, connectionString: bench.url, bus: bench.published.bus, ...tuning });
  const close = async () => {
    await relay.stop();
    await bench.memory.close();
    await bench.db.destroy();
  };
  return { ...bench, relay, close };
}

describe('transactional outbox on real PostgreSQL', () => {
  it('a relay that dies after the broker stored its messages, before marking them, loses nothing: the next sends them again', async () => {
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
    // Relay 1 sends every row and the broker stores them, then its process dies before the acks are
    // counted: its sends never return, and its database session ends (as a killed process's does).
    const dyingUrl = `${url}?application_name=dying-relay`;
    const pool = new pg.Pool({ connectionString: dyingUrl });
    // A dead process hears nothing of its connections closing.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const dying = new Kysely<MessagingTables>({ dialect: new PostgresDialect({ pool }) });
    let stored = 0;
    const frozen: MessageBus = {
      ...inner,
      async publish(message) {
        await inner.publish(message);
        stored++;
        return new Promise<never>(() => undefined);
      },
    };
    const dead = startOutboxRelay({ db: dying, connectionString: dyingUrl, bus: frozen, pollIntervalMs: 50 });
    await waitFor(() => stored === 20, 20000, 'the broker to store all 20 rows of relay 1');
    // It will not come back: no reconnecting LISTEN (its frozen pass is never awaited, as in a dead process).
    void dead.stop();
    await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dying-relay'`.execute(
      db,
    );
    await waitFor(() => received.length === 20, 20000, 'relay 1 messages to arrive');
    const unmarked = await db.selectFrom('outbox').select('id').where('published_at', 'is', null).execute();
    expect(unmarked).toHaveLength(20);

    const relay = startOutboxRelay({ db, connectionString: url, bus: inner, pollIntervalMs: 50 });
    await waitFor(() => received.length >= 40, 20000, 'relay 2 to send every row again');
    await relay.stop();
    // Every message arrived twice under its own id: once per relay. The consumers' inbox keeps one.
    const times = new Map<string, number>();
    for (const id of received) times.set(id, (times.get(id) ?? 0) + 1);
    expect(times.size).toBe(20);
    expect([...times.values()].every((n) => n === 2)).toBe(true);
    expect(await relay.stats()).toEqual({ backlog: 0, oldestAgeSeconds: 0 });
    await sub.close();
    await inner.close();
    await db.destroy();
  });

  it('two relays at once never publish one row twice and keep order per key', async () => {
    const { db, url, memory, published: shared } = await relayBench('beacon_outbox_two_relays_test');
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
    // Stopped relays publish nothing more: any double publish is in the record by now.
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
    const { db, url, memory, published: inner } = await relayBench(name);
    let failedPass = false;
    // With every later send failing too, the resend waits until the test has looked at the failed row
    // (once sent, a row is gone from the outbox).
    let release: () => void = () => undefined;
    const looked = new Promise<void>((resolve) => (release = resolve));
    const flaky = {
      ...inner.bus,
      async publish(message: Parameters<typeof inner.bus.publish>[0]) {
        const n = Number(message.properties.n);
        // The first pass fails message 2 (and, like a Pulsar producer timing out, every send after it).
        if (!failedPass && (n === 2 || (failsAlsoLaterSends && n > 2))) {
          if (n === 5 || !failsAlsoLaterSends) failedPass = true;
          throw new Error('injected: send timed out');
        }
        if (failsAlsoLaterSends && n >= 2) await looked;
        return inner.bus.publish(message);
      },
    };
    const topic = 'persistent://beacon/test/retry-order';
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < 6; i++) await enqueue(trx, row(topic, 'same-key', i));
    });
    const relay = startOutboxRelay({ db, connectionString: url, bus: flaky, pollIntervalMs: 20 });
    return { db, memory, inner, relay, release };
  }

  it('resends a key from its first failed message, in order, when the broker fails that send and those after it', async () => {
    const { db, memory, inner, relay, release } = await relayWithOneFailure('beacon_outbox_retry_order_test', true);
    const failedRow = () =>
      db
        .selectFrom('outbox')
        .select(['attempts', 'last_error'])
        .where('properties', '@>', JSON.stringify({ n: '2' }) as never)
        .executeTakeFirst();
    await waitFor(async () => (await failedRow())?.attempts === 1, 20000, 'the failure recorded on its row');
    expect((await failedRow())?.last_error).toContain('send timed out');
    release();
    await waitFor(() => inner.published.length >= 6, 20000, 'all six');
    await relay.stop();
    expect(inner.published.map((m) => m.properties.n)).toEqual(['0', '1', '2', '3', '4', '5']);
    // Sent rows leave the outbox.
    expect(await db.selectFrom('outbox').select('id').execute()).toEqual([]);
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
    const { db, url, memory, published: shared } = await relayBench('beacon_outbox_notify_test');
    const relay = startOutboxRelay({ db, connectionString: url, bus: shared.bus, pollIntervalMs: 60_000 });
    const listening = async () =>
      (
        await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = 'beacon_outbox_notify_test' AND query = 'LISTEN beacon_outbox'`.execute(db)
      ).rows[0]?.n === 1;
    await waitFor(listening, 10000, 'the relay to LISTEN');
    const committed = Date.now();
    await db.transaction().execute(async (trx) => enqueue(trx, row('persistent://beacon/test/notify', 'k', 1)));
    await waitFor(() => shared.published.length === 1, 10000, 'the notified publish');
    expect(Date.now() - committed).toBeLessThan(5000);
    await relay.stop();
    await memory.close();
    await db.destroy();
  });

  describe('sent on commit by the consumer that wrote them', () => {
    const unpublished = (db: Kysely<MessagingTables> | Awaited<ReturnType<typeof freshDatabase>>['db']) =>
      (db as unknown as Kysely<MessagingTables>)
        .selectFrom('outbox')
        .select('id')
        .where('published_at', 'is', null)
        .execute();

    it('go out in order per key without a NOTIFY or a poll, are marked published, and the poll does not send them again', async () => {
      const { db, published, relay, close } = await benchRelay('beacon_outbox_on_commit_test', {
        pollIntervalMs: 20,
        graceMs: 500,
      });
      const topic = 'persistent://beacon/test/on-commit';
      const written: CommittedRow[] = [];
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < 6; i++) await enqueue(trx, row(topic, `k${i % 2}`, i), written);
      });
      expect(written).toHaveLength(6);
      await relay.sendCommitted(written);
      // Resolved only once the broker had every one.
      expect(published.published.map((m) => m.properties.n).sort()).toEqual(['0', '1', '2', '3', '4', '5']);
      for (const key of ['k0', 'k1'])
        expect(published.published.filter((m) => m.key === key).map((m) => Number(m.properties.n))).toEqual(
          key === 'k0' ? [0, 2, 4] : [1, 3, 5],
        );
      await waitFor(async () => (await unpublished(db)).length === 0, 5000, 'the rows to be marked published');
      // Long past the grace period, the poll (every 20 ms) has sent nothing of its own.
      await new Promise((r) => setTimeout(r, 800));
      expect(published.published).toHaveLength(6);
      await close();
    });

    it("with packing on, a key's rows go as packs in order (a lone row as itself), on commit and by the poll", async () => {
      const { db, published, relay, close } = await benchRelay('beacon_outbox_packs_test', {
        pollIntervalMs: 50,
        graceMs: 300,
        pack: { maxMessages: 4, maxBytes: 1_000_000 },
      });
      const topic = 'persistent://beacon/test/packs';
      const written: CommittedRow[] = [];
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < 10; i++) await enqueue(trx, row(topic, i < 9 ? 'hot' : 'cold', i), written);
      });
      await relay.sendCommitted(written);
      const opened = (m: OutgoingMessage) =>
        unpack({ ...m, brokerMessageId: 'b', redeliveryCount: 0, publishTime: '' });
      // Nine rows of the hot key in packs of 4, 4 and 1; the cold key's one row alone, not packed.
      expect(published.published.map((m) => [m.key, opened(m).length, m.properties[PACK_PROPERTY] ?? 'plain'])).toEqual(
        expect.arrayContaining([
          ['hot', 4, '4'],
          ['hot', 4, '4'],
          ['hot', 1, 'plain'],
          ['cold', 1, 'plain'],
        ]),
      );
      expect(published.published).toHaveLength(4);
      const hot = published.published.filter((m) => m.key === 'hot').flatMap(opened);
      expect(hot.map((m) => Number(m.properties.n))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      // Rows nobody sent on commit are packed by the poll as well.
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < 3; i++) await enqueue(trx, row(topic, 'orphan', i), []);
      });
      await waitFor(() => published.published.length === 5, 10000, 'the poll to send the orphaned rows as one pack');
      expect(opened(defined(published.published[4], 'the pack')).map((m) => m.properties.n)).toEqual(['0', '1', '2']);
      await close();
    });

    it('rows their writer never sent (it died after the commit) go out by the poll once the grace period has passed', async () => {
      const { db, published, relay, close } = await benchRelay('beacon_outbox_orphan_test', {
        pollIntervalMs: 50,
        graceMs: 300,
      });
      const written: CommittedRow[] = [];
      const committed = Date.now();
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < 3; i++) await enqueue(trx, row('persistent://beacon/test/orphan', 'k', i), written);
      });
      // No NOTIFY was sent, and no sendCommitted follows: the relay alone must find them.
      await waitFor(() => published.published.length === 3, 10000, 'the poll to send the orphaned rows');
      expect(Date.now() - committed).toBeGreaterThanOrEqual(300);
      expect(published.published.map((m) => m.properties.n)).toEqual(['0', '1', '2']);
      await relay.stop();
      expect(await unpublished(db)).toEqual([]);
      await close();
    });

    it('with the broker away, the send waits and retries in order; once stopped it returns and the relay sends the rest', async () => {
      const { db, url, memory, published } = await relayBench('beacon_outbox_on_commit_retry_test');
      // A grace far beyond the test: only sendCommitted can send these while the relay runs.
      const relay = startOutboxRelay({
        db,
        connectionString: url,
        bus: published.bus,
        pollIntervalMs: 20,
        graceMs: 60_000,
      });
      const written: CommittedRow[] = [];
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < 4; i++)
          await enqueue(trx, row('persistent://beacon/test/on-commit-retry', 'k', i), written);
      });
      published.fail(true);
      let returned = false;
      const sending = relay.sendCommitted(written).then(() => (returned = true));
      await new Promise((r) => setTimeout(r, 500));
      expect(returned).toBe(false);
      expect(published.published).toEqual([]);
      published.fail(false);
      await sending;
      expect(published.published.map((m) => m.properties.n)).toEqual(['0', '1', '2', '3']);

      // Shutdown: a send that cannot get through gives up when told to; stop() then sends it, any age.
      const more: CommittedRow[] = [];
      await db
        .transaction()
        .execute(async (trx) => enqueue(trx, row('persistent://beacon/test/on-commit-retry', 'k', 4), more));
      published.fail(true);
      const stuck = relay.sendCommitted(more);
      await new Promise((r) => setTimeout(r, 200));
      relay.stopSending();
      await stuck;
      published.fail(false);
      await relay.stop();
      expect(published.published.map((m) => m.properties.n)).toEqual(['0', '1', '2', '3', '4']);
      expect(await unpublished(db)).toEqual([]);
      await memory.close();
      await db.destroy();
    });
  });
});
