import { balanceAt, creditAvailableAt, type Entry } from '../src/ledger.js';

const now = new Date('2026-02-01T00:00:00Z');
const credit = (amountMinor: number, availableAt: string): Entry => ({
  kind: 'commission_credit',
  amountMinor: BigInt(amountMinor),
  availableAt,
});

describe('the holding period', () => {
  it('makes a credit available the given number of days after its approval', () => {
    expect(creditAvailableAt('2026-01-31T10:00:00.000Z', 7)).toBe('2026-02-07T10:00:00.000Z');
  });
  it('makes a credit with no holding period available at its approval', () => {
    expect(creditAvailableAt('2026-01-31T10:00:00.000Z', 0)).toBe('2026-01-31T10:00:00.000Z');
  });
});

describe('a balance at a moment', () => {
  it('counts a credit still held as pending, and as available once the holding period has passed', () => {
    const entries = [credit(1000, '2026-02-08T00:00:00Z'), credit(500, '2026-01-01T00:00:00Z')];
    expect(balanceAt(entries, [], now)).toEqual({ pending: 1000n, available: 500n, paidOut: 0n });
    expect(balanceAt(entries, [], new Date('2026-02-09T00:00:00Z'))).toEqual({
      pending: 0n,
      available: 1500n,
      paidOut: 0n,
    });
  });
  it('never holds a debit back: a clawback larger than the balance makes available negative at once', () => {
    const clawback: Entry = { kind: 'reversal_debit', amountMinor: -1000n, availableAt: '2026-03-01T00:00:00Z' };
    expect(balanceAt([credit(500, '2026-01-01T00:00:00Z'), clawback], [], now).available).toBe(-500n);
  });
  it('takes a payout reserve off what is available and counts completed payouts as paid out', () => {
    const reserve: Entry = { kind: 'payout_reserve', amountMinor: -2000n, availableAt: '2026-01-05T00:00:00Z' };
    expect(balanceAt([credit(3000, '2026-01-01T00:00:00Z'), reserve], [2000n], now)).toEqual({
      pending: 0n,
      available: 1000n,
      paidOut: 2000n,
    });
  });
});
