import { payoutProblem, settle, simulatedResult } from '../src/ledger.js';

describe('a payout request', () => {
  it('is refused below the minimum and above what is available, and accepted in between', () => {
    expect(payoutProblem(99n, 5000n, 100n)).toBe('BELOW_MINIMUM');
    expect(payoutProblem(5001n, 5000n, 100n)).toBe('INSUFFICIENT_FUNDS');
    expect(payoutProblem(5000n, 5000n, 100n)).toBeUndefined();
  });
});

describe('settling commissions after a payout', () => {
  it('marks whole credits paid, oldest first, within what was paid out', () => {
    const credits = [
      { commissionId: 'a', amountMinor: 1000n },
      { commissionId: 'b', amountMinor: 1000n },
      { commissionId: 'c', amountMinor: 500n },
    ];
    expect(settle(credits, 1500n, 0n)).toEqual(['a']);
    expect(settle(credits, 3000n, 0n)).toEqual(['a', 'b', 'c']);
  });
});

describe('the simulated payment provider', () => {
  it('fails destinations containing "fail" and pays the rest', async () => {
    const req = { payoutId: 'p', amountMinor: 100n, currency: 'USD', method: 'paypal' as const };
    expect(simulatedResult({ ...req, destination: 'will-FAIL@example.com' })).toEqual({
      ok: false,
      reason: 'PROVIDER_DECLINED',
    });
    expect(simulatedResult({ ...req, destination: 'me@example.com' })).toEqual({ ok: true, reference: 'sim-p' });
  });
});
