/**
 * The lingering producer of tracking batches. Requests hand their events in; events wait per shard
 * key (see trackingShardOf) for at most `lingerMs`, or until the batch is full, and leave as one
 * message. A request is answered only once the broker has acknowledged every message holding one of
 * its events; if any send fails, the request fails (503) and its operation with it.
 *
 * A few batches per shard are in flight at a time (`inFlight`): while they all wait for the broker,
 * the next batch keeps filling, so batches grow with the load (one event when idle, hundreds when
 * busy) and the per-message cost of every stage downstream shrinks accordingly. A shard's batches
 * are handed to the producer in order, so a campaign's events reach the broker in the order they
 * came in. If one send fails while a later one succeeds, the failed batch's requests are answered
 * 503 and their retry lands after it: order holds between requests a client sends one after the
 * other (it waits for the 202), never between concurrent ones, which have no order to keep.
 *
 * Single-event requests claim their operation here, in bulk: one statement per batch, not per
 * event. The claim is committed before the batch reaches the broker, never beside the send: the
 * tracking service can answer within milliseconds, and an outcome settling a flow whose row is not
 * there yet would be lost, leaving its operation pending for good (CI saw it, with 50 requests
 * crowding the pool). The claim starts as soon as the batch closes, so while the shard's previous
 * batch is still being handed over it costs nothing.
 */
import type {
  RecordTrackingEventV2 as RecordTrackingEvent,
  TrackingEventItemV2 as TrackingEventItem,
} from '@beacon/contracts';
import { trackingShardOf } from '@beacon/domain';
import { buildMessage, type CodecRegistry, type MessageBus } from '@beacon/messaging';
import type { Kysely } from 'kysely';
import { startedByOf, type CommandSource } from '../command-gateway.js';
import type { Database } from '../db.js';
import { Problem, RetryLater } from '../http/problems.js';
import { BROKER_UNAVAILABLE, claimTrackingOperations, failOperation } from '../operations/claims.js';
import { defined } from '@beacon/domain';

export interface TrackingBatchLimits {
  /** longest an event waits for company (ms) */
  lingerMs: number;
  /** most events in one message */
  maxItems: number;
  /** most bytes (estimated before encoding) in one message: well under the WebSocket frame limit */
  maxBytes: number;
  /** batches of one shard awaiting the broker's ack at once */
  inFlight: number;
  /**
   * Admission control: events (and their estimated bytes) accepted from requests and not yet held by
   * the broker, over every shard. A request that would pass either is refused 503 with Retry-After, so
   * a slow broker or a flood slows the clients instead of growing the BFF's memory.
   */
  maxQueuedEvents: number;
  maxQueuedBytes: number;
}

export const DEFAULT_BATCH_LIMITS: TrackingBatchLimits = {
  lingerMs: 10,
  maxItems: 500,
  maxBytes: 400_000,
  inFlight: 1,
  maxQueuedEvents: 50_000,
  maxQueuedBytes: 64 * 1024 * 1024,
};

/** Limits from TRACKING_LINGER_MS, TRACKING_BATCH_MAX_ITEMS, TRACKING_BATCH_MAX_BYTES. */
export function batchLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): TrackingBatchLimits {
  const num = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
  return {
    lingerMs: num('TRACKING_LINGER_MS', DEFAULT_BATCH_LIMITS.lingerMs),
    maxItems: num('TRACKING_BATCH_MAX_ITEMS', DEFAULT_BATCH_LIMITS.maxItems),
    maxBytes: num('TRACKING_BATCH_MAX_BYTES', DEFAULT_BATCH_LIMITS.maxBytes),
    inFlight: num('TRACKING_BATCHES_IN_FLIGHT', DEFAULT_BATCH_LIMITS.inFlight),
    maxQueuedEvents: num('TRACKING_QUEUE_MAX_EVENTS', DEFAULT_BATCH_LIMITS.maxQueuedEvents),
    maxQueuedBytes: num('TRACKING_QUEUE_MAX_BYTES', DEFAULT_BATCH_LIMITS.maxQueuedBytes),
  };
}

/** One request waiting for its events' batches. */
interface Waiting {
  source: CommandSource;
  /** its flow's correlation id: the source's, or the one its claim took instead */
  correlationId: string;
  /** its operation is not claimed yet: the batch that holds its (single) event claims it */
  unclaimed: boolean;
  /** batches still to be acknowledged */
  outstanding: number;
  failed: boolean;
  resolve: (correlationId: string) => void;
  reject: (error: unknown) => void;
}

interface Open {
  entries: Array<{ waiting: Waiting; event: RecordTrackingEvent }>;
  waiters: Set<Waiting>;
  bytes: number;
  timer?: NodeJS.Timeout;
  /** its linger is over: it leaves as soon as the shard has nothing in flight */
  due: boolean;
}

/** A shard's batches: the one filling, the full ones waiting their turn, and those in flight. */
interface Shard {
  filling?: Open;
  full: Open[];
  inFlight: number;
  /** settles once the latest batch was handed to the producer: the next one goes after it */
  handedOver: Promise<void>;
}

/** A rough upper bound of an event's Avro size: its text plus a little per field. */
function estimatedBytes(e: RecordTrackingEvent): number {
  let n = 64;
  for (const value of Object.values(e)) if (typeof value === 'string') n += value.length * 3;
  return n;
}

const unavailable = () =>
  new Problem(
    503,
    'Service Unavailable',
    'the message broker did not accept the events; retry with the same Idempotency-Key',
  );

export interface TrackingBatcher {
  /**
   * Sends the events (all of one request) and resolves, with the flow's correlation id, once the
   * broker holds them all. With `claimed: false` the request's operation is claimed in bulk with the
   * batch (single events); the flow may then take another id than the source's, if the source's
   * names another caller's operation.
   */
  submit(source: CommandSource, events: RecordTrackingEvent[], options: { claimed: boolean }): Promise<string>;
  /** Sends what is waiting now. */
  flush(): Promise<void>;
}

export function createTrackingBatcher(deps: {
  bus: MessageBus;
  db: Kysely<Database>;
  codecs: CodecRegistry;
  tenant?: string;
  limits?: TrackingBatchLimits;
  onError?: (error: unknown) => void;
  /** The broker acknowledged a batch of this many events (the ingest rate). */
  onAccepted?: (events: number) => void;
  /** A request was refused because the queue was full (admission control). */
  onRefused?: () => void;
}): TrackingBatcher {
  const limits = deps.limits ?? DEFAULT_BATCH_LIMITS;
  const messageType = 'tracking.RecordTrackingEventsV2';
  const shards = new Map<string, Shard>();
  const inFlight = new Set<Promise<void>>();
  const queued = { events: 0, bytes: 0 };

  const settle = (waiting: Waiting, error?: unknown) => {
    if (waiting.failed) return;
    if (error !== undefined) {
      waiting.failed = true;
      waiting.reject(error instanceof Problem ? error.inFlow(waiting.correlationId) : error);
    } else if (--waiting.outstanding === 0) waiting.resolve(waiting.correlationId);
  };

  /** Claims the operations of these requests in one statement; their flows may take other ids. */
  const claim = async (waiters: Waiting[]): Promise<void> => {
    if (waiters.length === 0) return;
    const flows = waiters.map((w) => ({
      correlationId: w.correlationId,
      startedBy: startedByOf(w.source),
      expected: 1,
    }));
    const claimed = await claimTrackingOperations(deps.db, flows);
    waiters.forEach((w, i) => {
      w.correlationId = defined(claimed[i], 'a claimed flow');
      w.unclaimed = false;
    });
  };

  /** Sends one batch: once its flows are claimed and the shard's previous batch was handed over. */
  const send = async (shard: Shard, key: string, batch: Open): Promise<void> => {
    const claiming = claim([...batch.waiters].filter((w) => w.unclaimed));
    const previous = shard.handedOver;
    let handOver!: () => void;
    shard.handedOver = new Promise<void>((resolve) => (handOver = resolve));
    try {
      // Awaited together: a claim that fails while the previous batch is handed over is still caught.
      const [claimed] = await Promise.allSettled([claiming, previous]);
      if (claimed.status === 'rejected') throw claimed.reason;
      const items: TrackingEventItem[] = batch.entries.map((e) => ({
        correlationId: e.waiting.correlationId,
        event: e.event,
      }));
      const { message } = buildMessage(deps.codecs, {
        messageType,
        key,
        value: { items },
        producer: 'bff',
        tenant: deps.tenant,
      });
      const stored = deps.bus.publish(message);
      handOver();
      await stored;
    } finally {
      handOver();
    }
  };

  /** Sends the shard's next batches (full ones first, else the filling one once its linger is over) while slots are free. */
  const pump = (key: string): void => {
    const shard = shards.get(key);
    if (!shard) return;
    while (shard.inFlight < limits.inFlight) {
      let batch = shard.full.shift();
      if (!batch && shard.filling?.due) {
        batch = shard.filling;
        shard.filling = undefined;
      }
      if (!batch) break;
      clearTimeout(batch.timer);
      shard.inFlight++;
      const sent = batch;
      const done = send(shard, key, sent)
        .finally(() => {
          queued.events -= sent.entries.length;
          queued.bytes -= sent.bytes;
        })
        .then(
          () => {
            deps.onAccepted?.(sent.entries.length);
            sent.waiters.forEach((w) => settle(w));
          },
          async (error: unknown) => {
            deps.onError?.(error);
            const flows = [...new Set([...sent.waiters].map((w) => w.correlationId))];
            await failOperation(deps.db, flows, BROKER_UNAVAILABLE).catch(() => undefined);
            sent.waiters.forEach((w) => settle(w, error instanceof Problem ? error : unavailable()));
          },
        )
        .finally(() => {
          inFlight.delete(done);
          shard.inFlight--;
          pump(key);
        });
      inFlight.add(done);
    }
    if (shard.inFlight === 0 && !shard.filling && shard.full.length === 0) shards.delete(key);
  };

  /** The shard's filling batch, with room for an event of `size` bytes; a full one is closed and queued. */
  const fillingBatch = (key: string, size: number): Open => {
    let shard = shards.get(key);
    if (!shard) {
      shard = { full: [], inFlight: 0, handedOver: Promise.resolve() };
      shards.set(key, shard);
    }
    const current = shard.filling;
    if (current && current.entries.length < limits.maxItems && current.bytes + size <= limits.maxBytes) return current;
    if (current) {
      clearTimeout(current.timer);
      shard.full.push(current);
    }
    const batch: Open = { entries: [], waiters: new Set(), bytes: 0, due: false };
    batch.timer = setTimeout(() => {
      batch.due = true;
      pump(key);
    }, limits.lingerMs);
    shard.filling = batch;
    return batch;
  };

  return {
    submit(source, events, options) {
      if (events.length === 0) return Promise.resolve(source.correlationId);
      const sizes = events.map(estimatedBytes);
      const bytes = sizes.reduce((a, b) => a + b, 0);
      if (queued.events + events.length > limits.maxQueuedEvents || queued.bytes + bytes > limits.maxQueuedBytes) {
        deps.onRefused?.();
        return Promise.reject(
          new RetryLater(503, 'the tracking queue is full; nothing of this request was accepted, retry it later', 1),
        );
      }
      queued.events += events.length;
      queued.bytes += bytes;
      return new Promise<string>((resolve, reject) => {
        const waiting: Waiting = {
          source,
          correlationId: source.correlationId,
          unclaimed: !options.claimed,
          outstanding: 0,
          failed: false,
          resolve,
          reject,
        };
        const touched = new Set<string>();
        events.forEach((event, i) => {
          const key = trackingShardOf(event.campaignId);
          const size = defined(sizes[i], 'the size of an event');
          const batch = fillingBatch(key, size);
          // A request counts each batch that holds its events once.
          if (!batch.waiters.has(waiting)) {
            batch.waiters.add(waiting);
            waiting.outstanding++;
          }
          batch.entries.push({ waiting, event });
          batch.bytes += size;
          touched.add(key);
        });
        for (const key of touched) pump(key);
      });
    },
    async flush() {
      for (const [key, shard] of shards) {
        if (shard.filling) shard.filling.due = true;
        pump(key);
      }
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
