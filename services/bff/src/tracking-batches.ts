/**
 * The lingering producer of tracking batches. Requests hand their events in; events wait per shard
 * key (see trackingShardOf) for at most `lingerMs`, or until the batch is full, and leave as one
 * message. A request is answered only once the broker has acknowledged every message holding one of
 * its events; if any send fails, the request fails (503) and its operation with it.
 *
 * Single-event requests claim their operation here, in bulk: one statement per batch, not per event.
 * Batches of one shard are issued strictly in order, so a campaign's events reach the broker in the
 * order they came in.
 */
import { topicOfMessage, type RecordTrackingEvent, type TrackingEventItem } from '@beacon/contracts';
import { trackingShardOf } from '@beacon/domain';
import { newFlowEnvelope, toProperties, type CodecRegistry, type MessageBus } from '@beacon/messaging';
import type { Kysely } from 'kysely';
import type { CommandSource } from './commands.js';
import type { Database } from './db.js';
import { Problem } from './http.js';
import { BROKER_UNAVAILABLE, claimTrackingOperations, failOperation } from './operations.js';

export interface TrackingBatchLimits {
  /** longest an event waits for company (ms) */
  lingerMs: number;
  /** most events in one message */
  maxItems: number;
  /** most bytes (estimated before encoding) in one message: well under the WebSocket frame limit */
  maxBytes: number;
}

export const DEFAULT_BATCH_LIMITS: TrackingBatchLimits = { lingerMs: 5, maxItems: 500, maxBytes: 400_000 };

/** Limits from TRACKING_LINGER_MS, TRACKING_BATCH_MAX_ITEMS, TRACKING_BATCH_MAX_BYTES. */
export function batchLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): TrackingBatchLimits {
  const num = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
  return {
    lingerMs: num('TRACKING_LINGER_MS', DEFAULT_BATCH_LIMITS.lingerMs),
    maxItems: num('TRACKING_BATCH_MAX_ITEMS', DEFAULT_BATCH_LIMITS.maxItems),
    maxBytes: num('TRACKING_BATCH_MAX_BYTES', DEFAULT_BATCH_LIMITS.maxBytes),
  };
}

/** One request waiting for its events' batches. */
interface Waiting {
  source: CommandSource;
  /** its operation is not claimed yet: the batch that holds its (single) event claims it */
  unclaimed: boolean;
  /** batches still to be acknowledged */
  outstanding: number;
  failed: boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface Open {
  entries: Array<{ waiting: Waiting; event: RecordTrackingEvent }>;
  waiters: Set<Waiting>;
  bytes: number;
  timer?: NodeJS.Timeout;
}

/** A rough upper bound of an event's Avro size: its text plus a little per field. */
function estimatedBytes(e: RecordTrackingEvent): number {
  let n = 64;
  for (const value of Object.values(e)) if (typeof value === 'string') n += value.length * 3;
  return n;
}

const unavailable = () => new Problem(503, 'Service Unavailable', 'the message broker did not accept the events; retry with the same Idempotency-Key');

export interface TrackingBatcher {
  /**
   * Sends the events (all of one request) and resolves once the broker holds them all. With
   * `claimed: false` the request's operation is claimed in bulk with the batch (single events);
   * source.correlationId may then change.
   */
  submit(source: CommandSource, events: RecordTrackingEvent[], options: { claimed: boolean }): Promise<void>;
  /** Sends what is waiting now. */
  flush(): Promise<void>;
}

export function createTrackingBatcher(deps: {
  bus: MessageBus; db: Kysely<Database>; codecs: CodecRegistry; tenant?: string; limits?: TrackingBatchLimits; onError?: (error: unknown) => void;
}): TrackingBatcher {
  const limits = deps.limits ?? DEFAULT_BATCH_LIMITS;
  const messageType = 'tracking.RecordTrackingEvents';
  const topic = topicOfMessage(messageType, deps.tenant);
  const schemaVersion = deps.codecs.topicOf(messageType).version;
  const open = new Map<string, Open>();
  /** per shard: the previous batch's claim-and-issue step; the next one starts after it */
  const issued = new Map<string, Promise<unknown>>();
  const inFlight = new Set<Promise<void>>();

  const settle = (waiting: Waiting, error?: unknown) => {
    if (waiting.failed) return;
    if (error !== undefined) {
      waiting.failed = true;
      waiting.reject(error);
    } else if (--waiting.outstanding === 0) waiting.resolve();
  };

  /** Claims the batch's unclaimed operations, then hands the message to the bus; resolves with the broker's ack. */
  const send = async (shard: string, batch: Open): Promise<void> => {
    const unclaimed = [...batch.waiters].filter((w) => w.unclaimed);
    const flows = unclaimed.map((w) => ({ correlationId: w.source.correlationId, startedBy: w.source.caller.sub, expected: 1 }));
    if (flows.length > 0) {
      await claimTrackingOperations(deps.db, flows);
      unclaimed.forEach((w, i) => {
        w.source.correlationId = flows[i]!.correlationId;
        w.unclaimed = false;
      });
    }
    const items: TrackingEventItem[] = batch.entries.map((e) => ({ correlationId: e.waiting.source.correlationId, event: e.event }));
    const envelope = newFlowEnvelope({ messageType, schemaVersion, producer: 'bff' });
    return deps.bus.publish({ topic, key: shard, payload: deps.codecs.encode(messageType, { items }), properties: toProperties(envelope) }).then(() => undefined);
  };

  const flushShard = (shard: string): void => {
    const batch = open.get(shard);
    if (!batch) return;
    open.delete(shard);
    clearTimeout(batch.timer);
    const previous = issued.get(shard) ?? Promise.resolve();
    // The claim and the hand-over to the bus run one batch at a time per shard; the acks are awaited in parallel.
    const handedOver = previous.then(() => send(shard, batch).then((acked) => ({ acked })));
    issued.set(shard, handedOver.catch(() => undefined));
    const done = handedOver
      .then(({ acked }) => acked)
      .then(
        () => batch.waiters.forEach((w) => settle(w)),
        async (error: unknown) => {
          deps.onError?.(error);
          const flows = [...new Set([...batch.waiters].map((w) => w.source.correlationId))];
          await failOperation(deps.db, flows, BROKER_UNAVAILABLE).catch(() => undefined);
          batch.waiters.forEach((w) => settle(w, error instanceof Problem ? error : unavailable()));
        },
      )
      .finally(() => {
        inFlight.delete(done);
        if (issued.get(shard) === handedOver) issued.delete(shard);
      });
    inFlight.add(done);
  };

  return {
    submit(source, events, options) {
      if (events.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const waiting: Waiting = { source, unclaimed: !options.claimed, outstanding: 0, failed: false, resolve, reject };
        const shards = new Set<string>();
        for (const event of events) {
          const shard = trackingShardOf(event.campaignId);
          const size = estimatedBytes(event);
          let batch = open.get(shard);
          if (batch && (batch.entries.length >= limits.maxItems || batch.bytes + size > limits.maxBytes)) {
            flushShard(shard);
            batch = undefined;
          }
          if (!batch) {
            batch = { entries: [], waiters: new Set(), bytes: 0 };
            open.set(shard, batch);
            batch.timer = setTimeout(() => flushShard(shard), limits.lingerMs);
          }
          // A request counts each batch that holds its events once.
          if (!batch.waiters.has(waiting)) {
            batch.waiters.add(waiting);
            waiting.outstanding++;
          }
          batch.entries.push({ waiting, event });
          batch.bytes += size;
          shards.add(shard);
        }
        for (const shard of shards) {
          const batch = open.get(shard);
          if (batch && batch.entries.length >= limits.maxItems) flushShard(shard);
        }
      });
    },
    async flush() {
      for (const shard of [...open.keys()]) flushShard(shard);
      await Promise.allSettled([...inFlight]);
    },
  };
}
