/**
 * Review and holds (domain.md): the signals a campaign's review may hold a commission on, and what an
 * influencer is told of a hold. Tracking observes the signals, commission applies the campaign's rule.
 */
export const REVIEW_SIGNALS = ['SELF_REFERRAL', 'SHARED_IP', 'FAST_CONVERSION', 'BOT_USER_AGENT'] as const;
export type ReviewSignal = (typeof REVIEW_SIGNALS)[number];

/** The hold reason of a commission at or above the campaign's threshold amount. */
export const THRESHOLD = 'THRESHOLD';
/** A held commission undecided past its campaign's reviewDays is approved with this reason. */
export const REVIEW_EXPIRED = 'REVIEW_EXPIRED';
/** The reasons a brand's rejection may name besides its own text. */
export const FRAUD = 'FRAUD';

export const MIN_REVIEW_DAYS = 1;
export const MAX_REVIEW_DAYS = 90;

/**
 * What an influencer sees of a hold: its category, never which signal held it (that would teach a
 * fraudster what to avoid). The brand and admin see the reasons themselves.
 */
export const holdCategoriesOf = (reasons: readonly string[]): string[] => [
  ...new Set(reasons.map((r) => (r === THRESHOLD ? 'AMOUNT_REVIEW' : 'RISK_REVIEW'))),
];
