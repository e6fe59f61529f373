import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { CodecRegistry, parseTopicSchema, pulsarTopic } from '../src/codec.js';
import { createWebSocketBus } from '../src/drivers/websocket.js';
import { newFlowEnvelope, toProperties } from '../src/envelope.js';
import { sql, type Kysely } from 'kysely';
import { claim } from '../src/inbox.js';
import { pack } from '../src/pack.js';
import { runHandlers, type HandlerMap } from '../src/runner.js';
import { BROKER_URL, waitFor } from './helpers.js';
import { freshDatabase, type TestDatabase } from './pg.js';
import { defined } from '@beacon/domain';

const suffix = randomUUID().slice(0, 8);
const schema = (kind: string, records: string[]) =>
  parseTopicSchema(
    `test/${kind}-${suffix}`,
    'inline',
    JSON.stringify({
      type: 'record',
      name: 'Message',
      namespace: 'beacon.test',
      fields: [
        {
          name: 'payload',
          type: records.map((name) => ({ type: 'record', name, fields: [{ name: 'id', type: 'string' }] })),
        },
      ],
    }),
  );
const codecs = new CodecRegistry([schema('commands', ['DoThing']), schema('events', ['ThingDone'])]);

const logger = pino({ level: 'silent' });

function command(commandTopic: string, id: string, messageId?: string) {
  const envelope = newFlowEnvelope({
    messageType: 'test.DoThing',
    schemaVersion: codecs.topicOf('test.DoThing').version,
    producer: 'test',
  });
  if (messageId) envelope.messageId = messageId;
  return {
    topic: commandTopic,
    key: id,
    payload: codecs.encode('test.DoThing', { id }),
    properties: toProperties(envelope),
  };
}

/** The runner on a fresh topic of its own, with every outcome it reports recorded (to wait on). */
async function startRunner(
  db: Kysely<TestDatabase>,
  name: string,
  handlers: HandlerMap<TestDatabase>,
  options: { nackRedeliveryDelayMs?: number; maxDeliveries?: number; maxBatch?: number } = {},
) {
  const topic = pulsarTopic(`test/commands-${name}-${randomUUID().slice(0, 8)}`);
  const bus = createWebSocketBus({ serviceUrl: BROKER_URL });
  const outcomes: string[] = [];
  const { maxBatch, ...subscription } = options;
  const sub = await runHandlers({
    bus,
    db,
    codecs,
    logger,
    service: 'test',
    maxBatch,
    subscription: { topic, name: `${name}-test`, ...subscription },
    handlers,
    onHandled: (_type, outcome) => outcomes.push(outcome),
  });
  const close = async () => {
    await sub.close();
    await bus.close();
    await db.destroy();
  };
  return { topic, bus, outcomes, close };
}

describe('handler runner on real PostgreSQL and the real broker', () => {
  it('the same message delivered twice has one effect and emits one event', async () => {
    const { db } = await freshDatabase('beacon_runner_dup_test');
    const { topic, bus, outcomes, close } = await startRunner(db, 'dup', {
      'test.DoThing': async ({ trx, message, emit }) => {
        const { id } = message as { id: string };
        await trx.insertInto('effects').values({ id, note: 'done' }).execute();
        await emit('test.ThingDone', id, { id });
      },
    });
    const messageId = randomUUID();
    await bus.publish(command(topic, 'thing-1', messageId));
    await bus.publish(command(topic, 'thing-1', messageId)); // a producer retry: same message-id
    await waitFor(
      () => outcomes.includes('handled') && outcomes.includes('duplicate'),
      15000,
      'the first delivery handled and the second recognised',
    );
    const inbox = await db.selectFrom('inbox').selectAll().where('message_id', '=', messageId).execute();
    expect(inbox).toHaveLength(1);
    expect(await db.selectFrom('effects').selectAll().execute()).toEqual([{ id: 'thing-1', note: 'done' }]);
    const outbox = await db.selectFrom('outbox').selectAll().execute();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]?.properties).toMatchObject({
      'message-type': 'test.ThingDone',
      'causation-id': messageId,
      producer: 'test',
    });
    await close();
  });

  it.each([1, 20])(
    'a type it has no handler for is acknowledged without a transaction: no inbox row (maxBatch %i)',
    async (maxBatch) => {
      const { db } = await freshDatabase(`beacon_runner_ignored_${maxBatch}_test`);
      const { topic, bus, outcomes, close } = await startRunner(db, `ignored-${maxBatch}`, {}, { maxBatch });
      for (let i = 0; i < 3; i++) await bus.publish(command(topic, 'thing-1'));
      await waitFor(() => outcomes.length === 3, 15000, 'three outcomes');
      expect(outcomes).toEqual(['ignored', 'ignored', 'ignored']);
      expect(await db.selectFrom('inbox').selectAll().execute()).toEqual([]);
      await close();
    },
  );

  it.each([1, 20])(
    'a pack is opened: each item takes effect once, and a failing item brings the pack back without repeating the others (maxBatch %i)',
    async (maxBatch) => {
      const { db } = await freshDatabase(`beacon_runner_pack_${maxBatch}_test`);
      // At maxBatch > 1, c fails in the shared transaction and again alone: only then is the pack negatively acknowledged.
      const failuresOfC = maxBatch > 1 ? 2 : 1;
      let attemptsOfC = 0;
      const { topic, bus, outcomes, close } = await startRunner(
        db,
        `pack-${maxBatch}`,
        {
          'test.DoThing': async ({ trx, message }) => {
            const { id } = message as { id: string };
            if (id === 'c' && ++attemptsOfC <= failuresOfC) throw new Error('c fails on its first delivery');
            await trx.insertInto('effects').values({ id, note: 'done' }).execute();
          },
        },
        { maxBatch, nackRedeliveryDelayMs: 200 },
      );
      const items = ['a', 'b', 'c'].map((id) => ({ ...command(topic, id), key: 'one-key' }));
      await bus.publish(pack(items));
      await waitFor(() => outcomes.filter((o) => o === 'handled').length === 3, 15000, 'every item handled');
      // The pack came back for c: a and b were recognised, not applied again.
      expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(2);
      expect(outcomes.filter((o) => o === 'failed')).toHaveLength(1);
      const effects = await db.selectFrom('effects').select('id').orderBy('id').execute();
      expect(effects.map((e) => e.id)).toEqual(['a', 'b', 'c']);
      expect(await db.selectFrom('inbox').selectAll().execute()).toHaveLength(3);
      await close();
    },
  );

  it('a handler that throws rolls back, is redelivered, and succeeds once later', async () => {
    const { db } = await freshDatabase('beacon_runner_retry_test');
    let attempts = 0;
    const { topic, bus, outcomes, close } = await startRunner(
      db,
      'retry',
      {
        'test.DoThing': async ({ trx, message, emit }) => {
          const { id } = message as { id: string };
          attempts++;
          await trx
            .insertInto('effects')
            .values({ id, note: `attempt ${attempts}` })
            .execute();
          await emit('test.ThingDone', id, { id });
          if (attempts < 3) throw new Error('database hiccup');
        },
      },
      { nackRedeliveryDelayMs: 300 },
    );
    await bus.publish(command(topic, 'thing-2'));
    await waitFor(() => outcomes.includes('handled'), 20000, 'a delivery to succeed after two failures');
    expect(outcomes).toEqual(['failed', 'failed', 'handled']);
    expect(await db.selectFrom('effects').selectAll().execute()).toEqual([{ id: 'thing-2', note: 'attempt 3' }]);
    expect(await db.selectFrom('outbox').selectAll().execute()).toHaveLength(1);
    await close();
  });

  it("a key's later messages take effect only after its message that failed past the in-place retries", async () => {
    const { db } = await freshDatabase('beacon_runner_order_test');
    const applied: string[] = [];
    let firstAttempts = 0;
    const { topic, bus, close } = await startRunner(
      db,
      'order',
      {
        'test.DoThing': async ({ trx, message }) => {
          const { id } = message as { id: string };
          if (id === 'first' && ++firstAttempts < 3) throw new Error('the message itself fails, twice');
          await trx.insertInto('effects').values({ id, note: 'done' }).execute();
          applied.push(id);
        },
      },
      { nackRedeliveryDelayMs: 300, maxDeliveries: 10, maxBatch: 50 },
    );
    for (const id of ['first', 'second', 'third']) await bus.publish({ ...command(topic, id), key: 'one-key' });
    await bus.publish({ ...command(topic, 'elsewhere'), key: 'another-key' });
    await waitFor(() => applied.length === 4, 20000, 'all four applied');
    expect(applied.filter((id) => id !== 'elsewhere')).toEqual(['first', 'second', 'third']);
    expect(applied[0]).toBe('elsewhere'); // another key did not wait
    expect(firstAttempts).toBe(3);
    expect((await db.selectFrom('effects').select('id').execute()).map((e) => e.id).sort()).toEqual([
      'elsewhere',
      'first',
      'second',
      'third',
    ]);
    await close();
  });

  it('inbox claims are per subscription: a second subscription processes the same message', async () => {
    const { db } = await freshDatabase('beacon_inbox_claim_test');
    const id = randomUUID();
    expect(await claim(db, 'a-service', id, 'test.DoThing')).toBe(true);
    expect(await claim(db, 'a-service', id, 'test.DoThing')).toBe(false);
    expect(await claim(db, 'b-service', id, 'test.DoThing')).toBe(true);
    await db.destroy();
  });

  it('a key’s queued messages share a transaction; a poison one among them is retried alone, the rest take effect once', async () => {
    const { db } = await freshDatabase('beacon_runner_batch_test');
    const transactionOf = new Map<string, string>();
    let poisonAttempts = 0;
    const gates = new Map<string, { opened: Promise<void>; open: () => void }>();
    const gate = (id: string) => {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      gates.set(id, { opened, open });
    };
    const { topic, bus, close } = await startRunner(
      db,
      'batch',
      {
        'test.DoThing': async ({ trx, message, emit }) => {
          const { id } = message as { id: string };
          await gates.get(id)?.opened; // the rest of the key queues up behind a gated message
          if (id === 'poison') {
            poisonAttempts++;
            throw new Error('poison');
          }
          const { rows } = await sql<{ tx: string }>`SELECT txid_current()::text AS tx`.execute(trx);
          transactionOf.set(id, defined(rows[0], 'a row').tx);
          await trx.insertInto('effects').values({ id, note: 'done' }).execute();
          await emit('test.ThingDone', id, { id });
        },
      },
      { nackRedeliveryDelayMs: 200, maxDeliveries: 2, maxBatch: 50 },
    );
    const send = (id: string, messageId?: string) => bus.publish({ ...command(topic, id, messageId), key: 'one-key' });
    const effects = async () => (await db.selectFrom('effects').select('id').execute()).map((e) => e.id);

    // Given thing-0 held, things 1–20 (one of them delivered twice) queue up behind it.
    gate('thing-0');
    await send('thing-0');
    const twice = randomUUID();
    for (let i = 1; i <= 20; i++) await send(`thing-${i}`, i === 10 ? twice : undefined);
    await send('thing-10', twice);
    defined(gates.get('thing-0'), 'the gate of thing-0').open();
    await waitFor(async () => (await effects()).length >= 21, 20000, 'the first twenty-one');
    // Then they are handled together: one transaction for the twenty queued (two if the last arrived late).
    const shared = new Set(Array.from({ length: 20 }, (_, i) => transactionOf.get(`thing-${i + 1}`)));
    expect(shared.has(undefined)).toBe(false);
    expect(shared.size).toBeLessThanOrEqual(2);

    // Given thing-21 held, a poison message queues among things 22–40.
    gate('thing-21');
    await send('thing-21');
    for (let i = 22; i <= 40; i++) {
      await send(`thing-${i}`);
      if (i === 30) await send('poison');
    }
    defined(gates.get('thing-21'), 'the gate of thing-21').open();
    await waitFor(
      () => poisonAttempts >= 3,
      20000,
      'the poison message: once in its batch, then alone until dead-lettered',
    );
    await waitFor(async () => (await effects()).length >= 41, 20000, 'every good message');
    // Then every good message took effect once, and the key kept moving past the poison.
    expect((await effects()).sort()).toEqual(Array.from({ length: 41 }, (_, i) => `thing-${i}`).sort());
    expect(await db.selectFrom('outbox').select('id').execute()).toHaveLength(41);
    await close();
  });
});
