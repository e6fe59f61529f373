/**
 * Which commission rules a campaign may have: the one check the BFF (a 400 at the edge) and the
 * campaign service (the authority, CampaignRejected) both run.
 */
import { percentRateProblem } from '@beacon/money';

export type RuleEvent = 'conversion' | 'click' | 'impression';
export type RuleType = 'percent' | 'fixed' | 'per_mille';

/** conversion: a percent of its value or a fixed amount; click: fixed; impression: per 1,000. */
export const RULE_TYPES: Record<RuleEvent, readonly RuleType[]> = {
  conversion: ['percent', 'fixed'],
  click: ['fixed'],
  impression: ['per_mille'],
};

export interface RuleInput {
  event: RuleEvent;
  type: RuleType;
  rate: string | null;
  amount: { amountMinor: bigint; currency: string } | null;
}

/** Why the rule cannot be used on a campaign budgeted in `budgetCurrency`; undefined when it can. */
export function commissionRuleProblem(rule: RuleInput, budgetCurrency: string): string | undefined {
  if (!RULE_TYPES[rule.event].includes(rule.type)) return `INVALID_RULE: ${rule.event} cannot use ${rule.type}`;
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
