/**
 * Money in minor units (integers) with an ISO-4217 currency. Never floats: decimal strings at the
 * HTTP edge are parsed digit by digit, and division rounds half to even on bigint arithmetic.
 */
import currencyCodes from 'currency-codes';

export interface Money {
  amountMinor: number;
  currency: string;
}

/**
 * ISO 4217 codes whose minor unit is "N.A." (precious metals, bond-market units, SDR, test and
 * no-currency codes). currency-codes reports them as 0 digits; they are refused rather than guessed.
 */
const NO_MINOR_UNIT = new Set(['XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX']);

/** Fraction digits per currency, from the ISO 4217 table (currency-codes). */
function minorUnits(currency: string): number | undefined {
  if (!/^[A-Z]{3}$/.test(currency) || NO_MINOR_UNIT.has(currency)) return undefined;
  const digits = currencyCodes.code(currency)?.digits;
  return typeof digits === 'number' && Number.isInteger(digits) ? digits : undefined;
}

export class MoneyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyError';
  }
}

export function isSupportedCurrency(currency: string): boolean {
  return minorUnits(currency) !== undefined;
}

export function decimalsOf(currency: string): number {
  const decimals = minorUnits(currency);
  if (decimals === undefined) throw new MoneyError(`unsupported currency "${currency}"`);
  return decimals;
}

/** "12.50" USD → 1250. Refuses signs, exponents and more fraction digits than the currency has. */
export function parseAmount(amount: string, currency: string, options: { allowNegative?: boolean } = {}): Money {
  const decimals = decimalsOf(currency);
  const match = /^(-?)(\d{1,15})(?:\.(\d+))?$/.exec(amount);
  if (!match) throw new MoneyError(`"${amount}" is not a decimal amount such as "12.50"`);
  const [, sign, whole, fraction = ''] = match;
  if (sign && !options.allowNegative) throw new MoneyError('amount must not be negative');
  if (fraction.length > decimals) {
    throw new MoneyError(`${currency} allows ${decimals} fraction digit${decimals === 1 ? '' : 's'}, "${amount}" has ${fraction.length}`);
  }
  const minor = Number(whole!) * 10 ** decimals + Number(fraction.padEnd(decimals, '0') || '0');
  if (!Number.isSafeInteger(minor)) throw new MoneyError(`"${amount}" is too large`);
  return { amountMinor: sign ? -minor : minor, currency };
}

/**
 * A configured threshold written in major units ("1.00") in a given currency: trailing zeros beyond
 * the currency's precision are dropped, so "1.00" is 1 JPY, 100 US cents and 1000 Kuwaiti fils.
 */
export function thresholdIn(amount: string, currency: string): Money {
  const decimals = decimalsOf(currency);
  const match = /^(\d+)(?:\.(\d*?)0*)?$/.exec(amount);
  if (!match || (match[2] ?? '').length > decimals) throw new MoneyError(`"${amount}" cannot be expressed exactly in ${currency}`);
  return parseAmount(match[2] ? `${match[1]}.${match[2]}` : match[1]!, currency);
}

/** 1250 USD → "12.50"; -5 USD → "-0.05"; 500 JPY → "500". */
export function formatAmount(money: Money): string {
  const decimals = decimalsOf(money.currency);
  const negative = money.amountMinor < 0;
  const digits = Math.abs(money.amountMinor).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals);
  return `${negative ? '-' : ''}${whole}${decimals > 0 ? `.${fraction}` : ''}`;
}

export function toApi(money: Money): { amount: string; currency: string } {
  return { amount: formatAmount(money), currency: money.currency };
}

/** numerator / denominator rounded half to even (banker's rounding), on bigints. */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new MoneyError('denominator must be positive');
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  let quotient = n / denominator;
  const twiceRemainder = (n % denominator) * 2n;
  if (twiceRemainder > denominator || (twiceRemainder === denominator && quotient % 2n === 1n)) quotient += 1n;
  return negative ? -quotient : quotient;
}

/** The one rule for commission rates: a decimal percent string above 0 and at most 100. */
export function percentRateProblem(rate: string): string | undefined {
  const match = /^(\d{1,3})(?:\.(\d{1,4}))?$/.exec(rate);
  if (!match) return 'a decimal percentage such as "12.5" (at most 4 fraction digits)';
  const hundredths = Number(match[1]) * 10_000 + Number((match[2] ?? '').padEnd(4, '0'));
  if (hundredths === 0) return 'must be more than 0';
  if (hundredths > 100 * 10_000) return 'must be at most 100';
  return undefined;
}

/** rate is a decimal percent string ("10", "12.5"): amount × rate / 100, rounded half to even. */
export function percentOf(money: Money, rate: string): Money {
  const match = /^(\d{1,6})(?:\.(\d{1,6}))?$/.exec(rate);
  if (!match) throw new MoneyError(`rate "${rate}" is not a decimal percentage such as "12.5"`);
  const [, whole, fraction = ''] = match;
  const scale = 10n ** BigInt(fraction.length);
  const rateScaled = BigInt(whole!) * scale + BigInt(fraction || '0');
  const minor = divideHalfEven(BigInt(money.amountMinor) * rateScaled, 100n * scale);
  return { amountMinor: Number(minor), currency: money.currency };
}

export function add(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return { amountMinor: a.amountMinor + b.amountMinor, currency: a.currency };
}

export function subtract(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return { amountMinor: a.amountMinor - b.amountMinor, currency: a.currency };
}

export function min(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return a.amountMinor <= b.amountMinor ? a : b;
}

export function zero(currency: string): Money {
  return { amountMinor: 0, currency };
}

function sameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) throw new MoneyError(`cannot combine ${a.currency} with ${b.currency}`);
}
