import { divideHalfEven, formatAmount, parseAmount, percentOf, percentRateProblem, thresholdIn } from '../src/index.js';

describe('money at the HTTP edge', () => {
  it('parses decimal strings into minor units per currency', () => {
    expect(parseAmount('12.50', 'USD')).toEqual({ amountMinor: 1250n, currency: 'USD' });
    expect(parseAmount('12.5', 'EUR')).toEqual({ amountMinor: 1250n, currency: 'EUR' });
    expect(parseAmount('7', 'COP')).toEqual({ amountMinor: 700n, currency: 'COP' });
    expect(parseAmount('500', 'JPY')).toEqual({ amountMinor: 500n, currency: 'JPY' });
  });

  it('refuses more fraction digits than the currency allows, signs, exponents and unknown currencies', () => {
    expect(() => parseAmount('1.234', 'USD')).toThrow(/2 fraction digits/);
    expect(() => parseAmount('1.5', 'JPY')).toThrow(/0 fraction digits/);
    expect(() => parseAmount('-1.00', 'USD')).toThrow(/negative/);
    expect(() => parseAmount('1e3', 'USD')).toThrow(/decimal amount/);
    expect(() => parseAmount('1.00', 'XXX')).toThrow(/unsupported currency/);
  });

  it('formats minor units back, including negatives and zero-decimal currencies', () => {
    expect(formatAmount({ amountMinor: 1250n, currency: 'USD' })).toBe('12.50');
    expect(formatAmount({ amountMinor: 5n, currency: 'USD' })).toBe('0.05');
    expect(formatAmount({ amountMinor: -5n, currency: 'USD' })).toBe('-0.05');
    expect(formatAmount({ amountMinor: 500n, currency: 'JPY' })).toBe('500');
  });
});

describe('amounts above 2^53 minor units', () => {
  it('stay exact through parsing, formatting and percentages, up to the bigint limit', () => {
    const big = parseAmount('12345678901234567.89', 'USD');
    expect(big.amountMinor).toBe(1234567890123456789n);
    expect(formatAmount(big)).toBe('12345678901234567.89');
    expect(percentOf({ amountMinor: 2n ** 60n, currency: 'USD' }, '10').amountMinor).toBe(115292150460684698n);
    expect(formatAmount({ amountMinor: 2n ** 63n - 1n, currency: 'JPY' })).toBe('9223372036854775807');
    expect(() => parseAmount('9223372036854775808', 'JPY')).toThrow(/too large/);
  });
});

describe('every ISO 4217 minor unit', () => {
  it('knows currencies with 0, 2, 3 and 4 fraction digits and refuses codes that have no minor unit', () => {
    expect(parseAmount('1500', 'CLP')).toEqual({ amountMinor: 1500n, currency: 'CLP' });
    expect(parseAmount('1.234', 'KWD')).toEqual({ amountMinor: 1234n, currency: 'KWD' });
    expect(parseAmount('1.2345', 'CLF')).toEqual({ amountMinor: 12345n, currency: 'CLF' });
    expect(formatAmount({ amountMinor: 1234n, currency: 'BHD' })).toBe('1.234');
    for (const code of ['XAU', 'XTS', 'XXX', 'ABC'])
      expect(() => parseAmount('1', code)).toThrow(/unsupported currency/);
  });

  it('reads a configured threshold such as the minimum payout "1.00" in any currency', () => {
    expect(thresholdIn('1.00', 'JPY')).toEqual({ amountMinor: 1n, currency: 'JPY' });
    expect(thresholdIn('1.00', 'USD')).toEqual({ amountMinor: 100n, currency: 'USD' });
    expect(thresholdIn('1.00', 'KWD')).toEqual({ amountMinor: 1000n, currency: 'KWD' });
    expect(() => thresholdIn('0.50', 'JPY')).toThrow(/cannot be expressed exactly/);
  });
});

describe('commission rates', () => {
  it('are percentages above 0 and at most 100, with up to 4 fraction digits', () => {
    expect(percentRateProblem('10')).toBeUndefined();
    expect(percentRateProblem('12.5')).toBeUndefined();
    expect(percentRateProblem('100')).toBeUndefined();
    expect(percentRateProblem('100.0001')).toMatch(/at most 100/);
    expect(percentRateProblem('250')).toMatch(/at most 100/);
    expect(percentRateProblem('0')).toMatch(/more than 0/);
    expect(percentRateProblem('1e2')).toMatch(/decimal percentage/);
  });
});

describe('rounding half to even', () => {
  it('rounds ties to the even neighbour and others to the nearest', () => {
    expect(divideHalfEven(5n, 2n)).toBe(2n); // 2.5 → 2
    expect(divideHalfEven(7n, 2n)).toBe(4n); // 3.5 → 4
    expect(divideHalfEven(-5n, 2n)).toBe(-2n);
    expect(divideHalfEven(26n, 10n)).toBe(3n);
    expect(divideHalfEven(24n, 10n)).toBe(2n);
  });

  it('computes percentage commissions in minor units', () => {
    expect(percentOf({ amountMinor: 10000n, currency: 'USD' }, '10')).toEqual({ amountMinor: 1000n, currency: 'USD' });
    // 12.5% of 0.25 = 0.03125 → 3 cents; 10% of 0.25 = 0.025 → 2 cents (tie to even)
    expect(percentOf({ amountMinor: 25n, currency: 'USD' }, '12.5').amountMinor).toBe(3n);
    expect(percentOf({ amountMinor: 25n, currency: 'USD' }, '10').amountMinor).toBe(2n);
    expect(percentOf({ amountMinor: 35n, currency: 'USD' }, '10').amountMinor).toBe(4n);
  });
});
