import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { deliver, deliverMany, freshServiceDatabase, USD } from '@beacon/testing';
import type { Database } from '../src/db.js';
import { migrations } from '../src/migrations.js';
import { simulatedProvider } from '../src/provider.js';
import { paymentService } from '../src/service.js';
import { defined } from '@beacon/domain';
import type { MessageHandlers, PayoutProcessing, PayoutRequested } from '@beacon/contracts';

let db: Kysely<Database>;
let handlers: MessageHandlers<Database>;
let provider: ReturnType<typeof simulatedProvider>;
let providerCalls = 0;

beforeAll(async () => {
  db = await freshServiceDatabase<Database>('beacon_payment_int_test', migrations);
  provider = simulatedProvider(db);
  const counting = {
    pay: (request: Parameters<typeof provider.pay>[0]) => ((providerCalls += 1), provider.pay(request)),
  };
  handlers = Object.assign(
    {},
    ...paymentService({ provider: counting })
      .subscriptions({ db } as never)
      .map((s) => s.handlers),
  );
});
afterAll(() => db.destroy());

async function credit(influencerId: string, amountMinor: number, messageId?: string) {
  return deliver(
    db,
    handlers,
    'commission.CommissionApproved',
    {
      commissionId: `c-${influencerId}-${amountMinor}`,
      campaignId: 'camp',
      influencerId,
      sourceEventId: 'e',
      requested: USD(amountMinor),
      amount: USD(amountMinor),
      holdingPeriodDays: 0,
    },
    { messageId },
  );
}
const available = async (influencerId: string) =>
  Number(
    (
      await db
        .selectFrom('ledger_entries')
        .select((eb) => eb.fn.sum<number>('amount_minor').as('s'))
        .where('influencer_id', '=', influencerId)
        .executeTakeFirst()
    )?.s ?? 0,
  );
const payout = (
  influencerId: string,
  amountMinor: number,
  destination = 'me@example.com',
  amount = USD(amountMinor),
) => ({ payoutId: randomUUID(), influencerId, amount, method: 'paypal' as const, destination });

/** Request → intent (processing) → provider and settlement, as the three deliveries the saga makes. */
async function runPayout(request: ReturnType<typeof payout>) {
  const requested = await deliver(db, handlers, 'payment.RequestPayout', request);
  const asked = requested.find((e) => e.type === 'payment.PayoutRequested');
  if (!asked) return requested;
  const processing = await deliver(db, handlers, 'payment.PayoutRequested', asked.value as PayoutRequested);
  const settled = await deliver(
    db,
    handlers,
    'payment.PayoutProcessing',
    defined(
      processing.find((e) => e.type === 'payment.PayoutProcessing'),
      'PayoutProcessing',
    ).value as PayoutProcessing,
  );
  return [...requested, ...processing, ...settled];
}

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
    const results = await Promise.all(
      [payout(id, 600), payout(id, 600)].map((p) => deliver(db, handlers, 'payment.RequestPayout', p)),
    );
    const types = results.map((r) =>
      r.map((e) => e.type).find((t) => t === 'payment.PayoutRequested' || t === 'payment.PayoutRejected'),
    );
    expect(types.sort()).toEqual(['payment.PayoutRejected', 'payment.PayoutRequested']);
    expect(await available(id)).toBe(400);
  });

  it('returns the funds of a failed payout', async () => {
    const id = `inf-${randomUUID()}`;
    await credit(id, 1000);
    const request = payout(id, 800, 'please-fail@example.com');
    const emitted = await runPayout(request);
    expect(emitted.map((e) => e.type)).toEqual([
      'payment.LedgerEntryRecorded',
      'payment.PayoutRequested',
      'payment.PayoutProcessing',
      // the entry that returns its reserve, then the failure: the balance is whole when the failure is told
      'payment.LedgerEntryRecorded',
      'payment.PayoutFailed',
    ]);
    expect(await available(id)).toBe(1000);
    expect(
      await db.selectFrom('payouts').select(['status', 'reason']).where('id', '=', request.payoutId).executeTakeFirst(),
    ).toEqual({ status: 'failed', reason: 'PROVIDER_DECLINED' });
  });

  it('pays once when the commit after the provider call fails and the message is redelivered', async () => {
    const id = `inf-${randomUUID()}`;
    await credit(id, 1000);
    const request = payout(id, 700);
    await deliver(db, handlers, 'payment.RequestPayout', request);
    const asked = await deliver(db, handlers, 'payment.PayoutRequested', {
      ...request,
      destination: request.destination,
    });
    const processing = defined(
      asked.find((e) => e.type === 'payment.PayoutProcessing'),
      'PayoutProcessing',
    ).value as PayoutProcessing;
    // The settling transaction fails at COMMIT, after the provider has paid: a deferred trigger refuses it once.
    await sql`CREATE TABLE IF NOT EXISTS fail_once (payout_id text PRIMARY KEY)`.execute(db);
    await sql`INSERT INTO fail_once VALUES (${request.payoutId})`.execute(db);
    await sql`CREATE OR REPLACE FUNCTION fail_commit_once() RETURNS trigger AS $$
      BEGIN
        IF NEW.status = 'completed' AND EXISTS (SELECT 1 FROM fail_once WHERE payout_id = NEW.id) THEN
          RAISE EXCEPTION 'commit refused for the test';
        END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`.execute(db);
    await sql`DROP TRIGGER IF EXISTS fail_commit_once ON payouts`.execute(db);
    await sql`CREATE CONSTRAINT TRIGGER fail_commit_once AFTER UPDATE
      ON payouts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_commit_once()`.execute(db);
    const messageId = randomUUID();
    const [callsBefore, madeBefore] = [providerCalls, provider.paymentsMade()];
    await expect(deliver(db, handlers, 'payment.PayoutProcessing', processing, { messageId })).rejects.toThrow(
      /commit refused/,
    );
    expect(providerCalls - callsBefore).toBe(1);
    expect(provider.paymentsMade() - madeBefore).toBe(1);
    expect(
      (await db.selectFrom('payouts').select('status').where('id', '=', request.payoutId).executeTakeFirstOrThrow())
        .status,
    ).toBe('processing');

    await sql`DELETE FROM fail_once`.execute(db);
    const redelivered = await deliver(db, handlers, 'payment.PayoutProcessing', processing, { messageId });
    expect(providerCalls - callsBefore).toBe(2);
    expect(provider.paymentsMade() - madeBefore).toBe(1);
    expect(redelivered.map((e) => e.type)).toEqual(['payment.PayoutCompleted']);
    expect(
      (await db.selectFrom('payouts').select('status').where('id', '=', request.payoutId).executeTakeFirstOrThrow())
        .status,
    ).toBe('completed');
    expect(
      await db.selectFrom('provider_payments').select('payout_id').where('payout_id', '=', request.payoutId).execute(),
    ).toHaveLength(1);
    expect(await available(id)).toBe(300);
  });

  it('completes a payout in a zero-decimal currency against a minimum of "1.00"', async () => {
    const id = `inf-${randomUUID()}`;
    await deliver(db, handlers, 'commission.CommissionApproved', {
      commissionId: `c-${id}`,
      campaignId: 'camp',
      influencerId: id,
      sourceEventId: 'e',
      requested: { amountMinor: 500n, currency: 'JPY' },
      amount: { amountMinor: 500n, currency: 'JPY' },
      holdingPeriodDays: 0,
    });
    const emitted = await runPayout(payout(id, 0, 'me@example.com', { amountMinor: 300n, currency: 'JPY' }));
    expect(emitted.map((e) => e.type)).toContain('payment.PayoutCompleted');
    const below = await runPayout(payout(id, 0, 'me@example.com', { amountMinor: 0n, currency: 'JPY' }));
    expect(below.find((e) => e.type === 'payment.PayoutRejected')?.value).toMatchObject({ reason: 'BELOW_MINIMUM' });
  });
});

describe('a hot influencer: approvals handled many at once', () => {
  const approval = (influencerId: string, n: number) => ({
    commissionId: `hot-${influencerId}-${n}`,
    campaignId: 'camp',
    influencerId,
    sourceEventId: `e-${n}`,
    requested: USD(100 + n),
    amount: USD(100 + n),
    holdingPeriodDays: 0,
  });
  const entries = (influencerId: string) =>
    db
      .selectFrom('ledger_entries')
      .select(['kind', 'reference', 'amount_minor', 'currency'])
      .where('influencer_id', '=', influencerId)
      .orderBy('reference')
      .execute();

  it('book what one at a time would: one credit per commission, a redelivered commission once, one event per new credit', async () => {
    const run = randomUUID().slice(0, 6);
    const [a, b] = [`hot-a-${run}`, `hot-b-${run}`];
    // Two influencers interleaved, and commission 2 of a arriving twice (a redelivery under a new message id).
    const batch = [approval(a, 1), approval(b, 1), approval(a, 2), approval(a, 2), approval(b, 2), approval(a, 3)];
    const handler = defined(handlers['commission.CommissionApproved'], 'the approval handler');
    expect(handler.many).toBeDefined();
    const emitted = await deliverMany(db, handlers, 'commission.CommissionApproved', batch);
    // The same again, one at a time, for two other influencers: the reference the batch must equal.
    const [c, d] = [`hot-c-${run}`, `hot-d-${run}`];
    const rename = (m: ReturnType<typeof approval>, to: string, from: string) =>
      m.influencerId === from ? { ...m, influencerId: to, commissionId: m.commissionId.replace(from, to) } : m;
    const oneByOne = [];
    for (const m of batch)
      oneByOne.push(...(await deliver(db, handlers, 'commission.CommissionApproved', rename(rename(m, c, a), d, b))));
    const strip = (rows: Awaited<ReturnType<typeof entries>>, from: string) =>
      rows.map((r) => ({ ...r, reference: r.reference.replace(from, 'X') }));
    expect(strip(await entries(a), a)).toEqual(strip(await entries(c), c));
    expect(strip(await entries(b), b)).toEqual(strip(await entries(d), d));
    expect(await entries(a)).toHaveLength(3);
    expect(emitted.map((e) => e.type)).toEqual(oneByOne.map((e) => e.type));
    expect(emitted).toHaveLength(5);
    expect(emitted.map((e) => (e.value as { reference: string }).reference)).toEqual([
      `hot-${a}-1`,
      `hot-${b}-1`,
      `hot-${a}-2`,
      `hot-${b}-2`,
      `hot-${a}-3`,
    ]);
    expect(await available(a)).toBe(101 + 102 + 103);
  });
});
