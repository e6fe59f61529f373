/** Retention of operations, their steps and ignored events: pruned in bounded batches. */
import { sql, type Kysely } from 'kysely';
import { deleteInBatches } from '@beacon/messaging';
import type { Database } from '../db.js';

/** How long a flow's timeline can be read back: far longer than any flow takes to settle. */
export const OPERATION_RETENTION_DAYS = 7;

export async function pruneOperations(
  db: Kysely<Database>,
): Promise<{ operations: number; operationSteps: number; ignoredEvents: number }> {
  const plain = db as unknown as Kysely<unknown>;
  const operationSteps = await deleteInBatches(
    plain,
    (limit) => sql`DELETE FROM operation_steps WHERE ctid IN (SELECT ctid FROM operation_steps
    WHERE seen_at < clock_timestamp() - make_interval(days => ${OPERATION_RETENTION_DAYS}) LIMIT ${limit})`,
  );
  const operations = await deleteInBatches(
    plain,
    (limit) => sql`DELETE FROM operations WHERE ctid IN (SELECT ctid FROM operations
    WHERE created_at < clock_timestamp() - make_interval(days => ${OPERATION_RETENTION_DAYS}) LIMIT ${limit})`,
  );
  const ignoredEvents = await deleteInBatches(
    plain,
    (limit) => sql`DELETE FROM rm_ignored_events WHERE ctid IN (SELECT ctid FROM rm_ignored_events
    WHERE seen_at < clock_timestamp() - make_interval(days => ${OPERATION_RETENTION_DAYS}) LIMIT ${limit})`,
  );
  return { operations, operationSteps, ignoredEvents };
}
