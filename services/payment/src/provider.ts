/**
 * The built-in simulated payment provider. Like a real one it keeps its own record of what it paid,
 * keyed by payout id, outside Beacon's transactions (here: its own table, written with autocommit),
 * so a payout asked for twice — a redelivery after a crash or a failed commit — is paid once.
 */
import type { Kysely } from 'kysely';
import type { Database } from './db.js';
import { simulatedResult, type PaymentProvider, type PayoutResult } from './ledger.js';

export function simulatedProvider(db: Kysely<Database>): PaymentProvider & { paymentsMade(): number } {
  let made = 0;
  return {
    async pay(request) {
      const result = simulatedResult(request);
      const inserted = await db
        .insertInto('provider_payments')
        .values({
          payout_id: request.payoutId,
          amount_minor: request.amountMinor,
          currency: request.currency,
          destination: request.destination,
          result: JSON.stringify(result),
        })
        .onConflict((oc) => oc.column('payout_id').doNothing())
        .returning('payout_id')
        .executeTakeFirst();
      if (inserted) {
        if (result.ok) made += 1;
        return result;
      }
      const first = await db
        .selectFrom('provider_payments')
        .select('result')
        .where('payout_id', '=', request.payoutId)
        .executeTakeFirstOrThrow();
      return first.result as PayoutResult;
    },
    /** Money actually moved by this process (a test's view of the outside world). */
    paymentsMade: () => made,
  };
}
