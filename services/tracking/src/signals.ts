/**
 * What tracking observes about an earning event that a campaign's review may hold its commission on
 * (domain.md, "Review and holds"). Tracking only observes: whether a signal holds anything is the
 * campaign's review rule, which the commission service applies. Nothing here does I/O.
 */
import type { RecordTrackingEventV2 as RecordTrackingEvent } from '@beacon/contracts';
import type { ReviewSignal as Signal } from '@beacon/domain';
import { isbot } from 'isbot';

/** A lead or conversion this soon after the visitor's click looks scripted. */
export const FAST_CONVERSION_SECONDS = 10;
/** More than this many conversions from one IP on one campaign within the window is a shared IP. */
export const SHARED_IP_LIMIT = 3;
export const SHARED_IP_WINDOW_MS = 24 * 3_600_000;

/** Crawlers, link-preview fetchers, headless browsers and HTTP libraries (isbot's list, as the BFF's link clicks use). */
export const isBotUserAgent = (userAgent: string | null): boolean => userAgent !== null && isbot(userAgent);

/** The start of the shared-IP window of an event at `at`. */
export const sharedIpWindowStart = (at: string): string => {
  const start = Date.parse(at) - SHARED_IP_WINDOW_MS;
  return Number.isNaN(start) ? at : new Date(start).toISOString();
};

export interface SignalFacts {
  /** the influencer the event was attributed to */
  influencerId: string | null;
  /** the visitor's latest click on the campaign at or before the event */
  lastClick?: { occurredAt: string };
  /** valid conversions from the event's IP on its campaign in the window before it (stored and earlier in its batch) */
  conversionsFromIp: number;
}

/** The signals of an attributed click, lead or conversion; none for anything else. */
export function signalsOf(
  event: Pick<RecordTrackingEvent, 'type' | 'visitorId' | 'userId' | 'userAgent' | 'ip' | 'occurredAt'>,
  facts: SignalFacts,
): Signal[] {
  const earns = event.type === 'click' || event.type === 'lead' || event.type === 'conversion';
  if (!earns || facts.influencerId === null) return [];
  const signals: Signal[] = [];
  if (event.visitorId === facts.influencerId || event.userId === facts.influencerId) signals.push('SELF_REFERRAL');
  if (event.type === 'conversion' && event.ip !== null && facts.conversionsFromIp >= SHARED_IP_LIMIT)
    signals.push('SHARED_IP');
  if (event.type !== 'click' && facts.lastClick) {
    const gap = Date.parse(event.occurredAt) - Date.parse(facts.lastClick.occurredAt);
    if (gap >= 0 && gap < FAST_CONVERSION_SECONDS * 1000) signals.push('FAST_CONVERSION');
  }
  if (isBotUserAgent(event.userAgent)) signals.push('BOT_USER_AGENT');
  return signals;
}
