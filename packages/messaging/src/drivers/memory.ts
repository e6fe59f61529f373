/**
 * An in-process MessageBus for fast unit tests. It keeps the semantics the contract suite checks:
 * topic history for Earliest subscriptions, per-key order (a key sticks to one consumer of a
 * subscription), negative ack → redelivery after the delay with the count rising, dead-letter
 * after N deliveries. It is not a broker: nothing survives the process.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  defaultDeadLetterTopic,
  PublishError,
  type IncomingMessage,
  type MessageBus,
  type MessageHandler,
  type OutgoingMessage,
  type SubscribeOptions,
} from '../bus.js';
import { KeyedQueue } from './keyed-queue.js';
import { ReaderQueue } from './reader-queue.js';

interface Stored extends OutgoingMessage {
  id: string;
  publishTime: string;
}

interface Consumer {
  handler: MessageHandler;
  queue: KeyedQueue;
  options: SubscribeOptions;
}

interface SubscriptionState {
  consumers: Consumer[];
  redeliveries: Map<string, number>;
}

export function createMemoryBus(): MessageBus {
  const topics = new Map<string, Stored[]>();
  const subscriptions = new Map<string, Map<string, SubscriptionState>>();
  const timers = new Set<NodeJS.Timeout>();
  const wake = new Set<() => void>();
  /** Open readers per topic: each takes what is appended after it opened. */
  const readers = new Map<string, Set<(stored: Stored) => void>>();
  let closed = false;

  function consumerFor(state: SubscriptionState, key: string): Consumer | undefined {
    if (state.consumers.length === 0) return undefined;
    const hash = createHash('md5').update(key).digest().readUInt32BE(0);
    return state.consumers[hash % state.consumers.length];
  }

  /** Resolves after `ms`, or at once when the bus closes. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        wake.delete(resolve);
        resolve();
      }, ms);
      timers.add(timer);
      wake.add(resolve);
    });

  /**
   * A failed message is redelivered after the delay in its key's place in the queue: the key's later
   * messages wait behind it, as the WebSocket driver holds a key (bus.ts, BatchHandler), until it is
   * handled or dead-lettered. If its consumer leaves meanwhile, it is dispatched again to the others.
   */
  function dispatch(topic: string, state: SubscriptionState, message: Stored): void {
    const consumer = consumerFor(state, message.key || message.id);
    if (!consumer) return;
    consumer.queue.push(message.key || message.id, async () => {
      for (;;) {
        const count = state.redeliveries.get(message.id) ?? 0;
        try {
          await consumer.handler({ ...asIncoming(topic, message), redeliveryCount: count });
          state.redeliveries.delete(message.id);
          return;
        } catch {
          const maxDeliveries = consumer.options.maxDeliveries ?? 10;
          if (maxDeliveries > 0 && count + 1 >= maxDeliveries) {
            state.redeliveries.delete(message.id);
            const dlq =
              consumer.options.deadLetterTopic ?? defaultDeadLetterTopic(topic, consumer.options.subscription);
            append(dlq, { topic: dlq, key: message.key, payload: message.payload, properties: message.properties });
            return;
          }
          state.redeliveries.set(message.id, count + 1);
          await pause(consumer.options.nackRedeliveryDelayMs ?? 1000);
          if (closed) return;
          if (!state.consumers.includes(consumer)) return dispatch(topic, state, message);
        }
      }
    });
  }

  function asIncoming(topic: string, message: Stored): IncomingMessage {
    return {
      topic,
      brokerMessageId: message.id,
      key: message.key,
      payload: message.payload,
      properties: { ...message.properties },
      redeliveryCount: 0,
      publishTime: message.publishTime,
    };
  }

  function append(topic: string, message: OutgoingMessage): Stored {
    const stored: Stored = { ...message, id: randomUUID(), publishTime: new Date().toISOString() };
    const log = topics.get(topic) ?? [];
    log.push(stored);
    topics.set(topic, log);
    for (const state of subscriptions.get(topic)?.values() ?? []) dispatch(topic, state, stored);
    for (const take of readers.get(topic) ?? []) take(stored);
    return stored;
  }

  return {
    driver: 'memory',

    async publish(message) {
      if (closed) throw new PublishError('bus is closed', false);
      return { brokerMessageId: append(message.topic, message).id };
    },

    async subscribe(options, handler) {
      const byName = subscriptions.get(options.topic) ?? new Map<string, SubscriptionState>();
      subscriptions.set(options.topic, byName);
      let state = byName.get(options.subscription);
      const isNew = !state;
      if (!state) {
        state = { consumers: [], redeliveries: new Map() };
        byName.set(options.subscription, state);
      }
      const consumer: Consumer = { handler, queue: new KeyedQueue(16), options };
      state.consumers.push(consumer);
      if (isNew && (options.initialPosition ?? 'Earliest') === 'Earliest') {
        for (const message of topics.get(options.topic) ?? []) dispatch(options.topic, state, message);
      }
      const owner = state;
      return {
        async close() {
          owner.consumers = owner.consumers.filter((c) => c !== consumer);
          await consumer.queue.drain();
        },
      };
    },

    async read(options) {
      if (closed) throw new Error('bus is closed');
      const queue = new ReaderQueue();
      const from = options.publishedFrom?.getTime() ?? Number.NEGATIVE_INFINITY;
      const take = (stored: Stored) => {
        if (Date.parse(stored.publishTime) >= from) queue.push(asIncoming(options.topic, stored));
      };
      const log = topics.get(options.topic) ?? [];
      const start = options.start ?? 'earliest';
      const first =
        start === 'earliest' ? 0 : start === 'latest' ? log.length : log.findIndex((m) => m.id === start.after) + 1;
      if (typeof start === 'object' && first === 0) throw new Error(`no message ${start.after} on ${options.topic}`);
      for (const stored of log.slice(first)) take(stored);
      const open = readers.get(options.topic) ?? new Set();
      readers.set(options.topic, open.add(take));
      return {
        topic: options.topic,
        next: (idleMs) => queue.next(idleMs),
        async close() {
          open.delete(take);
          queue.fail(new Error('reader closed'));
        },
      };
    },

    async isHealthy() {
      return !closed;
    },

    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const resolve of wake) resolve();
      wake.clear();
    },
  };
}
