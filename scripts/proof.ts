/**
 * The messaging kit end to end, on the real broker and PostgreSQL:
 * a command goes out through the outbox → a consumer handles it and emits an event through its
 * own outbox → a second consumer receives the event. Both handler log lines carry the same
 * correlationId. Exits non-zero if the flow does not complete in time.
 *
 *   pnpm exec tsx scripts/proof.ts
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import {
  CodecRegistry,
  createWebSocketBus,
  messagingMigration,
  parseTopicSchema,
  pulsarTopic,
  runHandlers,
  sendInTransaction,
  startOutboxRelay,
  type MessagingTables,
} from '@beacon/messaging';
import { connect, databaseUrlFor, ensureDatabase } from '@beacon/service-kit';
import { sql, type Kysely } from 'kysely';
import { actAsAdmin } from './lib/secrets.js';

const run = randomUUID().slice(0, 8);
const topicSchema = (kind: string, name: string) =>
  parseTopicSchema(
    `test/proof-${kind}-${run}`,
    'scripts/proof.ts',
    JSON.stringify({
      type: 'record',
      name: 'Message',
      namespace: 'beacon.proof',
      fields: [{ name: 'payload', type: [{ type: 'record', name, fields: [{ name: 'orderId', type: 'string' }] }] }],
    }),
  );
const codecs = new CodecRegistry([topicSchema('commands', 'ShipOrder'), topicSchema('events', 'OrderShipped')]);
actAsAdmin();
const serviceUrl = process.env.PULSAR_ADMIN_URL ?? 'http://127.0.0.1:8080';
const databaseUrl = process.env.PROOF_DATABASE_URL ?? databaseUrlFor('proof');
const logger = pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime });

await ensureDatabase(databaseUrl);
const { db } = connect<MessagingTables>(databaseUrl);
await sql`DROP TABLE IF EXISTS outbox, inbox`.execute(db);
await messagingMigration.up(db as unknown as Kysely<unknown>);

const bus = createWebSocketBus({ serviceUrl });
const relay = startOutboxRelay({ db, connectionString: databaseUrl, bus, pollIntervalMs: 500 });
let done: () => void;
const finished = new Promise<void>((resolve) => (done = resolve));

const shipping = await runHandlers({
  bus,
  db,
  codecs,
  logger,
  service: 'shipping',
  subscription: { topic: pulsarTopic(`test/proof-commands-${run}`), name: 'shipping-service' },
  handlers: {
    'proof.ShipOrder': async ({ message, log, emit }) => {
      const { orderId } = message as { orderId: string };
      log.info({ orderId }, 'shipping the order');
      await emit('proof.OrderShipped', orderId, { orderId });
    },
  },
});
const notifier = await runHandlers({
  bus,
  db,
  codecs,
  logger,
  service: 'notifier',
  subscription: { topic: pulsarTopic(`test/proof-events-${run}`), name: 'notifier-service' },
  handlers: {
    'proof.OrderShipped': async ({ message, log }) => {
      log.info({ orderId: (message as { orderId: string }).orderId }, 'order shipped; telling the customer');
      done();
    },
  },
});

const sent = await db.transaction().execute((trx) =>
  sendInTransaction(trx, {
    codecs,
    messageType: 'proof.ShipOrder',
    key: 'order-1',
    value: { orderId: 'order-1' },
    producer: 'proof',
  }),
);
logger.info({ correlationId: sent.correlationId, messageId: sent.messageId }, 'command written to the outbox');

const timeout = setTimeout(() => {
  logger.error('the flow did not complete within 30 s');
  process.exit(1);
}, 30_000);
await finished;
clearTimeout(timeout);
await shipping.close();
await notifier.close();
await relay.stop();
await bus.close();
await db.destroy();
logger.info('proof complete');
