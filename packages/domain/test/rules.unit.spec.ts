import { addMonths, commissionRuleProblem, withinCustomerDuration } from '../src/rules.js';

describe('calendar months after a binding', () => {
  it('adds months in UTC, and a day the month lacks becomes its last day', () => {
    expect(new Date(addMonths('2026-01-15T10:00:00.000Z', 2)).toISOString()).toBe('2026-03-15T10:00:00.000Z');
    expect(new Date(addMonths('2026-01-31T00:00:00.000Z', 1)).toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(new Date(addMonths('2025-11-30T00:00:00.000Z', 3)).toISOString()).toBe('2026-02-28T00:00:00.000Z');
  });

  it('keeps a customer earning always (null), for its first sale only (0), or before N months have passed', () => {
    const boundAt = '2026-01-01T00:00:00.000Z';
    expect(withinCustomerDuration(null, { boundAt, saleNumber: 50 }, '2036-01-01T00:00:00.000Z')).toBe(true);
    expect(withinCustomerDuration(0, { boundAt, saleNumber: 1 }, '2026-06-01T00:00:00.000Z')).toBe(true);
    expect(withinCustomerDuration(0, { boundAt, saleNumber: 2 }, '2026-01-02T00:00:00.000Z')).toBe(false);
    expect(withinCustomerDuration(2, { boundAt, saleNumber: 3 }, '2026-02-28T23:59:59.999Z')).toBe(true);
    expect(withinCustomerDuration(2, { boundAt, saleNumber: 3 }, '2026-03-01T00:00:00.000Z')).toBe(false);
  });
});

describe('which rules a campaign may have', () => {
  const usd = { amountMinor: 500n, currency: 'USD' };
  it('pays a lead a fixed amount, and lets only a conversion rule say how long a customer earns', () => {
    expect(commissionRuleProblem({ event: 'lead', type: 'fixed', rate: null, amount: usd }, 'USD')).toBeUndefined();
    expect(commissionRuleProblem({ event: 'lead', type: 'percent', rate: '5', amount: null }, 'USD')).toMatch(
      /^INVALID_RULE/,
    );
    const conversion = { event: 'conversion' as const, type: 'fixed' as const, rate: null, amount: usd };
    expect(commissionRuleProblem({ ...conversion, customerDurationMonths: 12 }, 'USD')).toBeUndefined();
    expect(commissionRuleProblem({ ...conversion, customerDurationMonths: 1.5 }, 'USD')).toMatch(/whole number/);
    expect(commissionRuleProblem({ ...conversion, customerDurationMonths: 121 }, 'USD')).toMatch(/whole number/);
    expect(
      commissionRuleProblem(
        { event: 'click', type: 'fixed', rate: null, amount: usd, customerDurationMonths: 1 },
        'USD',
      ),
    ).toMatch(/only a conversion rule/);
  });
});
