/**
 * Payment service: the influencer ledger per currency, payouts through the provider port. The rules
 * are the deciders' (payout.ts, ledger.ts, @beacon/domain's ledger), the SQL the store's (store.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { balanceAt, creditAvailableAt, type Entry } from '@beacon/domain';
import { thresholdIn } from '@beacon/money';
import type {
  CommissionApproved,
  CommissionReversed,
  PayoutProcessing,
  PayoutRequested,
  RequestPayout,
  MessageHandler,
  MessageContext,
} from '@beacon/contracts';
import type { ServiceDefinition } from '@beacon/service-kit';
import type { Database } from './db.js';
import { payoutProblem, type PaymentProvider, type PayoutRequest, type PayoutResult } from './ledger.js';
import { payoutDecider, type Payout } from './payout.js';
import {
  entriesOf,
  insertEntries,
  insertPayout,
  ledgerFacts,
  ledgerOf,
  lockLedgers,
  lockPayout,
  markSettled,
  payoutExists,
  payoutOwner,
  readPayout,
  savePayout,
} from './store.js';
import { update, type Store } from '@beacon/messaging';
import { simulatedProvider } from './provider.js';
import { migrations } from './migrations.js';

type Ctx = MessageContext<Database, unknown>;

async function book(
  ctx: Ctx,
  e: {
    influencerId: string;
    currency: string;
    kind: Entry['kind'];
    amountMinor: bigint;
    reference: string;
    availableAt: Date;
  },
): Promise<boolean> {
  const id = randomUUID();
  const row = {
    id,
    influencer_id: e.influencerId,
    currency: e.currency,
    kind: e.kind,
    amount_minor: e.amountMinor,
    reference: e.reference,
    available_at: e.availableAt,
  };
  if ((await insertEntries(ctx.trx, [row])).size === 0) return false;
  await ctx.emit('payment.LedgerEntryRecorded', e.influencerId, {
    entryId: id,
    influencerId: e.influencerId,
    kind: e.kind,
    amount: { amountMinor: e.amountMinor, currency: e.currency },
    reference: e.reference,
    availableAt: e.availableAt.toISOString(),
  });
  return true;
}

/** A debit (a clawback, a payout's reserve) counts at once: debits are never held back. */
const debit = (
  ctx: Ctx,
  kind: 'reversal_debit' | 'payout_reserve',
  influencerId: string,
  amount: { amountMinor: bigint; currency: string },
  reference: string,
) =>
  book(ctx, {
    influencerId,
    currency: amount.currency,
    kind,
    amountMinor: -amount.amountMinor,
    reference,
    availableAt: new Date(ctx.envelope.occurredAt),
  });

const approved: MessageHandler<Database, CommissionApproved> = async (ctx) => {
  const c = ctx.message;
  await lockLedgers(ctx.trx, [ledgerOf(c.influencerId, c.amount.currency)]);
  const availableAt = new Date(creditAvailableAt(ctx.envelope.occurredAt, c.holdingPeriodDays));
  await book(ctx, {
    influencerId: c.influencerId,
    currency: c.amount.currency,
    kind: 'commission_credit',
    amountMinor: c.amount.amountMinor,
    reference: c.commissionId,
    availableAt,
  });
};

/**
 * A hot influencer's approvals, many at once: one lock per ledger (in a fixed order, so two
 * transactions never wait on each other crosswise), one multi-row insert, then one
 * LedgerEntryRecorded per credit that was new — the effect of `approved` on each in turn.
 */
approved.many = async (items) => {
  const first = items[0];
  if (!first) return;
  await lockLedgers(
    first.trx,
    items.map((i) => ledgerOf(i.message.influencerId, i.message.amount.currency)),
  );
  const rows = items.map((i) => ({
    id: randomUUID(),
    influencer_id: i.message.influencerId,
    currency: i.message.amount.currency,
    kind: 'commission_credit' as const,
    amount_minor: i.message.amount.amountMinor,
    reference: i.message.commissionId,
    available_at: new Date(creditAvailableAt(i.envelope.occurredAt, i.message.holdingPeriodDays)),
  }));
  const inserted = await insertEntries(first.trx, rows);
  for (const [n, item] of items.entries()) {
    const row = rows[n];
    if (!row || !inserted.has(row.id)) continue;
    await item.emit('payment.LedgerEntryRecorded', row.influencer_id, {
      entryId: row.id,
      influencerId: row.influencer_id,
      kind: row.kind,
      amount: { amountMinor: row.amount_minor, currency: row.currency },
      reference: row.reference,
      availableAt: row.available_at.toISOString(),
    });
  }
};

const reversed: MessageHandler<Database, CommissionReversed> = async (ctx) => {
  const c = ctx.message;
  await lockLedgers(ctx.trx, [ledgerOf(c.influencerId, c.amount.currency)]);
  // A clawback: the balance may go negative and is settled from future earnings.
  await debit(ctx, 'reversal_debit', c.influencerId, c.amount, c.commissionId);
};

function requestPayout(minimum: string): MessageHandler<Database, RequestPayout> {
  // The minimum is configured in major units ("1.00") and read in each payout's currency.
  const minimumIn = (currency: string) => thresholdIn(minimum, currency).amountMinor;
  return async (ctx) => {
    const p = ctx.message;
    const reject = (reason: string) =>
      ctx.emit('payment.PayoutRejected', p.influencerId, {
        payoutId: p.payoutId,
        influencerId: p.influencerId,
        amount: p.amount,
        reason,
      });
    if (await payoutExists(ctx.trx, p.payoutId)) return void (await reject('DUPLICATE_PAYOUT'));
    await lockLedgers(ctx.trx, [ledgerOf(p.influencerId, p.amount.currency)]);
    const entries = await entriesOf(ctx.trx, p.influencerId, p.amount.currency);
    const balance = balanceAt(entries, [], new Date(ctx.envelope.occurredAt));
    const problem = payoutProblem(p.amount.amountMinor, balance.available, minimumIn(p.amount.currency));
    const status = problem ? 'rejected' : 'requested';
    await insertPayout(ctx.trx, {
      id: p.payoutId,
      influencer_id: p.influencerId,
      currency: p.amount.currency,
      amount_minor: p.amount.amountMinor,
      method: p.method,
      destination: p.destination,
      status,
      reason: problem ?? null,
      completed_at: null,
    });
    if (problem) return void (await reject(problem));
    await debit(ctx, 'payout_reserve', p.influencerId, p.amount, p.payoutId);
    await ctx.emit('payment.PayoutRequested', p.influencerId, {
      payoutId: p.payoutId,
      influencerId: p.influencerId,
      amount: p.amount,
      method: p.method,
      destination: p.destination,
    });
  };
}

/**
 * A payout, as a store for `update`: locked for this transaction. Saving a payout that has just
 * failed also books the return of its reserve, so the balance is whole before the failure is told.
 */
function payoutStore(ctx: Ctx, payoutId: string): Store<Database, Payout | undefined> {
  return {
    async load(trx) {
      return lockPayout(trx, payoutId);
    },
    async save(trx, p, before) {
      if (!p) return;
      await savePayout(trx, p);
      if (p.status === 'failed' && before?.status !== 'failed') {
        const returned = { influencerId: p.influencerId, currency: p.currency, amountMinor: p.amountMinor };
        const at = new Date(ctx.envelope.occurredAt);
        await book(ctx, { ...returned, kind: 'payout_return', reference: p.id, availableAt: at });
      }
    },
  };
}

/** Step 1, on our own PayoutRequested: record the intent (processing) before any money moves. */
const startPayout: MessageHandler<Database, PayoutRequested> = async (ctx) => {
  const p = ctx.message;
  await update(ctx, payoutStore(ctx, p.payoutId), p.influencerId, (payout) =>
    payoutDecider.decide({ type: 'Start' }, payout),
  );
};

/**
 * Step 2, on PayoutProcessing: the provider is called before the transaction (`prepare`), keyed by
 * the payout id, so a redelivery after a crash or a failed commit asks again and is told the first
 * result instead of paying twice. The transaction then settles what the provider answered.
 */
function settlePayout(provider: PaymentProvider, db: Kysely<Database>): MessageHandler<Database, PayoutProcessing> {
  const settle: MessageHandler<Database, PayoutProcessing> = async (ctx) => {
    const result = ctx.prepared as PayoutResult | undefined;
    if (!result) return;
    // Whose ledger, in which currency: fixed when the payout was requested, so read without a lock.
    const owner = await payoutOwner(ctx.trx, ctx.message.payoutId);
    await lockLedgers(ctx.trx, [ledgerOf(owner.influencer_id, owner.currency)]);
    const ledger = await ledgerFacts(ctx.trx, owner.influencer_id, owner.currency);
    const at = ctx.envelope.occurredAt;
    const events = await update(ctx, payoutStore(ctx, ctx.message.payoutId), owner.influencer_id, (payout) =>
      payoutDecider.decide({ type: 'ProviderAnswered', result, at, ledger }, payout),
    );
    for (const event of events) {
      if (event.type === 'payment.PayoutCompleted') await markSettled(ctx.trx, event.data.commissionIds);
    }
  };
  settle.prepare = async (message): Promise<PayoutResult | undefined> => {
    // Only a payout whose intent is recorded (and not yet settled) is sent to the provider.
    const payout = await readPayout(db, message.payoutId);
    if (!payout || payout.status !== 'processing') return undefined;
    return provider.pay({
      payoutId: payout.id,
      amountMinor: payout.amount_minor,
      currency: payout.currency,
      method: payout.method as PayoutRequest['method'],
      destination: payout.destination,
    });
  };
  return settle;
}

export function paymentService(
  options: { provider?: PaymentProvider; minimum?: string } = {},
): ServiceDefinition<Database> {
  const minimum = options.minimum ?? process.env.PAYOUT_MINIMUM ?? '1.00';
  return {
    name: 'payment',
    defaultOpsPort: 9104,
    migrations,
    subscriptions: (ctx) => [
      { topic: 'payment/commands', handlers: { 'payment.RequestPayout': requestPayout(minimum) } },
      {
        topic: 'commission/events',
        handlers: { 'commission.CommissionApproved': approved, 'commission.CommissionReversed': reversed },
      },
      {
        topic: 'payment/events',
        handlers: {
          'payment.PayoutRequested': startPayout,
          'payment.PayoutProcessing': settlePayout(options.provider ?? simulatedProvider(ctx.db), ctx.db),
        },
      },
    ],
  };
}
