/**
 * The handler runner: decode → skip if already in the inbox → run the handler and write its
 * outgoing messages in one transaction → commit → ack. A handler that throws rolls back and
 * the message is negatively acknowledged (redelivered later); the consumer keeps running.
 * With `maxBatch` > 1, what has arrived for one key is handled in one transaction (one inbox
 * statement, one commit), and acknowledged after the commit. A message of a type the consumer has
 * no handler for is acknowledged at once: no transaction, no inbox row (it has no effect to repeat).
 * A pack (pack.ts) is opened first: its items are handled as messages of their own, and the pack is
 * acknowledged once every item was. Each concern is a step of one shape (`Middleware`), and
 * `runHandlers` composes them: a new concern is one more step in its list.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { BatchVerdict, IncomingMessage, MessageBus, SubscribeOptions, Subscription } from './bus.js';
import type { CodecRegistry } from './codec.js';
import { fromProperties, type Envelope } from './envelope.js';
import { buildMessage } from './message.js';
import { claimAll } from './inbox.js';
import { enqueue, type CommittedRow, type OutboxRelay } from './outbox.js';
import type { MessagingTables } from './schema.js';
import { unpack } from './pack.js';
import { defined } from '@beacon/domain';

/** Message type names → their payload types (@beacon/contracts' MessageTypes); loose by default. */
export type MessageTypeMap = Record<string, unknown>;

export interface HandlerContext<DB, M = unknown, Types extends object = MessageTypeMap> {
  trx: Transaction<DB>;
  message: M;
  envelope: Envelope;
  log: Logger;
  /**
   * Writes a message caused by this one to the outbox, inside this transaction. A batch's item
   * names its own flow: pass its correlation id so what it causes joins that flow.
   */
  emit<T extends keyof Types & string>(
    messageType: T,
    key: string,
    value: Types[T],
    options?: { correlationId?: string },
  ): Promise<Envelope>;
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
export type Handler<DB, M = unknown, Types extends object = MessageTypeMap> = ((
  ctx: HandlerContext<DB, M, Types>,
) => Promise<void>) & {
  prepare?: (message: M, envelope: Envelope) => Promise<unknown>;
  /**
   * A hot key's messages, handled together: a run of consecutive messages of this type in one
   * transaction (one key's batch) is given at once, so its writes can be aggregated (one lock, one
   * multi-row insert). Each item keeps its own envelope and `emit`. Must have the effect of calling
   * the handler on each item in turn.
   */
  many?: (items: Array<HandlerContext<DB, M, Types>>) => Promise<void>;
};

/** One handler per message type, each taking that type's own message (checked by the compiler). */
export type HandlerMap<DB, Types extends object = MessageTypeMap> = {
  [T in keyof Types & string]?: Handler<DB, Types[T], Types>;
};

/**
 * A batch message's item as a delivery of its own: its envelope names the item's flow (its
 * correlation id; the batch message stays the cause), its logger says so, and what it emits joins
 * that flow. Handlers take an item's context wherever they act for one item (a refund, a poisoned
 * item), so no flow is passed by hand.
 */
export function itemContext<DB, Types extends object, I extends { correlationId: string }>(
  ctx: HandlerContext<DB, unknown, Types>,
  item: I,
): HandlerContext<DB, I, Types> {
  const flow = { correlationId: item.correlationId };
  return {
    trx: ctx.trx,
    message: item,
    envelope: { ...ctx.envelope, ...flow },
    // pino writes the key again; JSON readers (jq, the log tooling) take the last, the item's flow.
    log: ctx.log.child(flow),
    emit: (messageType, key, value, options) => ctx.emit(messageType, key, value, { ...flow, ...options }),
    payload: ctx.payload,
  };
}

/**
 * The runner routes by the message-type property and decodes with that type's schema, so the value
 * a handler receives is its own type: this is the one place that knowledge is taken on trust.
 */
function handlerFor<DB, Types extends object>(
  handlers: HandlerMap<DB, Types>,
  messageType: string,
): Handler<DB> | undefined {
  return (handlers as unknown as Partial<Record<string, Handler<DB>>>)[messageType];
}

export interface RunHandlersOptions<DB extends MessagingTables, Types extends object = MessageTypeMap> {
  bus: MessageBus;
  db: Kysely<DB>;
  codecs: CodecRegistry;
  /** e.g. `commission-service` */
  subscription: Omit<SubscribeOptions, 'subscription'> & { name: string };
  service: string;
  logger: Logger;
  handlers: HandlerMap<DB, Types>;
  tenant?: string;
  /** Handlers read only the envelope: the payload is not decoded (a dead-letter watcher must take any message). */
  envelopeOnly?: boolean;
  /**
   * Up to this many messages of one key are handled in one transaction (default 1). Handlers must
   * then tolerate running after another message's handler in the same transaction.
   */
  maxBatch?: number;
  /**
   * Sends what a transaction wrote to the outbox as soon as it commits (and before the message is
   * acknowledged), instead of waking the relay. Without it, the relay sends everything.
   */
  relay?: Pick<OutboxRelay, 'sendCommitted'>;
  /** Observes each message as it arrives, before it is handled (for the consumer's lag). */
  onReceived?: (message: IncomingMessage) => void;
  /** Waits before trying a transaction again in place after a transient database fault (retryingTransient). */
  transientRetryDelaysMs?: readonly number[];
  /** Observes each handled message (for metrics). */
  onHandled?: (messageType: string, outcome: 'handled' | 'duplicate' | 'ignored' | 'failed', seconds: number) => void;
}

/** What became of one message. */
export type Outcome = 'handled' | 'duplicate' | 'ignored';

/** A message as the steps below pass it on: decoded, with a logger carrying its flow's ids, and its handler. */
export interface Delivery<DB> {
  incoming: IncomingMessage;
  envelope: Envelope;
  value: unknown;
  log: Logger;
  handler: Handler<DB> | undefined;
  /** what the handler's `prepare` returned, once the preparing step has run it */
  prepared?: unknown;
}

/**
 * What one message's pass through the steps came to; a failure means it must be redelivered, and
 * `DEFERRED` that it was not tried because an earlier message of its key failed (it waits for that one).
 */
export type Verdict = Outcome | { failed: unknown } | typeof DEFERRED;
export const DEFERRED = { deferred: true } as const;

/**
 * The one shape of a runner step, as Watermill composes its middleware: given the step below it, a
 * step takes deliveries (one, or a run of one key's) and answers each one's verdict, in order. A step
 * that throws fails them all; the step above decides what that means.
 */
export type Step<DB> = (deliveries: Delivery<DB>[]) => Promise<Verdict[]>;
export type Middleware<DB> = (next: Step<DB>) => Step<DB>;

/** The steps, outermost first, around the last one: a new concern is one more middleware in the list. */
export const compose = <DB>(middleware: Array<Middleware<DB>>, last: Step<DB>): Step<DB> =>
  middleware.reduceRight<Step<DB>>((next, m) => m(next), last);

/** Step: the envelope from the properties, the payload with the codec its message type names (unless envelope-only). */
export function decoder<DB, Types extends object>(deps: {
  codecs: CodecRegistry;
  logger: Logger;
  service: string;
  handlers: HandlerMap<DB, Types>;
  envelopeOnly?: boolean;
}): (incoming: IncomingMessage) => Delivery<DB> {
  return (incoming) => {
    const envelope = fromProperties(incoming.properties);
    const value = deps.envelopeOnly
      ? undefined
      : deps.codecs.decode(envelope.messageType, envelope.schemaVersion, incoming.payload).value;
    const log = deps.logger.child({
      service: deps.service,
      correlationId: envelope.correlationId,
      causationId: envelope.causationId,
      messageId: envelope.messageId,
      messageType: envelope.messageType,
    });
    return { incoming, envelope, value, log, handler: handlerFor(deps.handlers, envelope.messageType) };
  };
}

/**
 * Step: `emit` for a handler: a message caused by `cause`, written to the outbox in `trx` (and to
 * `written`, when the caller sends it on commit).
 */
export function emitter<DB extends MessagingTables>(
  trx: Transaction<DB>,
  deps: { codecs: CodecRegistry; service: string; tenant?: string },
  cause: Envelope,
  written?: CommittedRow[],
): HandlerContext<DB>['emit'] {
  return async (messageType, key, value, options) => {
    const { envelope, message } = buildMessage(deps.codecs, {
      messageType,
      key,
      value,
      producer: deps.service,
      cause: { messageId: cause.messageId, correlationId: options?.correlationId ?? cause.correlationId },
      tenant: deps.tenant,
    });
    await enqueue(trx as unknown as Transaction<MessagingTables>, message, written);
    return envelope;
  };
}

/**
 * Step: the inbox and the handlers in one transaction. Messages the inbox has seen (or that come
 * twice in this batch) are duplicates; the others run their handler with what `prepare` returned.
 * What the handlers wrote to the outbox goes to `relay` once the transaction has committed.
 */
export async function inTransaction<DB extends MessagingTables>(
  db: Kysely<DB>,
  subscription: string,
  deliveries: Delivery<DB>[],
  run: (trx: Transaction<DB>, d: Delivery<DB>, written?: CommittedRow[]) => Promise<Outcome>,
  relay?: Pick<OutboxRelay, 'sendCommitted'>,
  runMany?: (trx: Transaction<DB>, ds: Delivery<DB>[], written?: CommittedRow[]) => Promise<void>,
): Promise<Outcome[]> {
  const written: CommittedRow[] | undefined = relay ? [] : undefined;
  const outcomes = await db.transaction().execute(async (trx) => {
    const fresh = await claimAll(
      trx as unknown as Transaction<MessagingTables>,
      subscription,
      deliveries.map((d) => d.envelope),
    );
    const outcomes: Outcome[] = [];
    // A message delivered twice within one batch is applied once: its id leaves the set when used.
    const isFresh = deliveries.map((d) => fresh.delete(d.envelope.messageId));
    for (let i = 0; i < deliveries.length;) {
      const d = deliveries[i] as Delivery<DB>;
      if (!isFresh[i]) {
        outcomes.push('duplicate');
        i++;
        continue;
      }
      // A run of fresh messages of one type whose handler takes many goes to it at once.
      let end = i + 1;
      if (runMany && d.handler?.many)
        while (end < deliveries.length && isFresh[end] && deliveries[end]?.handler === d.handler) end++;
      if (end - i > 1 && runMany) {
        await runMany(trx, deliveries.slice(i, end), written);
        for (let k = i; k < end; k++) outcomes.push('handled');
      } else outcomes.push(await run(trx, d, written));
      i = end;
    }
    return outcomes;
  });
  if (relay && written && written.length > 0) await relay.sendCommitted(written);
  return outcomes;
}

type Reported = Pick<Delivery<unknown>, 'incoming' | 'envelope' | 'log'>;

/** Step: a log line and a metric per message, for what became of it. */
export function reporter(onHandled: RunHandlersOptions<MessagingTables>['onHandled']) {
  return {
    done(d: Reported, outcome: Outcome, seconds: number): void {
      if (outcome === 'duplicate') d.log.debug('already processed; skipped');
      else if (outcome === 'ignored') d.log.debug('no handler for this type; recorded and skipped');
      else d.log.info({ redeliveryCount: d.incoming.redeliveryCount }, 'handled');
      onHandled?.(d.envelope.messageType, outcome, seconds);
    },
    failed(d: Reported, error: unknown, seconds: number): void {
      d.log.error(
        { err: (error as Error).message, redeliveryCount: d.incoming.redeliveryCount },
        'handler failed; will be redelivered',
      );
      onHandled?.(d.envelope.messageType, 'failed', seconds);
    },
  };
}

const elapsed = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

/**
 * Middleware: a run that fails is handled again one message at a time, so only the failing message is
 * redelivered. The run is one key's, in order: the messages after the first that fails alone are not
 * tried (`DEFERRED`), for they must not take effect before it.
 */
export const retryingAlone =
  <DB>(log: Logger, subscription: string): Middleware<DB> =>
  (next) =>
  async (ds) => {
    if (ds.length === 1) return next(ds);
    try {
      return await next(ds);
    } catch (error) {
      log.warn(
        { err: (error as Error).message, subscription, messages: ds.length },
        'batch failed; handling its messages one at a time',
      );
      const verdicts: Verdict[] = [];
      for (const d of ds) {
        if (verdicts.some(isFailed)) verdicts.push(DEFERRED);
        else verdicts.push(...(await next([d])));
      }
      return verdicts;
    }
  };

const isFailed = (v: Verdict): v is { failed: unknown } => typeof v === 'object' && 'failed' in v;

/**
 * Whether PostgreSQL failed for a reason of its own, not the message's: no connection (or no free slot,
 * SQLSTATE class 08 and 53), a server shutting down (57P01–57P03), or a transaction that lost a race
 * (40001 serialization, 40P01 deadlock). Trying the same transaction again a moment later can succeed.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (/^(08|53)/.test(code) || ['57P01', '57P02', '57P03', '40001', '40P01'].includes(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  }
  return typeof message === 'string' && /Connection terminated|connection timeout/i.test(message);
}

/**
 * Middleware: a transaction that fails for a transient database reason is tried again in place,
 * after each of `delaysMs`, before it counts as failed. In place matters for order: while it waits
 * the key's later messages wait behind it (the drivers run one batch per key at a time), where a
 * negative ack would let them be applied before it is redelivered. A fault test saw that happen:
 * with the database out of connection slots, a commission's calculation failed alone and its
 * approval, right behind it, took effect first and found no row to approve. The transaction holds
 * its inbox claims, so a commit that did land before the error makes the retry a duplicate.
 */
export const retryingTransient =
  <DB>(log: Logger, subscription: string, delaysMs: readonly number[] = [50, 200, 800, 2000]): Middleware<DB> =>
  (next) =>
  async (ds) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await next(ds);
      } catch (error) {
        const delay = delaysMs[attempt];
        if (delay === undefined || !isTransientDatabaseError(error)) throw error;
        log.warn(
          { err: (error as Error).message, subscription, messages: ds.length, attempt: attempt + 1, delayMs: delay },
          'database unavailable; trying the same transaction again in place',
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };

/**
 * Middleware: a log line and a metric per message, for what became of it. A message alone that fails
 * is reported and answered failed; a failed run is left to `retryingAlone`, which reports each message.
 */
export const reporting =
  <DB>(report: ReturnType<typeof reporter>): Middleware<DB> =>
  (next) =>
  async (ds) => {
    const started = process.hrtime.bigint();
    try {
      const verdicts = await next(ds);
      const seconds = elapsed(started);
      ds.forEach((d, i) => {
        const verdict = verdicts[i];
        if (typeof verdict === 'string') report.done(d, verdict, seconds);
      });
      return verdicts;
    } catch (error) {
      if (ds.length > 1) throw error;
      report.failed(defined(ds[0], 'the delivery'), error, elapsed(started));
      return [{ failed: error }];
    }
  };

/** Middleware: a type this consumer does not handle has no effect to make once: ignored, with no transaction. */
export const ignoringUnhandled =
  <DB>(): Middleware<DB> =>
  (next) =>
  async (ds) => {
    const handled = ds.filter((d) => d.handler);
    const verdicts = handled.length > 0 ? await next(handled) : [];
    let at = 0;
    return ds.map((d) => (d.handler ? defined(verdicts[at++], 'a verdict') : 'ignored'));
  };

/**
 * Middleware: a handler that calls the outside world first (`prepare`) runs it before its
 * transaction, and keeps a transaction of its own per message.
 */
export const preparing =
  <DB>(): Middleware<DB> =>
  (next) =>
  async (ds) => {
    if (!ds.some((d) => d.handler?.prepare)) return next(ds);
    const verdicts: Verdict[] = [];
    for (const d of ds) {
      const prepared = d.handler?.prepare ? await d.handler.prepare(d.value, d.envelope) : undefined;
      verdicts.push(...(await next([{ ...d, prepared }])));
    }
    return verdicts;
  };

/**
 * The consumer of one subscription: decode, then the steps (retry alone → report → skip unhandled
 * types → prepare → retry in place on a transient database fault → inbox and handlers in one
 * transaction, acknowledged after the commit), per
 * message or per run of one key. Packs (pack.ts) are opened first and acknowledged when all their
 * items were.
 */
export async function runHandlers<DB extends MessagingTables, Types extends object = MessageTypeMap>(
  options: RunHandlersOptions<DB, Types>,
): Promise<Subscription> {
  const { handleDeliveries, handleDelivery } = messageApplier(options);
  const maxBatch = options.maxBatch ?? 1;
  const subscribeOptions = { ...options.subscription, subscription: options.subscription.name };
  const received = options.onReceived ?? (() => undefined);
  if (maxBatch > 1 && options.bus.subscribeBatches)
    return options.bus.subscribeBatches({ ...subscribeOptions, maxBatch }, (ms) => {
      ms.forEach(received);
      return handleDeliveries(ms);
    });
  return options.bus.subscribe(subscribeOptions, (m) => {
    received(m);
    return handleDelivery(m);
  });
}

/**
 * What a subscription does with what it receives, without the subscription: the steps above over
 * messages handed to it. `handleDeliveries` takes one key's messages as a run (whether each took
 * effect); `handleDelivery` one message, throwing when it did not. A rebuild feeds history to it.
 */
export function messageApplier<DB extends MessagingTables, Types extends object = MessageTypeMap>(
  options: Omit<RunHandlersOptions<DB, Types>, 'bus'>,
) {
  const { db, logger } = options;
  const subscriptionName = options.subscription.name;
  const maxBatch = options.maxBatch ?? 1;
  const decode = decoder(options);

  const context = (trx: Transaction<DB>, d: Delivery<DB>, written?: CommittedRow[]): HandlerContext<DB> => ({
    trx,
    message: d.value,
    envelope: d.envelope,
    log: d.log,
    prepared: d.prepared,
    payload: d.incoming.payload,
    emit: emitter(trx, options, d.envelope, written),
  });
  const run = async (trx: Transaction<DB>, d: Delivery<DB>, written?: CommittedRow[]): Promise<Outcome> => {
    await defined(d.handler, 'a handler')(context(trx, d, written));
    return 'handled';
  };
  const runMany = (trx: Transaction<DB>, ds: Delivery<DB>[], written?: CommittedRow[]): Promise<void> =>
    defined(ds[0]?.handler?.many, 'a handler of many')(ds.map((d) => context(trx, d, written)));

  const steps = compose<DB>(
    [
      retryingAlone(logger, subscriptionName),
      reporting(reporter(options.onHandled)),
      ignoringUnhandled(),
      preparing(),
      retryingTransient(logger, subscriptionName, options.transientRetryDelaysMs),
    ],
    (ds) => inTransaction(db, subscriptionName, ds, run, options.relay, runMany),
  );

  /** The message decoded; undefined (reported) when it cannot be, so it is redelivered and in time dead-lettered. */
  function decoded(incoming: IncomingMessage): Delivery<DB> | undefined {
    try {
      return decode(incoming);
    } catch (error) {
      logger.error(
        { err: (error as Error).message, topic: incoming.topic, brokerMessageId: incoming.brokerMessageId },
        'undecodable message',
      );
      options.onHandled?.(incoming.properties['message-type'] ?? 'unknown', 'failed', 0);
      return undefined;
    }
  }

  /**
   * Messages of one key, through the steps together (one at a time at maxBatch 1): whether each took
   * effect, or was deferred behind an earlier one that did not. An undecodable message fails alone.
   */
  async function handle(messages: IncomingMessage[], together: boolean): Promise<BatchVerdict[]> {
    const ds = messages.map(decoded);
    const verdicts: BatchVerdict[] = [];
    for (let i = 0; i < ds.length;) {
      if (verdicts.includes(false)) {
        verdicts.push('deferred');
        i++;
        continue;
      }
      if (!ds[i]) {
        verdicts.push(false);
        i++;
        continue;
      }
      let end = i + 1;
      if (together) while (end < ds.length && ds[end]) end++;
      const run = ds.slice(i, end) as Delivery<DB>[];
      for (const v of await steps(run))
        verdicts.push(typeof v === 'string' ? true : v === DEFERRED ? 'deferred' : false);
      i = end;
    }
    return verdicts;
  }

  /** A delivery's messages (a pack's items, or itself); undefined when it is a pack that cannot be read. */
  function opened(incoming: IncomingMessage): IncomingMessage[] | undefined {
    try {
      return unpack(incoming);
    } catch (error) {
      logger.error(
        { err: (error as Error).message, topic: incoming.topic, brokerMessageId: incoming.brokerMessageId },
        'unreadable pack',
      );
      options.onHandled?.('unknown', 'failed', 0);
      return undefined;
    }
  }

  /**
   * A key's deliveries, packs opened and handled as one run; a pack is acknowledged when all its items
   * were, and deferred when none failed but some were deferred. After a delivery that failed, the rest
   * are deferred (an unreadable pack fails like an undecodable message).
   */
  async function handleDeliveries(deliveries: IncomingMessage[]): Promise<BatchVerdict[]> {
    const contents = deliveries.map(opened);
    const firstUnreadable = contents.findIndex((items) => !items);
    const readable = firstUnreadable < 0 ? contents : contents.slice(0, firstUnreadable);
    const verdicts = await handle(
      readable.flatMap((items) => items ?? []),
      true,
    );
    let at = 0;
    return contents.map((items, i): BatchVerdict => {
      if (i === firstUnreadable) return false;
      if (!items || (firstUnreadable >= 0 && i > firstUnreadable)) return 'deferred';
      const mine = verdicts.slice(at, (at += items.length));
      return mine.includes(false) ? false : mine.includes('deferred') ? 'deferred' : true;
    });
  }

  /** One delivery: a message in its own transaction, or a pack's items (one transaction each at maxBatch 1). */
  async function handleDelivery(incoming: IncomingMessage): Promise<void> {
    const items = opened(incoming);
    if (!items) throw new Error('unreadable pack');
    const verdicts = await handle(items, maxBatch > 1);
    if (!verdicts.every((v) => v === true))
      throw new Error(items.length > 1 ? 'some items of a pack failed: the pack is redelivered' : 'the message failed');
  }

  return { handleDeliveries, handleDelivery };
}

/** Starts a flow from outside a handler (a script, a scheduled job): a new envelope into the outbox. */
export async function sendInTransaction<DB extends MessagingTables>(
  trx: Transaction<DB>,
  input: {
    codecs: CodecRegistry;
    messageType: string;
    key: string;
    value: unknown;
    producer: string;
    correlationId?: string;
    tenant?: string;
  },
): Promise<Envelope> {
  const { envelope, message } = buildMessage(input.codecs, {
    messageType: input.messageType,
    key: input.key,
    value: input.value,
    producer: input.producer,
    correlationId: input.correlationId,
    tenant: input.tenant,
  });
  await enqueue(trx as unknown as Transaction<MessagingTables>, message);
  return envelope;
}
