import { deciderSpec } from '@beacon/testing';
import { payoutDecider, type LedgerFacts, type Payout, type PayoutStep } from '../src/payout.js';

const spec = deciderSpec(payoutDecider);

const requested: Payout = {
  id: 'pay-1',
  influencerId: 'inf-1',
  amountMinor: 1000n,
  currency: 'EUR',
  status: 'requested',
  reason: null,
  completedAt: null,
};
const processing: Payout = { ...requested, status: 'processing' };
const told = { payoutId: 'pay-1', influencerId: 'inf-1', amount: { amountMinor: 1000n, currency: 'EUR' } };
const at = '2026-11-30T12:00:00.000Z';
const ledger: LedgerFacts = {
  unsettledCredits: [
    { commissionId: 'c-old', amountMinor: 600n },
    { commissionId: 'c-mid', amountMinor: 400n },
    { commissionId: 'c-new', amountMinor: 300n },
  ],
  paidBefore: 0n,
  alreadySettled: 0n,
};
const paid: PayoutStep = { type: 'ProviderAnswered', result: { ok: true, reference: 'sim-pay-1' }, at, ledger };
const declined: PayoutStep = {
  type: 'ProviderAnswered',
  result: { ok: false, reason: 'PROVIDER_DECLINED' },
  at,
  ledger,
};

describe('a payout records its intent before money moves, then settles what the provider answered', () => {
  it('a requested payout starts processing and says so', () => {
    spec
      .given(requested)
      .when({ type: 'Start' })
      .then([{ type: 'payment.PayoutProcessing', data: { payoutId: 'pay-1', influencerId: 'inf-1' } }], processing);
  });

  it('a paid payout completes and settles, oldest first, the whole credits it covers', () => {
    spec
      .given(processing)
      .when(paid)
      .then([{ type: 'payment.PayoutCompleted', data: { ...told, commissionIds: ['c-old', 'c-mid'] } }], {
        ...processing,
        status: 'completed',
        completedAt: at,
      });
  });

  it('what earlier payouts paid beyond the credits they settled counts toward the next credit', () => {
    // room: 500 + 1000 paid − 200 settled = 1300 = 600 + 400 + 300
    spec
      .given(processing)
      .when({ ...paid, ledger: { ...ledger, paidBefore: 500n, alreadySettled: 200n } })
      .then([{ type: 'payment.PayoutCompleted', data: { ...told, commissionIds: ['c-old', 'c-mid', 'c-new'] } }]);
  });

  it('a declined payout fails with the provider’s reason and settles nothing', () => {
    spec
      .given(processing)
      .when(declined)
      .then([{ type: 'payment.PayoutFailed', data: { ...told, reason: 'PROVIDER_DECLINED' } }], {
        ...processing,
        status: 'failed',
        reason: 'PROVIDER_DECLINED',
      });
  });

  it('a redelivered step, or one for a payout that is past it or unknown, changes nothing', () => {
    const completed: Payout = { ...processing, status: 'completed', completedAt: at };
    for (const [p, step] of [
      [processing, { type: 'Start' }],
      [completed, { type: 'Start' }],
      [completed, paid],
      [{ ...requested, status: 'failed' }, declined],
      [requested, paid],
      [{ ...requested, status: 'rejected' }, { type: 'Start' }],
      [undefined, paid],
    ] as Array<[Payout | undefined, PayoutStep]>)
      spec.given(p).when(step).thenNothingHappened();
  });
});
