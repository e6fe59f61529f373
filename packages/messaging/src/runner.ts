/**
 * The handler runner: decode → skip if already in the inbox → run the handler and write its
 * outgoing messages in one transaction → commit → ack. A handler that throws rolls back and
 * the message is negatively acknowledged (redelivered later); the consumer keeps running.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { MessageBus, SubscribeOptions, Subscription } from './bus.js';
import { pulsarTopic, type CodecRegistry } from './codec.js';
import { causedBy, fromProperties, newFlowEnvelope, toProperties, type Envelope } from './envelope.js';
import { claim } from './inbox.js';
import { enqueue } from './outbox.js';
import type { MessagingTables } from './schema.js';

export interface HandlerContext<DB, M = unknown> {
  trx: Transaction<DB>;
  message: M;
  envelope: Envelope;
  log: Logger;
  /**
   * Writes a message caused by this one to the outbox, inside this transaction. A batch's item
   * names its own flow: pass its correlation id so what it causes joins that flow.
   */
  emit(messageType: string, key: string, value: unknown, options?: { correlationId?: string }): Promise<Envelope>;
  /** What the handler's `prepare` step returned, when it has one. */
  prepared?: unknown;
  /** The payload as it arrived (Avro bytes): for handlers that read only the envelope but may look inside. */
  payload?: Buffer;
}

/**
 * A handler runs inside the message's transaction. A call to the outside world (a payment
 * provider) must not hold that transaction open: it goes in `prepare`, which runs before the
 * transaction on every delivery (duplicates included), so it must be idempotent.
 */
// Handlers take their own message type; the runner routes by message type, so the map is loose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler<DB, M = any> = ((ctx: HandlerContext<DB, M>) => Promise<void>) & {
  prepare?: (message: M, envelope: Envelope) => Promise<unknown>;
};
export type HandlerMap<DB> = Partial<Record<string, Handler<DB>>>;

export interface RunHandlersOptions<DB extends MessagingTables> {
  bus: MessageBus;
  db: Kysely<DB>;
  codecs: CodecRegistry;
  /** e.g. `commission-service` */
  subscription: Omit<SubscribeOptions, 'subscription'> & { name: string };
  service: string;
  logger: Logger;
  handlers: HandlerMap<DB>;
  tenant?: string;
  /** Handlers read only the envelope: the payload is not decoded (a dead-letter watcher must take any message). */
  envelopeOnly?: boolean;
  /** Observes each handled message (for metrics). */
  onHandled?: (messageType: string, outcome: 'handled' | 'duplicate' | 'ignored' | 'failed', seconds: number) => void;
}

async function writeToOutbox<DB extends MessagingTables>(
  trx: Transaction<DB>,
  codecs: CodecRegistry,
  envelope: Envelope,
  key: string,
  value: unknown,
  tenant: string | undefined,
): Promise<void> {
  const topic = codecs.topicOf(envelope.messageType);
  const payload = codecs.encode(envelope.messageType, value);
  await enqueue(trx as unknown as Transaction<MessagingTables>, {
    topic: pulsarTopic(topic.name, tenant),
    key,
    payload,
    properties: toProperties(envelope),
  });
}

export async function runHandlers<DB extends MessagingTables>(options: RunHandlersOptions<DB>): Promise<Subscription> {
  const { bus, db, codecs, service, handlers, logger } = options;
  const subscriptionName = options.subscription.name;

  return bus.subscribe({ ...options.subscription, subscription: subscriptionName }, async (incoming) => {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    let envelope: Envelope;
    let value: unknown;
    try {
      envelope = fromProperties(incoming.properties);
      value = options.envelopeOnly ? undefined : codecs.decode(envelope.messageType, envelope.schemaVersion, incoming.payload).value;
    } catch (error) {
      logger.error({ err: (error as Error).message, topic: incoming.topic, brokerMessageId: incoming.brokerMessageId }, 'undecodable message');
      options.onHandled?.(incoming.properties['message-type'] ?? 'unknown', 'failed', seconds());
      throw error;
    }
    const log = logger.child({
      service,
      correlationId: envelope.correlationId,
      causationId: envelope.causationId,
      messageId: envelope.messageId,
      messageType: envelope.messageType,
    });
    const handler = handlers[envelope.messageType];
    try {
      const prepared = handler?.prepare ? await handler.prepare(value, envelope) : undefined;
      const outcome = await db.transaction().execute(async (trx) => {
        const first = await claim(trx as unknown as Transaction<MessagingTables>, subscriptionName, envelope.messageId, envelope.messageType);
        if (!first) return 'duplicate' as const;
        if (!handler) return 'ignored' as const;
        await handler({
          trx,
          message: value,
          envelope,
          log,
          prepared,
          payload: incoming.payload,
          emit: async (messageType, key, payload, emitOptions) => {
            const schemaVersion = codecs.topicOf(messageType).version;
            const cause = { messageId: envelope.messageId, correlationId: emitOptions?.correlationId ?? envelope.correlationId };
            const outgoing = causedBy(cause, { messageType, schemaVersion, producer: service });
            await writeToOutbox(trx, codecs, outgoing, key, payload, options.tenant);
            return outgoing;
          },
        });
        return 'handled' as const;
      });
      if (outcome === 'duplicate') log.debug('already processed; skipped');
      else if (outcome === 'ignored') log.debug('no handler for this type; recorded and skipped');
      else log.info({ redeliveryCount: incoming.redeliveryCount }, 'handled');
      options.onHandled?.(envelope.messageType, outcome, seconds());
    } catch (error) {
      log.error({ err: (error as Error).message, redeliveryCount: incoming.redeliveryCount }, 'handler failed; will be redelivered');
      options.onHandled?.(envelope.messageType, 'failed', seconds());
      throw error;
    }
  });
}

/** Starts a flow from outside a handler (a script, a scheduled job): a new envelope into the outbox. */
export async function sendInTransaction<DB extends MessagingTables>(
  trx: Transaction<DB>,
  input: { codecs: CodecRegistry; messageType: string; key: string; value: unknown; producer: string; correlationId?: string; tenant?: string },
): Promise<Envelope> {
  const schemaVersion = input.codecs.topicOf(input.messageType).version;
  const envelope = newFlowEnvelope({ messageType: input.messageType, schemaVersion, producer: input.producer, correlationId: input.correlationId });
  await writeToOutbox(trx, input.codecs, envelope, input.key, input.value, input.tenant);
  return envelope;
}
