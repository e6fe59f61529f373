/**
 * Money in minor units (bigint) with an ISO-4217 currency. Never floats, never rounded by a double:
 * decimal strings at the HTTP edge are parsed digit by digit, and division rounds half to even.
 * The range is PostgreSQL's bigint and Avro's long: up to 2^63 − 1 minor units.
 */
import currencyCodes from 'currency-codes';

export interface Money {
  amountMinor: bigint;
  currency: string;
}

/** The largest amount stored anywhere (PostgreSQL bigint, Avro long). */
export const MAX_MINOR = 2n ** 63n - 1n;

/**
 * ISO 4217 codes whose minor unit is "N.A." (precious metals, bond-market units, SDR, test and
 * no-currency codes). currency-codes reports them as 0 digits; they are refused rather than guessed.
 */
const NO_MINOR_UNIT = new Set([
  'XAG',
  'XAU',
  'XBA',
  'XBB',
  'XBC',
  'XBD',
  'XDR',
  'XPD',
  'XPT',
  'XSU',
  'XTS',
  'XUA',
  'XXX',
]);

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
  const match = /^(-?)(\d{1,25})(?:\.(\d+))?$/.exec(amount);
  if (!match) throw new MoneyError(`"${amount}" is not a decimal amount such as "12.50"`);
  const [, sign, whole = '0', fraction = ''] = match;
  if (sign && !options.allowNegative) throw new MoneyError('amount must not be negative');
  if (fraction.length > decimals) {
    throw new MoneyError(
      `${currency} allows ${decimals} fraction digit${decimals === 1 ? '' : 's'}, "${amount}" has ${fraction.length}`,
    );
  }
  const minor = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  if (minor > MAX_MINOR)
    throw new MoneyError(
      `"${amount}" is too large (at most ${formatAmount({ amountMinor: MAX_MINOR, currency })} ${currency})`,
    );
  return { amountMinor: sign ? -minor : minor, currency };
}

/**
 * A configured threshold written in major units ("1.00") in a given currency: trailing zeros beyond
 * the currency's precision are dropped, so "1.00" is 1 JPY, 100 US cents and 1000 Kuwaiti fils.
 */
export function thresholdIn(amount: string, currency: string): Money {
  const decimals = decimalsOf(currency);
  const match = /^(\d+)(?:\.(\d*?)0*)?$/.exec(amount);
  if (!match || (match[2] ?? '').length > decimals)
    throw new MoneyError(`"${amount}" cannot be expressed exactly in ${currency}`);
  const [, whole = '0', fraction] = match;
  return parseAmount(fraction ? `${whole}.${fraction}` : whole, currency);
}

/** 1250 USD → "12.50"; -5 USD → "-0.05"; 500 JPY → "500". */
export function formatAmount(money: Money): string {
  const decimals = decimalsOf(money.currency);
  const negative = money.amountMinor < 0n;
  const digits = (negative ? -money.amountMinor : money.amountMinor).toString().padStart(decimals + 1, '0');
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
  const [, whole = '0', fraction = ''] = match;
  const scale = 10n ** BigInt(fraction.length);
  const rateScaled = BigInt(whole) * scale + BigInt(fraction || '0');
  return { amountMinor: divideHalfEven(money.amountMinor * rateScaled, 100n * scale), currency: money.currency };
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
  return { amountMinor: 0n, currency };
}

/** Sum of minor amounts. */
export function sumMinor(values: Iterable<bigint>): bigint {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}

function sameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) throw new MoneyError(`cannot combine ${a.currency} with ${b.currency}`);
}

/**
 * JSON with amounts: bigints are written as decimal strings, and read back as bigints under the
 * keys that hold minor units. For jsonb columns (stored campaign state, rules) — never for the HTTP
 * API, where money is `{ amount, currency }` (toApi).
 */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export function reviveAmounts<T>(value: unknown, keys: readonly string[] = ['amountMinor']): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.entries(v).map(([k, child]) => [
        k,
        keys.includes(k) && (typeof child === 'string' || typeof child === 'number') ? BigInt(child) : walk(child),
      ]),
    );
  };
  return walk(value) as T;
}
