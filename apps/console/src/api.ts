/** The BFF's public API, as the console uses it: a bearer token, JSON in and out, problem+json errors. */

export type Role = 'admin' | 'brand' | 'influencer' | 'ingest';
export interface Money { amount: string; currency: string }
export interface Session { token: string; sub: string; roles: Role[] }

export interface Problem { title: string; status: number; detail?: string; correlationId?: string; errors?: Array<{ path: string; message: string }> }

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

export interface Accepted { id: string; correlationId: string; status: 'accepted'; operation: string }
export interface Page<T> { items: T[]; nextCursor: string | null }

export type CampaignStatus = 'active' | 'paused' | 'completed' | 'budget_exhausted';
export type RuleEvent = 'impression' | 'click' | 'conversion' | 'custom';
export interface CommissionRule { event: RuleEvent; type: 'fixed' | 'percent' | 'per_mille'; amount?: Money | null; rate?: string | null; name?: string | null }
export interface CampaignSummary { id: string; brandId: string; name: string; status: CampaignStatus; budget: Money; spent: Money; remaining: Money; visibility: string; createdAt: string }
export interface Campaign extends CampaignSummary {
  landingUrl: string; commissionRules: CommissionRule[]; attributionWindowDays: number; holdingPeriodDays: number;
  influencers: Array<{ influencerId: string; status: 'invited' | 'accepted' }>; updatedAt: string;
}
export interface Figures { impressions: number; clicks: number; conversions: number; invalidEvents: number; revenue: Money; commissions: Money; clickThroughRate: number; conversionRate: number }
export interface Stats extends Figures {
  byDay: Array<Figures & { day: string }>;
  byWindow?: Array<{ windowStart: string; impressions: number; clicks: number; conversions: number; revenue: Money }>;
  byInfluencer: Array<Figures & { influencerId: string | null }>;
}
export interface Commission { id: string; campaignId: string; influencerId: string | null; sourceEventId: string; amount: Money | null; status: string; reason?: string | null; createdAt: string }
export interface Balance { currency: string; pending: Money; available: Money; paidOut: Money }
export interface Payout { id: string; influencerId: string; amount: Money; method: string; status: string; reason?: string | null; createdAt: string; completedAt?: string | null }
export interface Step { messageId: string; causationId: string; kind: 'command' | 'event'; type: string; service: string; occurredAt: string }
export interface Operation { correlationId: string; status: 'pending' | 'completed' | 'failed'; reason?: string | null; steps: Step[]; createdAt?: string }
export interface DeadLetter { messageId: string; messageType: string; correlationId: string; seenAt: string }
export interface DeadLetterTopic { topic: string; service: string; count: number; latest: DeadLetter[] }

/** Reads `sub` and `roles` from a JWT's payload (the BFF verifies it; this only decides what to show). */
export function sessionOf(token: string): Session {
  const part = token.split('.')[1];
  if (!part) throw new Error('that is not a JWT (three dot-separated parts)');
  const payload = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: string; roles?: Role[] };
  if (!payload.sub || !Array.isArray(payload.roles)) throw new Error('the token has no sub or roles claim');
  return { token, sub: payload.sub, roles: payload.roles };
}

export class Api {
  constructor(private readonly session: Session) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${this.session.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const json = text ? JSON.parse(text) : undefined;
    if (!response.ok) throw new ApiError(json ?? { title: response.statusText, status: response.status });
    return json as T;
  }

  get<T>(path: string) {
    return this.request<T>('GET', path);
  }

  /** Every page of a list (the API pages oldest first), newest first, up to `max` items. */
  async all<T>(path: string, max = 5000): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const page: Page<T> = await this.get<Page<T>>(`${path}${separator}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && items.length < max);
    return items.reverse();
  }

  command(path: string, body: unknown = {}) {
    return this.request<Accepted>('POST', path, body);
  }
}

/** Development only: the BFF mints a token when it runs with the development secret. */
export async function devSignIn(input: { role: Role; sub: string; brand?: string }): Promise<string | undefined> {
  const response = await fetch('/dev/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) });
  if (response.status === 404) return undefined;
  const json = (await response.json()) as { token?: string } & Problem;
  if (!response.ok || !json.token) throw new ApiError(json);
  return json.token;
}

export async function devSignInAvailable(): Promise<boolean> {
  const response = await fetch('/dev/token', { method: 'GET' }).catch(() => undefined);
  return response?.ok === true;
}

export const formatMoney = (m: Money | null | undefined) => (m ? `${m.amount} ${m.currency}` : '—');
export const query = (params: Record<string, string | undefined>) => {
  const entries = Object.entries(params).filter((e): e is [string, string] => !!e[1]);
  return entries.length ? `?${new URLSearchParams(entries)}` : '';
};
