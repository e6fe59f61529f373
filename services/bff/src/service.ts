/** The BFF as a service: projections consume every events topic; the HTTP API starts after them. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkReadiness, connect, type ServiceDefinition } from '@beacon/service-kit';
import { createApp } from './app.js';
import { authConfigFromEnv, createVerifier, isDevelopment, linkSecretFromEnv } from './http/jwt.js';
import { createPublisher } from './command-gateway.js';
import { batchLimitsFromEnv, createTrackingBatcher } from './tracking/batches.js';
import { visitorCookies } from './tracking/links.js';
import type { Database } from './db.js';
import { deadLetterCounts, deadLetterSubscriptions, pruneDeadLetters } from './dead-letters/dead-letters.js';
import { pruneIdempotencyKeys } from './http/idempotency.js';
import { callerRateLimit, limitsFromEnv, linkClickLimit, pruneRateLimits } from './http/rate-limits.js';
import { migrations } from './migrations.js';
import { OPERATION_RETENTION_DAYS, pruneOperations } from './operations/prune.js';
import { projectionHandlers } from './projections.js';
import { pruneSimulations } from './simulations/prune.js';
import { startSimulationWorker } from './simulations/worker.js';
import { FLEET_ACCESS } from '@beacon/contracts';
import { webhookKeyFromEnv } from '@beacon/domain';

/** The topics the BFF projects from: every topic its role may consume (FLEET_ACCESS), one list for both. */
export const EVENT_TOPICS: readonly string[] = FLEET_ACCESS.bff.consumes;

/**
 * The read model `npm run rebuild -- bff` rebuilds: every table the projections write, from every
 * events topic. Operations are the BFF's own record of the requests it took (not on any topic): kept,
 * and so are the command steps of their timelines; steps older than the operations' retention are
 * not brought back.
 */
export const BFF_READ_MODEL = {
  tables: [
    'rm_campaigns',
    'rm_campaign_influencers',
    'rm_tracking_events',
    'rm_unapplied_events',
    'rm_ignored_events',
    'rm_stats',
    'rm_commission_stats',
    'rm_campaign_windows',
    'rm_activity',
    'rm_commissions',
    'rm_customers',
    'rm_coupons',
    'rm_ledger',
    'rm_payouts',
    'rm_webhook_endpoints',
    'rm_webhook_deliveries',
    'operation_steps',
  ],
  views: ['rm_figures'],
  scratch: ['operations'],
  carryOver: { operation_steps: `kind = 'command'` },
  // paging cursors and the time an ignored repeat was seen: when, not what
  incidental: ['seq', 'seen_at'],
  trim: {
    operation_steps: `occurred_at::timestamptz < now() - interval '${OPERATION_RETENTION_DAYS} days'`,
    rm_ignored_events: `recorded_at::timestamptz < now() - interval '${OPERATION_RETENTION_DAYS} days'`,
  },
  topics: EVENT_TOPICS.map((topic) => ({ topic, handlers: projectionHandlers(topic) })),
};

/** TRUST_PROXY: a comma-separated list of proxy addresses or subnets ("loopback", "10.0.0.0/8"); unset trusts none. */
export function trustedProxies(value: string | undefined): false | string[] {
  const list = (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  return list.length > 0 ? list : false;
}

/** What the BFF's HTTP side needs from its environment; reading it throws a ConfigError the operator reads. */
export function bffSettingsFromEnv(env: NodeJS.ProcessEnv = process.env) {
  return {
    auth: authConfigFromEnv(env),
    linkSecret: linkSecretFromEnv(env),
    development: isDevelopment(env),
    limits: limitsFromEnv(env),
    webhookKey: webhookKeyFromEnv(env),
  };
}

export function bffService(
  options: { port?: number; onListening?: (port: number) => void; env?: NodeJS.ProcessEnv } = {},
): ServiceDefinition<Database> {
  // Read before anything starts: a BFF without real secrets never opens a port.
  const { auth, linkSecret, development, limits, webhookKey } = bffSettingsFromEnv(options.env);
  return {
    name: 'bff',
    defaultOpsPort: 9100,
    migrations,
    readModel: BFF_READ_MODEL,
    prune: async (db) => ({
      idempotencyKeys: await pruneIdempotencyKeys(db),
      ...(await pruneOperations(db)),
      deadLetters: await pruneDeadLetters(db),
      rateLimits: await pruneRateLimits(db),
      simulations: await pruneSimulations(db),
    }),
    subscriptions: (ctx) => [
      ...EVENT_TOPICS.map((topic) => ({ topic, handlers: projectionHandlers(topic) })),
      ...deadLetterSubscriptions((type) => ctx.metrics.deadLettered.inc({ type })),
    ],
    async start(ctx) {
      // Requests get their own connections: they never wait behind the projections' transactions.
      const { db: requestDb, pool: requestPool } = connect<Database>(
        ctx.config.databaseUrl,
        Number(process.env.BFF_REQUEST_POOL_SIZE ?? 5),
      );
      const refused = (reason: string) => () => ctx.metrics.refused.inc({ reason });
      const batcher = createTrackingBatcher({
        bus: ctx.bus,
        db: requestDb,
        codecs: ctx.codecs,
        tenant: ctx.config.tenant,
        limits: batchLimitsFromEnv(),
        onError: (error) =>
          ctx.logger.warn({ err: (error as Error).message }, 'the broker did not accept a tracking batch'),
        onAccepted: (events) => ctx.metrics.trackingEventsAccepted.inc(events),
        onRefused: refused('tracking_queue_full'),
      });
      const app = createApp({
        db: requestDb,
        batcher,
        publisher: createPublisher({
          bus: ctx.bus,
          db: requestDb,
          codecs: ctx.codecs,
          tenant: ctx.config.tenant,
          onError: (error) => ctx.logger.warn({ err: (error as Error).message }, 'the broker did not accept a command'),
        }),
        verify: createVerifier(auth),
        rateLimit: callerRateLimit(requestPool, limits, refused('caller_rate')),
        clickAllowed: linkClickLimit(requestPool, limits),
        onClickLimited: refused('link_clicks'),
        linkSecret,
        visitors: visitorCookies(
          linkSecret,
          process.env.COOKIE_SECURE ? process.env.COOKIE_SECURE !== 'false' : !development,
        ),
        trustProxy: trustedProxies(process.env.TRUST_PROXY),
        logger: ctx.logger,
        development,
        webhookKey,
        deadLetters: () => deadLetterCounts(ctx.db),
        httpSeconds: ctx.metrics.httpSeconds,
        readiness: () =>
          checkReadiness({
            database: async () => (await ctx.db.selectNoFrom((eb) => eb.lit(1).as('ok')).execute(), true),
            pulsar: () => ctx.bus.isHealthy(),
          }),
      });
      const stopSimulations = startSimulationWorker({
        db: requestDb,
        bus: ctx.bus,
        codecs: ctx.codecs,
        tenant: ctx.config.tenant,
        logger: ctx.logger,
        maxMessages: Number(process.env.SIMULATION_MAX_MESSAGES ?? 500_000),
        inboxSubscription: 'bff-service',
        onDone: (status, seconds, messages) => ctx.logger.info({ status, seconds, messages }, 'simulation finished'),
      });
      const server = http.createServer(app);
      const port = options.port ?? Number(process.env.BFF_PORT ?? 8000);
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '0.0.0.0', resolve));
      const bound = (server.address() as AddressInfo).port;
      ctx.logger.info({ port: bound }, `BFF listening on http://localhost:${bound}`);
      options.onListening?.(bound);
      return async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await batcher.flush();
        await stopSimulations();
        await requestDb.destroy();
      };
    },
  };
}
