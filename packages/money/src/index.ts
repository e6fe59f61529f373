/**
 * Money in minor units (integers) with an ISO-4217 currency. Never floats: decimal strings at the
 * HTTP edge are parsed digit by digit, and division rounds half to even on bigint arithmetic.
 */

export interface Money {
  amountMinor: number;
  currency: string;
}

/** Fraction digits per currency; anything not listed is refused rather than guessed. */
const DECIMALS: Record<string, number> = {
  USD: 2, EUR: 2, GBP: 2, COP: 2, MXN: 2, BRL: 2, CAD: 2, AUD: 2, CHF: 2, SEK: 2, NOK: 2, DKK: 2, PLN: 2, INR: 2,
  JPY: 0, KRW: 0, CLP: 0, ISK: 0,
  KWD: 3, BHD: 3, JOD: 3,
};

export class MoneyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyError';
  }
}

export function isSupportedCurrency(currency: string): boolean {
  return currency in DECIMALS;
}

export function decimalsOf(currency: string): number {
  const decimals = DECIMALS[currency];
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
