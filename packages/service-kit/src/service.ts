/**
 * The wiring every Beacon service shares, top-down: config → database + migrations → bus →
 * schemas → outbox relay → handlers → ops server → graceful shutdown (stop consuming, finish
 * what is in flight, flush the outbox, close connections).
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Logger } from 'pino';
import pRetry from 'p-retry';
import {
  pruneMessaging,
  pulsarTopic,
  runHandlers,
  startOutboxRelay,
  DEFAULT_PACK_LIMITS,
  type CodecRegistry,
  type MessageBus,
  type MessagingTables,
  type OutboxRelay,
  type Subscription,
} from '@beacon/messaging';
import {
  codecs as contractCodecs,
  loadRegisteredWriterSchemas,
  registerSchemas,
  SchemaRegistryError,
  FLEET_ACCESS,
  retentionPolicyFromEnv,
  type TopicAccess,
  type MessageHandlers,
  type MessageTypes,
} from '@beacon/contracts';
import { maxBatchOf } from '@beacon/domain';
import { busFor, loadConfig, type ServiceConfig } from './config.js';
import { connect, ensureDatabase, migrate } from './database.js';
import { createLogger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { startOpsServer } from './ops.js';
import type { ReadModel } from './rebuild.js';
import { createShutdown, type Shutdown } from './shutdown.js';

const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Runs one start-up step that needs PostgreSQL or Pulsar, asking again with backoff (about half a
 * minute in all) while the dependency is still coming up — a broker just started or restarted
 * answers its admin API with 5xx for a while. A refusal (4xx from the registry) is final at once.
 */
function whenAvailable<T>(logger: Logger, step: string, run: () => Promise<T>): Promise<T> {
  const final = (error: Error) => error instanceof SchemaRegistryError && error.status < 500;
  return pRetry(run, {
    retries: 6,
    minTimeout: 500,
    maxTimeout: 8000,
    shouldRetry: (error) => !final(error),
    onFailedAttempt: (error) => {
      if (final(error) || error.retriesLeft === 0) return;
      logger.warn(
        { step, attempt: error.attemptNumber, retriesLeft: error.retriesLeft, err: error.message },
        'start-up step failed; trying again',
      );
    },
  });
}

export interface ServiceContext<DB> {
  config: ServiceConfig;
  logger: Logger;
  db: Kysely<DB>;
  bus: MessageBus;
  codecs: CodecRegistry;
  metrics: Metrics;
  relay: OutboxRelay;
}

export interface SubscriptionDefinition<DB> {
  /** Topic schema name, e.g. `campaign/commands` */
  topic: string;
  handlers: MessageHandlers<DB>;
  /** Default 1000 ms. */
  nackRedeliveryDelayMs?: number;
  /** Default 10 deliveries, then the dead-letter topic. */
  maxDeliveries?: number;
  /** Default `<service>-service`. Another name gets its own inbox (e.g. to watch a dead-letter topic). */
  subscriptionName?: string;
  /** Handlers read only the envelope; payloads are not decoded. */
  envelopeOnly?: boolean;
  /** Messages of one key per transaction, at most; default the topic's (`maxBatchOf`), else the service's CONSUMER_MAX_BATCH. */
  maxBatch?: number;
}

export interface ServiceDefinition<DB extends MessagingTables> {
  name: string;
  defaultOpsPort: number;
  migrations: Record<string, Migration>;
  subscriptions: (ctx: ServiceContext<DB>) => SubscriptionDefinition<DB>[];
  /** Prunes the service's own tables past their retention (messaging tables are pruned for every service). */
  prune?: (db: Kysely<DB>) => Promise<Record<string, number>>;
  /** What `npm run rebuild -- <service>` rebuilds from the topics (rebuild.ts); topics by schema name. */
  readModel?: Omit<ReadModel<DB>, 'subscription'>;
  /** Extra work after handlers start (an HTTP API, a timer); returns how to stop it. */
  start?: (ctx: ServiceContext<DB>) => Promise<() => Promise<void>>;
}

export interface RunningService<DB> extends ServiceContext<DB> {
  opsPort: number;
  stop(): Promise<void>;
}

export async function startService<DB extends MessagingTables>(
  definition: ServiceDefinition<DB>,
  options: { env?: NodeJS.ProcessEnv; exitOnSignal?: boolean; logger?: Logger } = {},
): Promise<RunningService<DB>> {
  const config = loadConfig(definition.name, definition.defaultOpsPort, options.env);
  const logger = options.logger ?? createLogger(definition.name, config.logLevel);
  const metrics = createMetrics(definition.name);
  const shutdown: Shutdown = createShutdown(logger, 15_000, options.exitOnSignal ?? true);
  try {
    return await wire(definition, config, logger, metrics, shutdown);
  } catch (error) {
    // Whatever opened before the failing step (pool, bus, timers) closes, so the process can exit with the error.
    logger.error({ err: (error as Error).message }, 'start failed');
    await shutdown.closeOpened();
    throw error;
  }
}

async function wire<DB extends MessagingTables>(
  definition: ServiceDefinition<DB>,
  config: ServiceConfig,
  logger: Logger,
  metrics: Metrics,
  shutdown: Shutdown,
): Promise<RunningService<DB>> {
  await whenAvailable(logger, 'database', () => ensureDatabase(config.databaseUrl));
  const { db } = connect<DB>(config.databaseUrl, config.dbPoolSize);
  shutdown.onShutdown('database', () => db.destroy());
  await whenAvailable(logger, 'migrations', () => migrate(db as unknown as Kysely<unknown>, definition.migrations));

  const bus = await busFor(config, { logger, producerName: definition.name });
  shutdown.onShutdown('bus', () => bus.close());
  const codecs = contractCodecs();
  if (config.busDriver !== 'memory') {
    // A fleet service registers the schemas of what it produces (its role may touch nothing else) and
    // learns older writer versions of what it reads; a service outside the fleet's table (a test's) does all.
    const access = (FLEET_ACCESS as Partial<Record<string, TopicAccess>>)[definition.name];
    const reads = access ? [...access.produces, ...access.consumes] : undefined;
    const common = { tenant: config.tenant, token: config.pulsarToken };
    await whenAvailable(logger, 'schema registry', async () => {
      await registerSchemas(config.pulsarAdminUrl, codecs, { ...common, topics: access?.produces });
      await loadRegisteredWriterSchemas(config.pulsarAdminUrl, codecs, { ...common, topics: reads });
    });
  }

  const relay = startOutboxRelay({
    db: db as unknown as Kysely<MessagingTables>,
    connectionString: config.databaseUrl,
    bus,
    logger,
    onPublished: (count) => metrics.published.inc({ source: 'outbox' }, count),
    pack: { ...DEFAULT_PACK_LIMITS, maxMessages: config.outboxPackMax },
  });
  shutdown.onShutdown('outbox relay (flush)', () => relay.stop());
  const statsTimer = setInterval(() => {
    relay
      .stats()
      .then((s) => {
        metrics.outboxBacklog.set(s.backlog);
        metrics.outboxAgeSeconds.set(s.oldestAgeSeconds);
      })
      .catch(() => undefined);
  }, 5000);
  statsTimer.unref();
  shutdown.onShutdown('outbox stats', async () => clearInterval(statsTimer));

  // Bounded tables: every service prunes its outbox and inbox (and its own tables) past their retention.
  const prune = async () => {
    const pruned = {
      ...(await pruneMessaging(db as unknown as Kysely<MessagingTables>)),
      ...(await definition.prune?.(db)),
    };
    if (Object.values(pruned).some((n) => n > 0)) logger.info({ pruned }, 'pruned rows past their retention');
  };
  const pruneTimer = setInterval(
    () => void prune().catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'pruning failed')),
    PRUNE_EVERY_MS,
  );
  pruneTimer.unref();
  shutdown.onShutdown('pruning', async () => clearInterval(pruneTimer));

  metrics.retentionWindowSeconds.set(retentionPolicyFromEnv().retentionTimeInMinutes * 60);
  const ctx: ServiceContext<DB> = { config, logger, db, bus, codecs, metrics, relay };
  const subscriptions: Subscription[] = [];
  const definitions = definition.subscriptions(ctx);
  for (const sub of definitions) {
    const maxDeliveries = sub.maxDeliveries ?? 10;
    subscriptions.push(
      await runHandlers<DB, MessageTypes>({
        bus,
        db,
        codecs,
        service: definition.name,
        logger,
        tenant: config.tenant,
        relay,
        handlers: sub.handlers,
        envelopeOnly: sub.envelopeOnly,
        maxBatch: Math.min(sub.maxBatch ?? maxBatchOf(sub.topic) ?? config.consumerMaxBatch, config.consumerMaxBatch),
        subscription: {
          topic: pulsarTopic(sub.topic, config.tenant),
          name: sub.subscriptionName ?? `${definition.name}-service`,
          type: 'Key_Shared',
          initialPosition: 'Earliest',
          nackRedeliveryDelayMs: sub.nackRedeliveryDelayMs ?? 1000,
          maxDeliveries,
        },
        onReceived: (m) => {
          const age = (Date.now() - Date.parse(m.publishTime)) / 1000;
          if (Number.isFinite(age)) metrics.consumerLagSeconds.set({ topic: sub.topic }, Math.max(0, age));
        },
        onHandled: (type, outcome, seconds) => {
          metrics.consumed.inc({ type, outcome });
          metrics.handlerSeconds.observe({ type }, seconds);
        },
      }),
    );
  }
  shutdown.onShutdown('consumers (finish in-flight)', async () => {
    await Promise.all(subscriptions.map((s) => s.close()));
  });
  // Runs first (closers run last-registered first): in-flight work stops waiting on the broker.
  shutdown.onShutdown('outbox sends on commit', async () => relay.stopSending());

  if (definition.start) shutdown.onShutdown('service extras', await definition.start(ctx));

  const ops = await startOpsServer(config.opsPort, metrics.registry, {
    database: async () => {
      await db.selectNoFrom((eb) => eb.lit(1).as('ok')).execute();
      return true;
    },
    pulsar: () => bus.isHealthy(),
  });
  shutdown.onShutdown('ops server', () => ops.close());
  logger.info({ opsPort: ops.port, topics: definitions.map((s) => s.topic) }, 'service started');

  return { ...ctx, opsPort: ops.port, stop: () => shutdown.run('stop requested') };
}
