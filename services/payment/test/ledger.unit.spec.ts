import { balanceAt, payoutProblem, settle, simulatedResult, type Entry } from '../src/ledger.js';

const now = new Date('2026-02-01T00:00:00Z');
const credit = (amountMinor: number, availableAt: string): Entry => ({ kind: 'commission_credit', amountMinor, availableAt });

describe('balance with a holding period', () => {
  it('given a credit still held, then it is pending; once the holding period passes, available', () => {
    const entries = [credit(1000, '2026-02-08T00:00:00Z'), credit(500, '2026-01-01T00:00:00Z')];
    expect(balanceAt(entries, [], now)).toEqual({ pending: 1000, available: 500, paidOut: 0 });
    expect(balanceAt(entries, [], new Date('2026-02-09T00:00:00Z'))).toEqual({ pending: 0, available: 1500, paidOut: 0 });
  });
  it('given a clawback larger than the balance, then available goes negative', () => {
    const entries: Entry[] = [credit(500, '2026-01-01T00:00:00Z'), { kind: 'reversal_debit', amountMinor: -1000, availableAt: '2026-01-02T00:00:00Z' }];
    expect(balanceAt(entries, [], now).available).toBe(-500);
  });
  it('given a payout reserve and completed payouts, then available drops and paidOut counts them', () => {
    const entries: Entry[] = [credit(3000, '2026-01-01T00:00:00Z'), { kind: 'payout_reserve', amountMinor: -2000, availableAt: '2026-01-05T00:00:00Z' }];
    expect(balanceAt(entries, [2000], now)).toEqual({ pending: 0, available: 1000, paidOut: 2000 });
  });
});

describe('payout checks', () => {
  it('refuses below the minimum and above what is available', () => {
    expect(payoutProblem(99, 5000, 100)).toBe('BELOW_MINIMUM');
    expect(payoutProblem(5001, 5000, 100)).toBe('INSUFFICIENT_FUNDS');
    expect(payoutProblem(5000, 5000, 100)).toBeUndefined();
  });
});

describe('settlement', () => {
  it('settles whole credits, oldest first, within what was paid out', () => {
    const credits = [{ commissionId: 'a', amountMinor: 1000 }, { commissionId: 'b', amountMinor: 1000 }, { commissionId: 'c', amountMinor: 500 }];
    expect(settle(credits, 1500, 0)).toEqual(['a']);
    expect(settle(credits, 3000, 0)).toEqual(['a', 'b', 'c']);
  });
});

describe('simulated provider', () => {
  it('fails destinations containing "fail" and pays the rest', async () => {
    const req = { payoutId: 'p', amountMinor: 100, currency: 'USD', method: 'paypal' as const };
    expect(simulatedResult({ ...req, destination: 'will-FAIL@example.com' })).toEqual({ ok: false, reason: 'PROVIDER_DECLINED' });
    expect(simulatedResult({ ...req, destination: 'me@example.com' })).toEqual({ ok: true, reference: 'sim-p' });
  });
});
