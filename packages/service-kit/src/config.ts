/** One config loader for every service: environment variables, checked with zod, with local defaults. */
import { z } from 'zod';
import type { Logger } from 'pino';
import { createBus, pulsarTokenFromEnv, type MessageBus } from '@beacon/messaging';

const BaseEnv = z.object({
  PULSAR_URL: z.string().optional(),
  PULSAR_ADMIN_URL: z.string().url().default('http://127.0.0.1:8080'),
  PULSAR_TENANT: z.string().min(1).default('beacon'),
  BUS_DRIVER: z.enum(['websocket', 'native', 'memory']).default('websocket'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OPS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  PGHOST: z.string().default('127.0.0.1'),
  PGPORT: z.coerce.number().int().default(5432),
  PGUSER: z.string().default('postgres'),
  /** connections per service: handlers of several subscriptions and HTTP requests share them */
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** messages of one key handled in one transaction, at most (what has arrived since the last batch) */
  CONSUMER_MAX_BATCH: z.coerce.number().int().min(1).max(1000).default(50),
  /** messages of one topic and key sent in one Pulsar message (a pack), at most; 1 sends each alone */
  OUTBOX_PACK_MAX: z.coerce.number().int().min(1).max(1000).default(100),
});

export interface ServiceConfig {
  service: string;
  databaseUrl: string;
  pulsarAdminUrl: string;
  pulsarUrl: string | undefined;
  /** This service's Pulsar role token (PULSAR_TOKEN or PULSAR_TOKEN_FILE); the broker refuses a client without one. */
  pulsarToken: string | undefined;
  tenant: string;
  busDriver: 'websocket' | 'native' | 'memory';
  logLevel: string;
  opsPort: number;
  dbPoolSize: number;
  consumerMaxBatch: number;
  outboxPackMax: number;
}

/** `<SERVICE>_DATABASE_URL` wins; otherwise beacon_<service> on the local server. */
export function databaseUrlFor(service: string, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env[`${service.toUpperCase()}_DATABASE_URL`];
  if (explicit) return explicit;
  const host = env.PGHOST ?? '127.0.0.1';
  const port = env.PGPORT ?? '5432';
  const user = env.PGUSER ?? 'postgres';
  return `postgres://${user}@${host}:${port}/beacon_${service}`;
}

export function loadConfig(
  service: string,
  defaultOpsPort: number,
  env: NodeJS.ProcessEnv = process.env,
): ServiceConfig {
  const parsed = BaseEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`bad configuration for ${service}: ${problems}`);
  }
  const e = parsed.data;
  return {
    service,
    databaseUrl: databaseUrlFor(service, env),
    pulsarAdminUrl: e.PULSAR_ADMIN_URL.replace(/\/$/, ''),
    pulsarUrl: e.PULSAR_URL,
    pulsarToken: pulsarTokenFromEnv(env),
    tenant: e.PULSAR_TENANT,
    busDriver: e.BUS_DRIVER,
    logLevel: e.LOG_LEVEL,
    opsPort: e.OPS_PORT ?? defaultOpsPort,
    dbPoolSize: e.DB_POOL_SIZE,
    consumerMaxBatch: e.CONSUMER_MAX_BATCH,
    outboxPackMax: e.OUTBOX_PACK_MAX,
  };
}

/** The bus a service's configuration names: its driver, its broker, its role's token. */
export function busFor(
  config: ServiceConfig,
  options: { logger?: Logger; producerName?: string } = {},
): Promise<MessageBus> {
  return createBus({
    driver: config.busDriver,
    serviceUrl: config.pulsarAdminUrl,
    brokerUrl: config.pulsarUrl,
    token: config.pulsarToken,
    ...options,
  });
}
