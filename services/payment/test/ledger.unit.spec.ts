import { balanceAt, payoutProblem, settle, simulatedResult, type Entry } from '../src/ledger.js';

const now = new Date('2026-02-01T00:00:00Z');
const credit = (amountMinor: number, availableAt: string): Entry => ({ kind: 'commission_credit', amountMinor: BigInt(amountMinor), availableAt });

describe('balance with a holding period', () => {
  it('given a credit still held, then it is pending; once the holding period passes, available', () => {
    const entries = [credit(1000, '2026-02-08T00:00:00Z'), credit(500, '2026-01-01T00:00:00Z')];
    expect(balanceAt(entries, [], now)).toEqual({ pending: 1000n, available: 500n, paidOut: 0n });
    expect(balanceAt(entries, [], new Date('2026-02-09T00:00:00Z'))).toEqual({ pending: 0n, available: 1500n, paidOut: 0n });
  });
  it('given a clawback larger than the balance, then available goes negative', () => {
    const entries: Entry[] = [credit(500, '2026-01-01T00:00:00Z'), { kind: 'reversal_debit', amountMinor: -1000n, availableAt: '2026-01-02T00:00:00Z' }];
    expect(balanceAt(entries, [], now).available).toBe(-500n);
  });
  it('given a payout reserve and completed payouts, then available drops and paidOut counts them', () => {
    const entries: Entry[] = [credit(3000, '2026-01-01T00:00:00Z'), { kind: 'payout_reserve', amountMinor: -2000n, availableAt: '2026-01-05T00:00:00Z' }];
    expect(balanceAt(entries, [2000n], now)).toEqual({ pending: 0n, available: 1000n, paidOut: 2000n });
  });
});

describe('payout checks', () => {
  it('refuses below the minimum and above what is available', () => {
    expect(payoutProblem(99n, 5000n, 100n)).toBe('BELOW_MINIMUM');
    expect(payoutProblem(5001n, 5000n, 100n)).toBe('INSUFFICIENT_FUNDS');
    expect(payoutProblem(5000n, 5000n, 100n)).toBeUndefined();
  });
});

describe('settlement', () => {
  it('settles whole credits, oldest first, within what was paid out', () => {
    const credits = [{ commissionId: 'a', amountMinor: 1000n }, { commissionId: 'b', amountMinor: 1000n }, { commissionId: 'c', amountMinor: 500n }];
    expect(settle(credits, 1500n, 0n)).toEqual(['a']);
    expect(settle(credits, 3000n, 0n)).toEqual(['a', 'b', 'c']);
  });
});

describe('simulated provider', () => {
  it('fails destinations containing "fail" and pays the rest', async () => {
    const req = { payoutId: 'p', amountMinor: 100n, currency: 'USD', method: 'paypal' as const };
    expect(simulatedResult({ ...req, destination: 'will-FAIL@example.com' })).toEqual({ ok: false, reason: 'PROVIDER_DECLINED' });
    expect(simulatedResult({ ...req, destination: 'me@example.com' })).toEqual({ ok: true, reference: 'sim-p' });
  });
});
