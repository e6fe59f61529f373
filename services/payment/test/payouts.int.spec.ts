import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { deliver, freshServiceDatabase } from '@beacon/testing';
import type { HandlerMap } from '@beacon/messaging';
import type { Database } from '../src/db.js';
import { migrations } from '../src/migrations.js';
import { paymentService } from '../src/service.js';

const USD = (amountMinor: number) => ({ amountMinor, currency: 'USD' });
let db: Kysely<Database>;
let handlers: HandlerMap<Database>;

beforeAll(async () => {
  db = await freshServiceDatabase<Database>('beacon_payment_int_test', migrations);
  handlers = Object.assign({}, ...paymentService().subscriptions({} as never).map((s) => s.handlers));
});
afterAll(() => db.destroy());

async function credit(influencerId: string, amountMinor: number, messageId?: string) {
  return deliver(db, handlers, 'commission.CommissionApproved', {
    commissionId: `c-${influencerId}-${amountMinor}`, campaignId: 'camp', influencerId, sourceEventId: 'e', requested: USD(amountMinor), amount: USD(amountMinor), holdingPeriodDays: 0,
  }, { messageId });
}
const available = async (influencerId: string) =>
  Number((await db.selectFrom('ledger_entries').select((eb) => eb.fn.sum<number>('amount_minor').as('s')).where('influencer_id', '=', influencerId).executeTakeFirst())?.s ?? 0);
const payout = (influencerId: string, amountMinor: number, destination = 'me@example.com') =>
  ({ payoutId: randomUUID(), influencerId, amount: USD(amountMinor), method: 'paypal', destination });

describe('payments on real PostgreSQL', () => {
  it('credits once for a redelivered approval, and once for the same approval published twice', async () => {
    const id = `inf-${randomUUID()}`;
    const messageId = randomUUID();
    await credit(id, 1000, messageId);
    await credit(id, 1000, messageId);
    await credit(id, 1000);
    expect(await available(id)).toBe(1000);
  });

  it('accepts exactly one of two concurrent payouts for more than half the balance', async () => {
    const id = `inf-${randomUUID()}`;
    await credit(id, 1000);
    const results = await Promise.all([payout(id, 600), payout(id, 600)].map((p) => deliver(db, handlers, 'payment.RequestPayout', p)));
    const types = results.map((r) => r.map((e) => e.type).find((t) => t === 'payment.PayoutRequested' || t === 'payment.PayoutRejected'));
    expect(types.sort()).toEqual(['payment.PayoutRejected', 'payment.PayoutRequested']);
    expect(await available(id)).toBe(400);
  });

  it('returns the funds of a failed payout', async () => {
    const id = `inf-${randomUUID()}`;
    await credit(id, 1000);
    const request = payout(id, 800, 'please-fail@example.com');
    const requested = await deliver(db, handlers, 'payment.RequestPayout', request);
    expect(await available(id)).toBe(200);
    const processed = await deliver(db, handlers, 'payment.PayoutRequested', requested.find((e) => e.type === 'payment.PayoutRequested')!.value);
    expect(processed.map((e) => e.type)).toEqual(['payment.PayoutProcessing', 'payment.LedgerEntryRecorded', 'payment.PayoutFailed']);
    expect(await available(id)).toBe(1000);
    expect((await db.selectFrom('payouts').select(['status', 'reason']).where('id', '=', request.payoutId).executeTakeFirst())).toEqual({ status: 'failed', reason: 'PROVIDER_DECLINED' });
  });
});
