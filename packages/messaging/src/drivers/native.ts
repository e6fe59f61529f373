/**
 * MessageBus over the official `pulsar-client` package (binary protocol, wraps the C++ libpulsar).
 * It is an optional dependency: its install step fetches a prebuilt binding from
 * archive.apache.org or builds one against libpulsar; where neither works pnpm skips it, the
 * import below fails, and callers get the reason instead of a bus.
 */
import {
  defaultDeadLetterTopic,
  PublishError,
  type IncomingMessage,
  type MessageBus,
  type SubscribeOptions,
} from '../bus.js';
import { KeyedQueue } from './keyed-queue.js';

export interface NativeBusOptions {
  /** pulsar://host:6650 */
  serviceUrl: string;
  token?: string;
  sendTimeoutMs?: number;
}

/* Just the parts of pulsar-client's API this driver calls. */
interface NativeMessage {
  getMessageId(): { toString(): string };
  getPartitionKey(): string;
  getData(): Buffer;
  getProperties(): Record<string, string>;
  getRedeliveryCount(): number;
  getPublishTimestamp(): number;
}
interface NativeConsumer {
  acknowledge(message: NativeMessage): Promise<void>;
  negativeAcknowledge(message: NativeMessage): void;
  close(): Promise<void>;
}
interface NativeProducer {
  send(message: {
    data: Buffer;
    partitionKey: string;
    properties: Record<string, string>;
  }): Promise<{ toString(): string }>;
  close(): Promise<void>;
}
interface NativeMessageId {
  serialize(): Buffer;
}
interface NativeReader {
  /** Rejects when nothing arrives within the timeout. */
  readNext(timeoutMs: number): Promise<Omit<NativeMessage, 'getMessageId'> & { getMessageId(): NativeMessageId }>;
  close(): Promise<void>;
}
interface NativeClient {
  createReader(config: Record<string, unknown>): Promise<NativeReader>;
  createProducer(config: Record<string, unknown>): Promise<NativeProducer>;
  subscribe(config: Record<string, unknown>): Promise<NativeConsumer>;
  close(): Promise<void>;
}
interface NativeModule {
  Client: new (config: Record<string, unknown>) => NativeClient;
  AuthenticationToken: new (config: { token: string }) => unknown;
  MessageId: { earliest(): unknown; latest(): unknown; deserialize(data: Buffer): unknown };
}

export type NativeLoad = { bus: MessageBus } | { reason: string };

export async function loadNativeBus(options: NativeBusOptions): Promise<NativeLoad> {
  let mod: NativeModule;
  try {
    const name = 'pulsar-client';
    const imported = (await import(name)) as { default?: NativeModule } & NativeModule;
    mod = imported.default ?? imported;
  } catch (error) {
    return { reason: `pulsar-client cannot be loaded here (${(error as Error).message.split('\n')[0]})` };
  }
  const client = new mod.Client({
    serviceUrl: options.serviceUrl,
    ...(options.token ? { authentication: new mod.AuthenticationToken({ token: options.token }) } : {}),
  });
  const sendTimeoutMs = options.sendTimeoutMs ?? 10_000;
  const producers = new Map<string, Promise<NativeProducer>>();
  const consumers = new Set<{ consumer: NativeConsumer; queue: KeyedQueue }>();

  const bus: MessageBus = {
    driver: 'native',
    async publish(message) {
      let producer = producers.get(message.topic);
      if (!producer) {
        producer = client.createProducer({ topic: message.topic, sendTimeoutMs, batchingEnabled: false });
        producers.set(message.topic, producer);
        producer.catch(() => producers.delete(message.topic));
      }
      try {
        const id = await (
          await producer
        ).send({ data: message.payload, partitionKey: message.key, properties: message.properties });
        return { brokerMessageId: id.toString() };
      } catch (error) {
        throw new PublishError((error as Error).message);
      }
    },
    async subscribe(subscribeOptions: SubscribeOptions, handler) {
      const queue = new KeyedQueue(16);
      const maxDeliveries = subscribeOptions.maxDeliveries ?? 10;
      const consumerRef: { current?: NativeConsumer } = {};
      const consumer = await client.subscribe({
        topic: subscribeOptions.topic,
        subscription: subscribeOptions.subscription,
        subscriptionType: (subscribeOptions.type ?? 'Key_Shared').replace('_', ''),
        subscriptionInitialPosition: subscribeOptions.initialPosition ?? 'Earliest',
        receiverQueueSize: subscribeOptions.receiverQueueSize ?? 100,
        nAckRedeliverTimeoutMs: subscribeOptions.nackRedeliveryDelayMs ?? 1000,
        ...(maxDeliveries > 0
          ? {
              deadLetterPolicy: {
                maxRedeliverCount: Math.max(1, maxDeliveries - 1),
                deadLetterTopic:
                  subscribeOptions.deadLetterTopic ??
                  defaultDeadLetterTopic(subscribeOptions.topic, subscribeOptions.subscription),
              },
            }
          : {}),
        listener: (message: NativeMessage) => {
          const incoming: IncomingMessage = {
            topic: subscribeOptions.topic,
            brokerMessageId: message.getMessageId().toString(),
            key: message.getPartitionKey() || undefined,
            payload: message.getData(),
            properties: message.getProperties(),
            redeliveryCount: message.getRedeliveryCount(),
            publishTime: new Date(message.getPublishTimestamp()).toISOString(),
          };
          queue.push(incoming.key ?? incoming.brokerMessageId, async () => {
            try {
              await handler(incoming);
              await consumerRef.current?.acknowledge(message);
            } catch {
              consumerRef.current?.negativeAcknowledge(message);
            }
          });
        },
      });
      consumerRef.current = consumer;
      const entry = { consumer, queue };
      consumers.add(entry);
      return {
        async close() {
          consumers.delete(entry);
          await queue.drain();
          await consumer.close();
        },
      };
    },
    async read(readOptions) {
      const start = readOptions.start ?? 'earliest';
      const reader = await client.createReader({
        topic: readOptions.topic,
        startMessageId:
          start === 'earliest'
            ? mod.MessageId.earliest()
            : start === 'latest'
              ? mod.MessageId.latest()
              : mod.MessageId.deserialize(Buffer.from(start.after, 'base64')),
        receiverQueueSize: readOptions.receiverQueueSize ?? 500,
      });
      const from = readOptions.publishedFrom?.getTime() ?? Number.NEGATIVE_INFINITY;
      return {
        topic: readOptions.topic,
        async next(idleMs) {
          for (;;) {
            const message = await reader.readNext(idleMs).catch(() => undefined);
            if (!message) return undefined;
            if (message.getPublishTimestamp() < from) continue;
            return {
              topic: readOptions.topic,
              // Serialized, so that `start: { after }` can take it back.
              brokerMessageId: message.getMessageId().serialize().toString('base64'),
              key: message.getPartitionKey() || undefined,
              payload: message.getData(),
              properties: message.getProperties(),
              redeliveryCount: 0,
              publishTime: new Date(message.getPublishTimestamp()).toISOString(),
            };
          }
        },
        close: () => reader.close(),
      };
    },
    async isHealthy() {
      return true;
    },
    async close() {
      for (const { consumer, queue } of consumers) {
        await queue.drain();
        await consumer.close().catch(() => undefined);
      }
      for (const producer of producers.values())
        await (await producer.catch(() => undefined))?.close().catch(() => undefined);
      await client.close();
    },
  };
  return { bus };
}
