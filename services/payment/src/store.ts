/**
 * The payment service's SQL: the advisory lock of a ledger, ledger entries (booked once per kind and
 * reference), payouts (locked, saved), and what a payout's settlement reads from the ledger.
 */
import { sql, type Insertable, type Kysely } from 'kysely';
import type { Entry } from '@beacon/domain';
import type { MessageContext } from '@beacon/contracts';
import type { Database } from './db.js';
import type { LedgerFacts, Payout, PayoutStatus } from './payout.js';

export type Trx = MessageContext<Database>['trx'];

/** One influencer's ledger in one currency: what one advisory lock guards. */
export const ledgerOf = (influencerId: string, currency: string): string => `${influencerId}/${currency}`;

/**
 * Serialises every change to these ledgers across replicas: one advisory lock each, taken in a fixed
 * order so two transactions never wait on each other crosswise.
 */
export async function lockLedgers(trx: Trx, ledgers: string[]): Promise<void> {
  for (const ledger of [...new Set(ledgers)].sort())
    await sql`SELECT pg_advisory_xact_lock(hashtext(${ledger}))`.execute(trx);
}

/** Books entries in one insert; an entry of a kind and reference booked before is skipped. Returns the ids booked now. */
export async function insertEntries(trx: Trx, rows: Insertable<Database['ledger_entries']>[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const inserted = await trx
    .insertInto('ledger_entries')
    .values(rows)
    .onConflict((oc) => oc.columns(['kind', 'reference']).doNothing())
    .returning('id')
    .execute();
  return new Set(inserted.map((r) => r.id));
}

/** Every entry of one ledger, as the balance rule reads them. */
export async function entriesOf(trx: Trx, influencerId: string, currency: string): Promise<Entry[]> {
  const rows = await trx
    .selectFrom('ledger_entries')
    .select(['kind', 'amount_minor', 'available_at'])
    .where('influencer_id', '=', influencerId)
    .where('currency', '=', currency)
    .execute();
  return rows.map((e) => ({
    kind: e.kind as Entry['kind'],
    amountMinor: e.amount_minor,
    availableAt: e.available_at.toISOString(),
  }));
}

export async function payoutExists(trx: Trx, payoutId: string): Promise<boolean> {
  return (await trx.selectFrom('payouts').select('id').where('id', '=', payoutId).executeTakeFirst()) !== undefined;
}

export async function insertPayout(trx: Trx, row: Insertable<Database['payouts']>): Promise<void> {
  await trx.insertInto('payouts').values(row).execute();
}

/** A payout, locked for this transaction. */
export async function lockPayout(trx: Trx, payoutId: string): Promise<Payout | undefined> {
  const row = await trx.selectFrom('payouts').selectAll().where('id', '=', payoutId).forUpdate().executeTakeFirst();
  return (
    row && {
      id: row.id,
      influencerId: row.influencer_id,
      amountMinor: row.amount_minor,
      currency: row.currency,
      status: row.status as PayoutStatus,
      reason: row.reason,
      completedAt: row.completed_at?.toISOString() ?? null,
    }
  );
}

export async function savePayout(trx: Trx, p: Payout): Promise<void> {
  await trx
    .updateTable('payouts')
    .set({ status: p.status, reason: p.reason, completed_at: p.completedAt ? new Date(p.completedAt) : null })
    .where('id', '=', p.id)
    .execute();
}

/** Whose ledger, in which currency: fixed when the payout was requested, so read without a lock. */
export async function payoutOwner(trx: Trx, payoutId: string): Promise<{ influencer_id: string; currency: string }> {
  return trx
    .selectFrom('payouts')
    .select(['influencer_id', 'currency'])
    .where('id', '=', payoutId)
    .executeTakeFirstOrThrow();
}

/** A payout as it stands, outside any transaction (before the provider is called). */
export async function readPayout(db: Kysely<Database>, payoutId: string) {
  return db.selectFrom('payouts').selectAll().where('id', '=', payoutId).executeTakeFirst();
}

/** What a payout's settlement needs from the influencer's ledger in one currency (read under its lock). */
export async function ledgerFacts(trx: Trx, influencerId: string, currency: string): Promise<LedgerFacts> {
  const paid = await trx
    .selectFrom('payouts')
    .select((eb) => eb.fn.sum<bigint>('amount_minor').as('total'))
    .where('influencer_id', '=', influencerId)
    .where('currency', '=', currency)
    .where('status', '=', 'completed')
    .executeTakeFirst();
  const credits = await trx
    .selectFrom('ledger_entries')
    .select(['reference', 'amount_minor', 'settled'])
    .where('influencer_id', '=', influencerId)
    .where('currency', '=', currency)
    .where('kind', '=', 'commission_credit')
    .where(
      'reference',
      'not in',
      trx.selectFrom('ledger_entries').select('reference').where('kind', '=', 'reversal_debit'),
    )
    .orderBy('created_at')
    .execute();
  return {
    unsettledCredits: credits
      .filter((c) => !c.settled)
      .map((c) => ({ commissionId: c.reference, amountMinor: c.amount_minor })),
    paidBefore: BigInt(paid?.total ?? 0n),
    alreadySettled: credits.filter((c) => c.settled).reduce((s, c) => s + c.amount_minor, 0n),
  };
}

/** Marks the commission credits a completed payout covers as settled. */
export async function markSettled(trx: Trx, commissionIds: string[]): Promise<void> {
  if (commissionIds.length === 0) return;
  await trx
    .updateTable('ledger_entries')
    .set({ settled: true })
    .where('kind', '=', 'commission_credit')
    .where('reference', 'in', commissionIds)
    .execute();
}
