/**
 * What a delivery's body says: `{ type, timestamp, correlationId, data }`, where `data` is the public
 * API's view of the thing (money as decimal strings), as GET /api/v1/commissions or /payouts shows it.
 */
import { toApi } from '@beacon/money';
import type { Money, TrackingEventRecordedV2 } from '@beacon/contracts';
import type { Selectable } from 'kysely';
import type { Database } from './db.js';

type CommissionFacts = Selectable<Database['commissions']> | undefined;

export const money = (m: Money) => toApi(m);

export function commissionView(
  c: { commissionId: string; campaignId: string; influencerId: string | null; amount: Money | null },
  status: string,
  facts: CommissionFacts,
  extra: { reason?: string; sourceEventId?: string; attribution?: string | null; at: string },
) {
  return {
    id: c.commissionId,
    campaignId: c.campaignId,
    influencerId: c.influencerId,
    sourceEventId: extra.sourceEventId ?? facts?.source_event_id ?? null,
    amount: c.amount ? money(c.amount) : null,
    status,
    ...(extra.reason ? { reason: extra.reason } : {}),
    ...((extra.attribution ?? facts?.attribution) ? { attribution: extra.attribution ?? facts?.attribution } : {}),
    createdAt: facts?.created_at.toISOString() ?? extra.at,
  };
}

export function body(type: string, timestamp: string, correlationId: string, data: unknown): string {
  return JSON.stringify({ type, timestamp, correlationId, data });
}

/** A lead or conversion as GET /api/v1/tracking/events shows it (the fields a receiver acts on). */
export const trackingView = (e: TrackingEventRecordedV2) => ({
  eventId: e.eventId,
  type: e.type,
  campaignId: e.campaignId,
  influencerId: e.influencerId,
  attribution: e.attribution === 'none' ? null : e.attribution,
  visitorId: e.visitorId,
  occurredAt: e.occurredAt,
  value: e.value ? money(e.value) : null,
  orderId: e.orderId,
  customerId: e.customerId,
  couponCode: e.couponCode,
});
