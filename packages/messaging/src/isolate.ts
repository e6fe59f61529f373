/**
 * Poison isolation inside one message. A batch message carries many items (the tracking stream's
 * events, of many tenants): an item that cannot be applied must not fail the items beside it. The
 * items are applied together in a savepoint; when that fails because of the data (PostgreSQL's data
 * exception and integrity classes, or an error of the handler's own), each item is applied alone in
 * a savepoint of its own, those that fail alone are handed to `poisoned`, and the rest stay applied.
 *
 * A transient fault (a lost connection, a serialization failure, a deadlock) is no item's fault: it
 * is rethrown and the whole message retries. So is a failure of every item alone: then the fault is
 * the message's or the code's, and the message goes the usual way (redelivery, then dead letter).
 */
import { sql, type Transaction } from 'kysely';

/** SQLSTATE classes a retry of the same statement can cure; anything else is the data's fault. */
const TRANSIENT = /^(08|40|53|57|58)/;

export const isTransient = (error: unknown): boolean => {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && TRANSIENT.test(code);
};

async function inSavepoint<DB>(trx: Transaction<DB>, name: string, run: () => Promise<void>): Promise<unknown> {
  await sql`SAVEPOINT ${sql.id(name)}`.execute(trx);
  try {
    await run();
    await sql`RELEASE SAVEPOINT ${sql.id(name)}`.execute(trx);
    return undefined;
  } catch (error) {
    await sql`ROLLBACK TO SAVEPOINT ${sql.id(name)}`.execute(trx);
    return error ?? new Error('failed');
  }
}

export async function applyIsolated<DB, T>(
  trx: Transaction<DB>,
  items: T[],
  apply: (items: T[]) => Promise<void>,
  poisoned: (item: T, error: Error) => Promise<void>,
): Promise<void> {
  const together = await inSavepoint(trx, 'beacon_items', () => apply(items));
  if (together === undefined) return;
  if (isTransient(together) || items.length === 1) throw together;
  const failures: Array<{ item: T; error: Error }> = [];
  for (const item of items) {
    const alone = await inSavepoint(trx, 'beacon_item', () => apply([item]));
    if (alone === undefined) continue;
    if (isTransient(alone)) throw alone;
    failures.push({ item, error: alone as Error });
  }
  if (failures.length === items.length) throw together;
  for (const { item, error } of failures) await poisoned(item, error);
}
