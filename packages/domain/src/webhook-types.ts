/**
 * The webhook event types an endpoint may subscribe to, and those an influencer's may. No Node
 * imports here: the console reads this list too (`@beacon/domain/webhook-types`).
 */
export const WEBHOOK_EVENT_TYPES = [
  'lead.recorded',
  'conversion.recorded',
  'commission.created',
  'commission.held',
  'commission.approved',
  'commission.rejected',
  'commission.reversed',
  'commission.paid',
  'payout.completed',
  'payout.failed',
  'campaign.budget_exhausted',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number] | 'webhook.test';

/** What an influencer's endpoint may receive: its own commissions and payouts (Dub's partner postbacks). */
export const INFLUENCER_EVENT_TYPES: readonly WebhookEventType[] = WEBHOOK_EVENT_TYPES.filter(
  (t) => t.startsWith('commission.') || t.startsWith('payout.'),
);
