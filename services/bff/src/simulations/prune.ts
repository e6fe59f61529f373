/** Finished simulations are kept as long as the operations that followed them. */
import { sql, type Kysely } from 'kysely';
import { deleteInBatches } from '@beacon/messaging';
import type { Database } from '../db.js';
import { OPERATION_RETENTION_DAYS } from '../operations/prune.js';

export const pruneSimulations = (db: Kysely<Database>): Promise<number> =>
  deleteInBatches(
    db as unknown as Kysely<unknown>,
    (limit) => sql`DELETE FROM simulations WHERE ctid IN (SELECT ctid FROM simulations
    WHERE completed_at < clock_timestamp() - make_interval(days => ${OPERATION_RETENTION_DAYS}) LIMIT ${limit})`,
  );
