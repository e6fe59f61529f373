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
  let closed = false;

  function consumerFor(state: SubscriptionState, key: string): Consumer | undefined {
    if (state.consumers.length === 0) return undefined;
    const hash = createHash('md5').update(key).digest().readUInt32BE(0);
    return state.consumers[hash % state.consumers.length];
  }

  function dispatch(topic: string, state: SubscriptionState, message: Stored): void {
    const consumer = consumerFor(state, message.key || message.id);
    if (!consumer) return;
    const count = state.redeliveries.get(message.id) ?? 0;
    const incoming: IncomingMessage = {
      topic,
      brokerMessageId: message.id,
      key: message.key,
      payload: message.payload,
      properties: { ...message.properties },
      redeliveryCount: count,
      publishTime: message.publishTime,
    };
    consumer.queue.push(message.key || message.id, async () => {
      try {
        await consumer.handler(incoming);
        state.redeliveries.delete(message.id);
      } catch {
        const maxDeliveries = consumer.options.maxDeliveries ?? 10;
        if (maxDeliveries > 0 && count + 1 >= maxDeliveries) {
          state.redeliveries.delete(message.id);
          const dlq = consumer.options.deadLetterTopic ?? defaultDeadLetterTopic(topic, consumer.options.subscription);
          append(dlq, { topic: dlq, key: message.key, payload: message.payload, properties: message.properties });
          return;
        }
        state.redeliveries.set(message.id, count + 1);
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!closed) dispatch(topic, state, message);
        }, consumer.options.nackRedeliveryDelayMs ?? 1000);
        timers.add(timer);
      }
    });
  }

  function append(topic: string, message: OutgoingMessage): Stored {
    const stored: Stored = { ...message, id: randomUUID(), publishTime: new Date().toISOString() };
    const log = topics.get(topic) ?? [];
    log.push(stored);
    topics.set(topic, log);
    for (const state of subscriptions.get(topic)?.values() ?? []) dispatch(topic, state, stored);
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

    async isHealthy() {
      return !closed;
    },

    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
