/**
 * MessageBus over Pulsar's WebSocket API (`/ws/v2/producer|consumer/...` on the broker's web port).
 * Facts it relies on are in shared/design/pulsar-websocket.md: acks matched by `context`, no
 * producer memory limit (we bound in-flight sends), sockets that drop lose their acks (we fail
 * those sends at once; the outbox retries), idle sockets closed after 5 minutes (we ping).
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { Logger } from 'pino';
import {
  defaultDeadLetterTopic,
  PublishError,
  type IncomingMessage,
  type MessageBus,
  type BatchHandler,
  type BatchVerdict,
  type OutgoingMessage,
  type PublishReceipt,
  type SubscribeOptions,
  type Subscription,
} from '../bus.js';
import { defined } from '@beacon/domain';
import { KeyedBatches } from './keyed-queue.js';
import { WebSocketReader } from './websocket-reader.js';
import { pulsarAuthHeaders, pulsarTokenFromEnv } from '../auth.js';

export interface WebSocketBusOptions {
  /** Broker web URL, e.g. http://127.0.0.1:8080 */
  serviceUrl: string;
  /** The role's token; default PULSAR_TOKEN / PULSAR_TOKEN_FILE. */
  token?: string;
  sendTimeoutMs?: number;
  maxInFlightSends?: number;
  /** Handlers running at once per subscription (different keys only). */
  maxConcurrentHandlers?: number;
  logger?: Logger;
  producerName?: string;
}

const PING_INTERVAL_MS = 30_000;
const MAX_BACKOFF_MS = 10_000;

/** `persistent://tenant/ns/topic` → `persistent/tenant/ns/topic` for WebSocket URLs. */
function topicPath(topic: string): string {
  const match = /^(persistent|non-persistent):\/\/(.+)$/.exec(topic);
  if (!match) throw new Error(`topic must be fully qualified (persistent://tenant/namespace/topic): ${topic}`);
  return `${match[1]}/${match[2]}`;
}

function backoff(attempt: number): number {
  const base = Math.min(MAX_BACKOFF_MS, 100 * 2 ** attempt);
  return base / 2 + Math.random() * (base / 2);
}

/** Bounds in-flight sends: the proxy's producer has no memory limit of its own. */
/**
 * No permessage-deflate: `ws` offers it by default and the broker accepts, and then every frame goes
 * through zlib on libuv's small thread pool, queued behind every other socket's frames. Measured in
 * the fleet: the BFF's publish acks took ~75 ms instead of ~5 ms, and ~1.7 ms of CPU per request.
 * Payloads are Avro already; compress at the broker (compressionType) if the network needs it.
 */
const NO_COMPRESSION = false;

/**
 * Frames from a client are masked (RFC 6455) to protect shared proxy caches from browser scripts;
 * this client is a service talking to its broker, and a zero mask lets `ws` skip XOR-ing every
 * payload byte (measured: the largest single cost of sending in the BFF after base64).
 */
const ZERO_MASK = (): void => undefined;

class Semaphore {
  private waiters: Array<() => void> = [];
  constructor(private available: number) {}
  async acquire(): Promise<void> {
    if (this.available > 0) {
      this.available--;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.available++;
  }
}

interface PendingSend {
  resolve: (receipt: PublishReceipt) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** One producer socket per topic; reopened lazily after a drop. */
class TopicProducer {
  private socket: WebSocket | undefined;
  private opening: Promise<WebSocket> | undefined;
  private readonly pending = new Map<string, PendingSend>();
  private ping: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
    private readonly sendTimeoutMs: number,
    private readonly logger: Logger | undefined,
  ) {}

  async send(message: OutgoingMessage): Promise<PublishReceipt> {
    if (this.closed) throw new PublishError('bus is closed', false);
    const socket = await this.open();
    const context = randomUUID();
    return new Promise<PublishReceipt>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(context);
        reject(new PublishError(`send timed out after ${this.sendTimeoutMs} ms`));
      }, this.sendTimeoutMs);
      this.pending.set(context, { resolve, reject, timer });
      const frame = JSON.stringify({
        payload: message.payload.toString('base64'),
        properties: message.properties,
        key: message.key,
        context,
      });
      socket.send(frame, (error) => {
        if (error) this.settle(context, new PublishError(`send failed: ${error.message}`));
      });
    });
  }

  private settle(context: string, outcome: PublishReceipt | Error): void {
    const entry = this.pending.get(context);
    if (!entry) return;
    this.pending.delete(context);
    clearTimeout(entry.timer);
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
  }

  private open(): Promise<WebSocket> {
    if (this.socket?.readyState === WebSocket.OPEN) return Promise.resolve(this.socket);
    this.opening ??= new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(this.url, {
        headers: this.headers,
        handshakeTimeout: this.sendTimeoutMs,
        perMessageDeflate: NO_COMPRESSION,
        generateMask: ZERO_MASK,
      });
      socket.once('open', () => {
        this.socket = socket;
        this.opening = undefined;
        this.ping = setInterval(() => socket.ping(), PING_INTERVAL_MS);
        resolve(socket);
      });
      socket.once('unexpected-response', (_req, res) => {
        this.opening = undefined;
        reject(new PublishError(`producer connection refused: HTTP ${res.statusCode}`, res.statusCode !== 400));
        socket.terminate();
      });
      socket.on('error', (error) => {
        if (this.opening) {
          this.opening = undefined;
          reject(new PublishError(`producer connection failed: ${error.message}`));
        }
        this.logger?.warn({ err: error.message, url: this.url }, 'producer socket error');
      });
      socket.on('message', (data) => this.onAck(data.toString()));
      socket.on('close', () => this.onClose(socket));
    });
    return this.opening;
  }

  private onAck(text: string): void {
    let ack: { result?: string; messageId?: string; context?: string; errorMsg?: string };
    try {
      ack = JSON.parse(text) as typeof ack;
    } catch {
      return;
    }
    if (!ack.context) return;
    if (ack.result === 'ok') this.settle(ack.context, { brokerMessageId: ack.messageId ?? '' });
    else
      this.settle(
        ack.context,
        new PublishError(`broker refused the message: ${ack.result} ${ack.errorMsg ?? ''}`.trim()),
      );
  }

  private onClose(socket: WebSocket): void {
    if (this.socket === socket) this.socket = undefined;
    clearInterval(this.ping);
    // The acks of these sends are lost with the socket; the message may or may not be stored.
    for (const context of [...this.pending.keys()]) {
      this.settle(context, new PublishError('connection closed before the broker acknowledged the send'));
    }
  }

  close(): void {
    this.closed = true;
    this.socket?.close();
    this.socket = undefined;
  }
}

interface Delivery {
  message: IncomingMessage;
  /** The socket it came on: its ack must go back there. */
  socket: WebSocket;
}

interface DeliveryFrame {
  messageId: string;
  payload: string;
  properties?: Record<string, string>;
  publishTime: string;
  redeliveryCount?: number;
  key?: string;
}

/**
 * A key held behind a failed message: nothing more of the key is handled until each awaited message
 * has come back and been handled, or has been dead-lettered. What arrives meanwhile is parked, in order.
 */
/** The key deliveries are ordered by: the message's, or its id (a message without a key is its own key). */
const keyOf = (message: IncomingMessage): string => message.key ?? message.brokerMessageId;

interface Hold {
  awaiting: Set<string>;
  parked: Delivery[];
  /** Releases the key if an awaited message never comes back (it went to another consumer, say). */
  timer: NodeJS.Timeout;
}

class WebSocketSubscription implements Subscription {
  private socket: WebSocket | undefined;
  private closed = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private ping: NodeJS.Timeout | undefined;
  private readonly queue: KeyedBatches<Delivery>;
  /** Our own delivery count per broker message id: the broker's count is approximate (see the doc). */
  private readonly deliveries = new Map<string, number>();
  private readonly holds = new Map<string, Hold>();
  /** Messages parked across all holds. Each takes one of the socket's receiverQueueSize slots. */
  private parkedCount = 0;
  private readyResolve: (() => void) | undefined;
  private readyReject: ((error: Error) => void) | undefined;
  readonly ready: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
    private readonly options: SubscribeOptions,
    private readonly handler: BatchHandler,
    concurrency: number,
    private readonly maxBatch: number,
    private readonly logger: Logger | undefined,
  ) {
    this.queue = new KeyedBatches(concurrency, maxBatch, (deliveries) => this.handleInOrder(deliveries));
    this.ready = new Promise<void>((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    this.connect();
  }

  private connect(): void {
    if (this.closed) return;
    const socket = new WebSocket(this.url, {
      headers: this.headers,
      handshakeTimeout: 10_000,
      perMessageDeflate: NO_COMPRESSION,
      generateMask: ZERO_MASK,
    });
    socket.once('open', () => {
      this.socket = socket;
      this.attempt = 0;
      this.ping = setInterval(() => socket.ping(), PING_INTERVAL_MS);
      this.readyResolve?.();
      this.readyResolve = undefined;
      this.readyReject = undefined;
      this.logger?.debug({ topic: this.options.topic, subscription: this.options.subscription }, 'subscribed');
    });
    socket.once('unexpected-response', (_req, res) => {
      const error = new Error(`subscribe to ${this.options.topic} refused: HTTP ${res.statusCode}`);
      socket.terminate();
      // A bad request will not get better by retrying; anything else (busy, 5xx) may.
      if (res.statusCode === 400 && this.readyReject) {
        this.closed = true;
        this.readyReject(error);
      }
    });
    socket.on('error', (error) => {
      this.logger?.warn({ err: error.message, topic: this.options.topic }, 'consumer socket error');
    });
    socket.on('message', (data) => this.onDelivery(socket, data.toString()));
    socket.on('close', () => {
      clearInterval(this.ping);
      if (this.socket === socket) this.socket = undefined;
      // The broker redelivers every unacknowledged message on the next connection, parked ones too.
      this.releaseAll();
      if (this.closed) return;
      const delay = backoff(this.attempt++);
      this.logger?.info(
        { topic: this.options.topic, delayMs: Math.round(delay) },
        'consumer disconnected; reconnecting',
      );
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    });
  }

  private onDelivery(socket: WebSocket, text: string): void {
    let frame: DeliveryFrame;
    try {
      frame = JSON.parse(text) as DeliveryFrame;
    } catch {
      return;
    }
    if (!frame.messageId) return;
    const seen = (this.deliveries.get(frame.messageId) ?? 0) + 1;
    this.deliveries.set(frame.messageId, seen);
    const message: IncomingMessage = {
      topic: this.options.topic,
      brokerMessageId: frame.messageId,
      key: frame.key,
      payload: Buffer.from(frame.payload ?? '', 'base64'),
      properties: frame.properties ?? {},
      redeliveryCount: Math.max(frame.redeliveryCount ?? 0, seen - 1),
      publishTime: frame.publishTime,
    };
    this.queue.push(keyOf(message), { message, socket });
  }

  /**
   * A key's batch, in order across redeliveries: while the key is held (see Hold) only the messages it
   * awaits are handled and the rest are parked; once none is awaited, the parked ones run, before
   * anything that arrives later (the queue runs the key's next batch only after this returns).
   */
  private async handleInOrder(deliveries: Delivery[]): Promise<void> {
    const key = keyOf(defined(deliveries[0], 'a delivery').message);
    const hold = this.holds.get(key);
    if (hold) {
      const awaited = deliveries.filter((d) => hold.awaiting.has(d.message.brokerMessageId));
      for (const d of deliveries) if (!hold.awaiting.has(d.message.brokerMessageId)) this.park(key, d);
      if (awaited.length === 0) return;
      deliveries = awaited;
    }
    await this.handle(key, deliveries);
    for (let held = this.holds.get(key); held && held.awaiting.size === 0; held = this.holds.get(key)) {
      const parked = this.release(key, held);
      for (let at = 0; at < parked.length; at += this.maxBatch) {
        const next = parked.slice(at, at + this.maxBatch);
        if (this.holds.has(key)) for (const d of next) this.park(key, d);
        else await this.handle(key, next);
      }
    }
  }

  /**
   * Only an ordered subscription holds keys: Key_Shared (the default), Failover or Exclusive. A Shared
   * subscription promises no order, and a consumer may nack one message to look at the next (npm run dlq).
   */
  private get holdsKeys(): boolean {
    return (this.options.type ?? 'Key_Shared') !== 'Shared';
  }

  /**
   * Parks a delivery behind its key's hold. The socket delivers nothing more once receiverQueueSize
   * messages are unacknowledged, and that would also stop the failed message from coming back. So when
   * half the slots are parked, the key that parked the last one runs on without its failed message,
   * with a warning (the order is then as without holds).
   */
  private park(key: string, delivery: Delivery): void {
    const hold = this.holdFor(key);
    hold.parked.push(delivery);
    this.parkedCount++;
    const budget = Math.max(1, Math.floor(Math.min(this.options.receiverQueueSize ?? 100, 1000) / 2));
    if (this.parkedCount <= budget) return;
    this.logger?.warn(
      { topic: this.options.topic, key, awaiting: [...hold.awaiting], parked: hold.parked.length, budget },
      'too many messages parked behind failed ones; this key runs on without waiting',
    );
    for (const d of this.release(key, hold)) this.queue.push(key, d);
  }

  /** Whether the broker will deliver a message again after a negative ack, rather than dead-letter it. */
  private willRedeliver(message: IncomingMessage): boolean {
    const maxDeliveries = this.options.maxDeliveries ?? 10;
    return maxDeliveries <= 0 || message.redeliveryCount < Math.max(1, maxDeliveries - 1);
  }

  private holdFor(key: string): Hold {
    let hold = this.holds.get(key);
    if (!hold) {
      const timeoutMs = Math.max(30_000, 10 * (this.options.nackRedeliveryDelayMs ?? 1000));
      const timer = setTimeout(() => {
        const current = this.holds.get(key);
        if (current !== hold || !current) return;
        this.logger?.warn(
          { topic: this.options.topic, key, awaiting: [...current.awaiting], parked: current.parked.length, timeoutMs },
          'a failed message did not come back in time; its key runs on without it',
        );
        for (const d of this.release(key, current)) this.queue.push(key, d);
      }, timeoutMs);
      timer.unref();
      hold = { awaiting: new Set(), parked: [], timer };
      this.holds.set(key, hold);
    }
    return hold;
  }

  private release(key: string, hold: Hold): Delivery[] {
    clearTimeout(hold.timer);
    this.holds.delete(key);
    this.parkedCount -= hold.parked.length;
    return hold.parked;
  }

  private releaseAll(): void {
    for (const [key, hold] of this.holds) this.release(key, hold);
  }

  private async handle(key: string, deliveries: Delivery[]): Promise<void> {
    let verdicts: BatchVerdict[];
    try {
      verdicts = await this.handler(deliveries.map((d) => d.message));
    } catch (error) {
      this.logger?.warn(
        { err: (error as Error).message, topic: this.options.topic, messages: deliveries.length },
        'handler failed; negative ack',
      );
      verdicts = deliveries.map(() => false);
    }
    deliveries.forEach((delivery, i) => {
      const { message, socket } = delivery;
      const ok = verdicts[i] === true;
      const id = message.brokerMessageId;
      const hold = this.holds.get(key);
      const behind = verdicts[i] === 'deferred' || (!ok && hold !== undefined && !hold.awaiting.has(id));
      if (behind && this.holdsKeys) {
        // Behind a failure of its key (this batch's or the hold's): kept unacknowledged until the key runs on.
        this.park(key, delivery);
        return;
      }
      if (ok) {
        this.deliveries.delete(id);
        hold?.awaiting.delete(id);
      } else if (this.holdsKeys && this.willRedeliver(message)) this.holdFor(key).awaiting.add(id);
      else hold?.awaiting.delete(id); // dead-lettered (or unordered): the key need not wait for it
      // Acks go on the socket that delivered; after a reconnect the broker redelivers anyway.
      if (socket.readyState === WebSocket.OPEN) {
        socket.send(
          JSON.stringify(
            ok
              ? { messageId: message.brokerMessageId }
              : { type: 'negativeAcknowledge', messageId: message.brokerMessageId },
          ),
        );
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.ping);
    this.readyReject?.(new Error('subscription closed'));
    await this.queue.drain();
    this.releaseAll();
    this.socket?.close();
  }
}

export function createWebSocketBus(options: WebSocketBusOptions): MessageBus {
  const base = options.serviceUrl.replace(/\/$/, '');
  const wsBase = base.replace(/^http/, 'ws');
  const headers = pulsarAuthHeaders(options.token ?? pulsarTokenFromEnv());
  const sendTimeoutMs = options.sendTimeoutMs ?? 10_000;
  const inFlight = new Semaphore(options.maxInFlightSends ?? 1000);
  const producers = new Map<string, TopicProducer>();
  const subscriptions = new Set<WebSocketSubscription>();
  const readers = new Set<WebSocketReader>();
  let closed = false;

  function producerFor(topic: string): TopicProducer {
    let producer = producers.get(topic);
    if (!producer) {
      const params = new URLSearchParams({ sendTimeoutMillis: String(sendTimeoutMs) });
      if (options.producerName) params.set('producerName', `${options.producerName}-${randomUUID().slice(0, 8)}`);
      producer = new TopicProducer(
        `${wsBase}/ws/v2/producer/${topicPath(topic)}?${params}`,
        headers,
        sendTimeoutMs,
        options.logger,
      );
      producers.set(topic, producer);
    }
    return producer;
  }

  async function subscribeBatches(
    subscribeOptions: SubscribeOptions & { maxBatch: number },
    handler: BatchHandler,
  ): Promise<Subscription> {
    const maxDeliveries = subscribeOptions.maxDeliveries ?? 10;
    const params = new URLSearchParams({
      subscriptionType: subscribeOptions.type ?? 'Key_Shared',
      subscriptionInitialPosition: subscribeOptions.initialPosition ?? 'Earliest',
      receiverQueueSize: String(subscribeOptions.receiverQueueSize ?? 100),
      negativeAckRedeliveryDelay: String(subscribeOptions.nackRedeliveryDelayMs ?? 1000),
    });
    if (maxDeliveries > 0) {
      // The broker counts redeliveries, so N deliveries = N - 1 redeliveries before dead-lettering.
      params.set('maxRedeliverCount', String(Math.max(1, maxDeliveries - 1)));
      params.set(
        'deadLetterTopic',
        subscribeOptions.deadLetterTopic ??
          defaultDeadLetterTopic(subscribeOptions.topic, subscribeOptions.subscription),
      );
    }
    if (subscribeOptions.consumerName) params.set('consumerName', subscribeOptions.consumerName);
    const subscriptionPath = encodeURIComponent(subscribeOptions.subscription);
    const url = `${wsBase}/ws/v2/consumer/${topicPath(subscribeOptions.topic)}/${subscriptionPath}?${params}`;
    const subscription = new WebSocketSubscription(
      url,
      headers,
      subscribeOptions,
      handler,
      options.maxConcurrentHandlers ?? 16,
      subscribeOptions.maxBatch,
      options.logger,
    );
    subscriptions.add(subscription);
    try {
      await subscription.ready;
    } catch (error) {
      subscriptions.delete(subscription);
      throw error;
    }
    return {
      close: async () => {
        subscriptions.delete(subscription);
        await subscription.close();
      },
    };
  }

  return {
    driver: 'websocket',

    async publish(message) {
      if (closed) throw new PublishError('bus is closed', false);
      await inFlight.acquire();
      try {
        return await producerFor(message.topic).send(message);
      } finally {
        inFlight.release();
      }
    },

    subscribeBatches,

    async read(readOptions) {
      if (closed) throw new Error('bus is closed');
      const reader = new WebSocketReader(
        `${wsBase}/ws/v2/reader/${topicPath(readOptions.topic)}`,
        headers,
        readOptions,
        options.logger,
        { perMessageDeflate: NO_COMPRESSION, generateMask: ZERO_MASK },
      );
      readers.add(reader);
      try {
        await reader.ready;
      } catch (error) {
        readers.delete(reader);
        throw error;
      }
      return {
        topic: reader.topic,
        next: (idleMs) => reader.next(idleMs),
        close: async () => {
          readers.delete(reader);
          await reader.close();
        },
      };
    },

    subscribe(subscribeOptions, handler) {
      return subscribeBatches({ ...subscribeOptions, maxBatch: 1 }, async ([message]) => {
        if (!message) return [];
        try {
          await handler(message);
          return [true];
        } catch (error) {
          options.logger?.warn(
            { err: (error as Error).message, topic: subscribeOptions.topic, redeliveryCount: message.redeliveryCount },
            'handler failed; negative ack',
          );
          return [false];
        }
      });
    },

    async isHealthy() {
      try {
        const response = await fetch(`${base}/admin/v2/brokers/ready`, { signal: AbortSignal.timeout(3000), headers });
        return response.ok;
      } catch {
        return false;
      }
    },

    async close() {
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
      subscriptions.clear();
      await Promise.all([...readers].map((r) => r.close()));
      readers.clear();
      for (const producer of producers.values()) producer.close();
      producers.clear();
    },
  };
}
