/**
 * Rebuilds a service's read model from its topics' history while the service keeps serving
 * (packages/service-kit/src/rebuild.ts says how):
 *
 *   npm run rebuild -- bff         the BFF's read models (stats, commissions, balances, timelines, ...)
 *   npm run rebuild -- tracking    tracking's replica of the campaign context (terms and coupon codes)
 *   npm run rebuild -- bff --compare   then, per table, the rows that differ from the tables it replaced
 *
 * It acts as the service itself: the service's Pulsar role (it may read only what the service reads)
 * and the service's database role. The old tables are kept in the `retired_<service>_<time>` schema
 * it prints; drop that schema once satisfied. `--keep-sandbox` is not offered: a failed rebuild's
 * sandbox is dropped by the next run.
 */
import { codecs as contractCodecs, FLEET_ACCESS, loadRegisteredWriterSchemas } from '@beacon/contracts';
import { pulsarTopic } from '@beacon/messaging';
import {
  busFor,
  compareWithRetired,
  createLogger,
  loadConfig,
  rebuildReadModel,
  type ServiceDefinition,
} from '@beacon/service-kit';
import { BFF_READ_MODEL } from '../services/bff/src/service.js';
import { trackingService } from '../services/tracking/src/service.js';
import { serviceSecretsEnv } from './lib/secrets.js';

type AnyReadModel = NonNullable<ServiceDefinition<never>['readModel']>;
const READ_MODELS: Record<string, AnyReadModel | undefined> = {
  bff: BFF_READ_MODEL as unknown as AnyReadModel,
  tracking: trackingService.readModel as unknown as AnyReadModel,
};

export interface RebuildCommandOptions {
  env?: NodeJS.ProcessEnv;
  beforeSwap?: () => Promise<void>;
  onProgress?: (applied: number) => void;
}

/** Rebuilds `service`'s read model against the broker and database its environment names. */
export async function rebuild(service: string, options: RebuildCommandOptions = {}) {
  const model = READ_MODELS[service];
  if (!model)
    throw new Error(`no read model to rebuild for "${service}" (one of: ${Object.keys(READ_MODELS).join(', ')})`);
  const given = { ...process.env, ...options.env };
  // The service's own secrets (the local fleet's), unless the environment names a token of its own.
  const named = Boolean(given.PULSAR_TOKEN || given.PULSAR_TOKEN_FILE);
  const env = named
    ? {
        ...given,
        ...serviceSecretsEnv(service, given),
        PULSAR_TOKEN: given.PULSAR_TOKEN,
        PULSAR_TOKEN_FILE: given.PULSAR_TOKEN_FILE,
      }
    : { ...given, ...serviceSecretsEnv(service, given) };
  const config = loadConfig(service, 0, env);
  const logger = createLogger(`${service}-rebuild`, config.logLevel);
  const bus = await busFor(config, { logger });
  try {
    const codecs = contractCodecs();
    const access = FLEET_ACCESS[service as keyof typeof FLEET_ACCESS];
    await loadRegisteredWriterSchemas(config.pulsarAdminUrl, codecs, {
      tenant: config.tenant,
      token: config.pulsarToken,
      topics: access.consumes,
    });
    return await rebuildReadModel<never>({
      service,
      model: {
        ...(model as AnyReadModel),
        subscription: `${service}-service`,
        topics: model.topics.map(({ topic, handlers }) => ({ topic: pulsarTopic(topic, config.tenant), handlers })),
      },
      databaseUrl: config.databaseUrl,
      bus,
      codecs,
      logger,
      beforeSwap: options.beforeSwap,
      onProgress: options.onProgress,
    });
  } finally {
    await bus.close();
  }
}

/** Compares the rebuilt tables with those the swap retired, as the service's database role, and prints it. */
export async function compareRebuild(service: string, retiredSchema: string, env: NodeJS.ProcessEnv = process.env) {
  const model = READ_MODELS[service];
  if (!model) throw new Error(`no read model for "${service}"`);
  const config = loadConfig(service, 0, { ...env, ...serviceSecretsEnv(service, env) });
  return compareWithRetired({
    databaseUrl: config.databaseUrl,
    tables: model.tables,
    retiredSchema,
    incidental: model.incidental,
  });
}

async function printComparison(service: string, retiredSchema: string): Promise<void> {
  const tables = await compareRebuild(service, retiredSchema);
  for (const t of tables)
    console.log(
      t.onlyBefore === 0 && t.onlyAfter === 0
        ? `  ${t.table}: identical`
        : `  ${t.table}: ${t.onlyBefore} rows only in ${retiredSchema}, ${t.onlyAfter} only in the rebuilt table`,
    );
  const differing = tables.filter((t) => t.onlyBefore + t.onlyAfter > 0).length;
  console.log(`${differing} of ${tables.length} tables differ from the ones replaced`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const service = process.argv.slice(2).find((a) => a !== '--' && !a.startsWith('--'));
  if (!service) {
    console.error(`usage: npm run rebuild -- <${Object.keys(READ_MODELS).join('|')}>`);
    process.exit(2);
  }
  try {
    const report = await rebuild(service);
    if (process.argv.includes('--compare')) await printComparison(service, report.retiredSchema);
    console.log(
      `rebuilt ${service}'s read model: ${report.applied} messages in ${report.seconds.toFixed(1)} s ` +
        `(${Math.round(report.applied / report.seconds)} messages/s); live tables held ${report.swapMs} ms for the swap; ` +
        `${report.passedOver} passed over. Old tables: schema ${report.retiredSchema} ` +
        `(DROP SCHEMA ${report.retiredSchema} CASCADE when satisfied)`,
    );
  } catch (error) {
    console.error(`rebuild failed, the live read model is as it was: ${(error as Error).message}`);
    process.exit(1);
  }
}
