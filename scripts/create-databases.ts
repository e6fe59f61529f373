/** Creates one database per service (beacon_<service>) if missing; per-service URLs are honoured. */
import { databaseUrlFor, ensureDatabase } from '@beacon/service-kit';

export const SERVICES = ['bff', 'campaign', 'tracking', 'commission', 'payment'] as const;

export async function createDatabases(): Promise<void> {
  for (const service of SERVICES) await ensureDatabase(databaseUrlFor(service));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await createDatabases();
  console.log(`databases ready: ${SERVICES.map((s) => `beacon_${s}`).join(', ')}`);
}
