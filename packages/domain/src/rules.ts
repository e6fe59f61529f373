/**
 * Which commission rules a campaign may have: the one check the BFF (a 400 at the edge) and the
 * campaign service (the authority, CampaignRejected) both run.
 */
import { percentRateProblem } from '@beacon/money';

export type RuleEvent = 'conversion' | 'click' | 'impression' | 'lead';
export type RuleType = 'percent' | 'fixed' | 'per_mille';

/** conversion: a percent of its value or a fixed amount; click and lead: fixed; impression: per 1,000. */
export const RULE_TYPES: Record<RuleEvent, readonly RuleType[]> = {
  conversion: ['percent', 'fixed'],
  click: ['fixed'],
  impression: ['per_mille'],
  lead: ['fixed'],
};

/** The longest a conversion rule may keep a customer earning for its influencer: ten years. */
export const MAX_CUSTOMER_DURATION_MONTHS = 120;

export interface RuleInput {
  event: RuleEvent;
  type: RuleType;
  rate: string | null;
  amount: { amountMinor: bigint; currency: string } | null;
  /** conversion rules: months a customer keeps earning (null: always; 0: its first sale only) */
  customerDurationMonths?: number | null;
}

/** Why the rule cannot be used on a campaign budgeted in `budgetCurrency`; undefined when it can. */
export function commissionRuleProblem(rule: RuleInput, budgetCurrency: string): string | undefined {
  if (!RULE_TYPES[rule.event].includes(rule.type)) return `INVALID_RULE: ${rule.event} cannot use ${rule.type}`;
  const months = rule.customerDurationMonths ?? null;
  if (months !== null && rule.event !== 'conversion')
    return 'INVALID_RULE: only a conversion rule may carry customerDurationMonths';
  if (months !== null && (!Number.isInteger(months) || months < 0 || months > MAX_CUSTOMER_DURATION_MONTHS))
    return `INVALID_RULE: customerDurationMonths must be a whole number from 0 to ${MAX_CUSTOMER_DURATION_MONTHS}`;
  if (rule.type === 'percent') {
    const problem = rule.rate === null ? 'a rate is required' : percentRateProblem(rule.rate);
    return problem ? `INVALID_RULE: percent rate ${problem}` : undefined;
  }
  if (!rule.amount || rule.amount.amountMinor <= 0n) return `INVALID_RULE: ${rule.type} needs a positive amount`;
  if (rule.amount.currency !== budgetCurrency) return 'CURRENCY_MISMATCH: rule amounts must be in the budget currency';
  return undefined;
}

/**
 * Influencers a campaign may hold, invited and accepted together: a bound on what one campaign's
 * reads and decisions can cost (documented in the README, Limits).
 */
export const MAX_CAMPAIGN_MEMBERS = 10_000;

/**
 * Whether a customer bound at `boundAt` still earns for its influencer on its sale number
 * `saleNumber` at `at`, under a conversion rule's `customerDurationMonths`: always when null; only
 * the first sale when 0; else sales before the same day and time N calendar months after the binding.
 */
export function withinCustomerDuration(
  months: number | null,
  customer: { boundAt: string; saleNumber: number },
  at: string,
): boolean {
  if (months === null) return true;
  if (months === 0) return customer.saleNumber <= 1;
  return Date.parse(at) < addMonths(customer.boundAt, months);
}

/** `at` plus `months` calendar months, in UTC; a day the month lacks (31 January + 1) is its last day. */
export function addMonths(at: string, months: number): number {
  const d = new Date(at);
  const day = d.getUTCDate();
  const target = new Date(
    Date.UTC(
      d.getUTCFullYear(),
      d.getUTCMonth() + months,
      1,
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
      d.getUTCMilliseconds(),
    ),
  );
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, last));
  return target.getTime();
}
