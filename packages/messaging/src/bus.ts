/**
 * The MessageBus port. Drivers (websocket, native, memory) implement it; everything else in
 * Beacon talks to this interface only. Payloads are opaque bytes here: Avro lives in codec.ts.
 */

export interface OutgoingMessage {
  /** Full topic name, e.g. persistent://beacon/campaign/commands */
  topic: string;
  /** Partition/routing key: the aggregate id. Key_Shared keeps order per key. */
  key: string;
  payload: Buffer;
  /** Envelope headers (see envelope.ts); all values are strings. */
  properties: Record<string, string>;
}

export interface PublishReceipt {
  /** The broker's id for the stored message (opaque). Never use it for deduplication. */
  brokerMessageId: string;
}

export interface IncomingMessage {
  topic: string;
  /** Broker message id: stable across redeliveries of the same stored message. */
  brokerMessageId: string;
  key: string | undefined;
  payload: Buffer;
  properties: Record<string, string>;
  /** How many times the broker delivered this message before (0 on first delivery). */
  redeliveryCount: number;
  publishTime: string;
}

export type SubscriptionType = 'Exclusive' | 'Shared' | 'Failover' | 'Key_Shared';

export interface SubscribeOptions {
  topic: string;
  subscription: string;
  /** Default Key_Shared. */
  type?: SubscriptionType;
  /** Where a new subscription starts. Default Earliest: a service never misses what was sent before it first ran. */
  initialPosition?: 'Earliest' | 'Latest';
  /** Delay before a negatively acknowledged message comes back. Default 1000 ms. */
  nackRedeliveryDelayMs?: number;
  /** After this many deliveries a message goes to the dead-letter topic. Default 10; 0 disables. */
  maxDeliveries?: number;
  /** Default `<topic>-<subscription>-DLQ`. */
  deadLetterTopic?: string;
  /** Messages held unacknowledged by this consumer at once. Default 100. */
  receiverQueueSize?: number;
  consumerName?: string;
}

/**
 * Called once per delivery. Resolve → the message is acknowledged. Throw → it is negatively
 * acknowledged and comes back after the redelivery delay. The subscription keeps running either way.
 * Deliveries with the same key are handled one at a time, in order.
 */
export type MessageHandler = (message: IncomingMessage) => Promise<void>;

/**
 * Called with deliveries of one key, in order: what arrived since the key's last batch, up to
 * `maxBatch`. Resolves with one verdict per message, in the same order: true → acknowledged,
 * false → negatively acknowledged, 'deferred' → not tried because an earlier message of its key
 * failed. Rejecting negatively acknowledges the whole batch.
 *
 * A driver that holds keys (the WebSocket driver) keeps a failed message's key from running on until
 * that message comes back and is handled (or is dead-lettered): the key's deferred and later messages
 * wait, unacknowledged, so a key's messages take effect in order even across a redelivery.
 */
export type BatchVerdict = boolean | 'deferred';
export type BatchHandler = (messages: IncomingMessage[]) => Promise<BatchVerdict[]>;

export interface Subscription {
  /** Stop receiving; waits for handlers in flight to settle. */
  close(): Promise<void>;
}

/** Where a reader starts. */
export type ReadStart = 'earliest' | 'latest' | { after: string };

export interface ReadOptions {
  topic: string;
  /** Default 'earliest'. `{ after }` takes a broker message id this topic delivered before (resume after it). */
  start?: ReadStart;
  /**
   * Messages published before this instant are passed over. The WebSocket API has no seek by time,
   * so a driver may read them and drop them: cost grows with the history before `publishedFrom`.
   */
  publishedFrom?: Date;
  /** Messages fetched ahead of `next()`. Default 500. */
  receiverQueueSize?: number;
}

/**
 * A reader: the topic's stored messages in order, with no subscription (nothing acknowledged, no
 * backlog kept on the broker). Pulsar's Reader; what rebuilds and backtests read history with.
 */
export interface Reader {
  readonly topic: string;
  /**
   * The next message, or undefined when none arrived within `idleMs`: the reader has read what the
   * topic stored so far (more may come later; call again). Rejects once the reader has failed for good.
   */
  next(idleMs: number): Promise<IncomingMessage | undefined>;
  close(): Promise<void>;
}

export interface MessageBus {
  readonly driver: string;
  /** Resolves once the broker has stored the message; rejects on failure or send timeout. Never hangs. */
  publish(message: OutgoingMessage): Promise<PublishReceipt>;
  subscribe(options: SubscribeOptions, handler: MessageHandler): Promise<Subscription>;
  /** Micro-batched consumption, where the driver offers it (the runner falls back to `subscribe`). */
  subscribeBatches?(options: SubscribeOptions & { maxBatch: number }, handler: BatchHandler): Promise<Subscription>;
  /** Opens a reader over one topic's history (see Reader). */
  read(options: ReadOptions): Promise<Reader>;
  /** Cheap reachability check for /readyz. */
  isHealthy(): Promise<boolean>;
  /** Closes every producer and subscription; in-flight sends settle (as failures if unsent). */
  close(): Promise<void>;
}

export class PublishError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean = true,
  ) {
    super(message);
    this.name = 'PublishError';
  }
}

export function defaultDeadLetterTopic(topic: string, subscription: string): string {
  return `${topic}-${subscription}-DLQ`;
}
