/**
 * The BFF's public API as the console uses it: the typed client generated from the BFF's own
 * OpenAPI document (@beacon/api-client), a bearer token, problem+json errors as ApiError.
 */
import { ApiError, createBeaconClient, must, type BeaconClient, type Schemas } from '@beacon/api-client';

export { ApiError };
export type { Schemas };
export type Role = 'admin' | 'brand' | 'influencer' | 'ingest';
export interface Session {
  token: string;
  sub: string;
  roles: Role[];
}

export type Money = Schemas['MoneyView'];
export type Accepted = Schemas['Accepted'];
export type Campaign = Schemas['Campaign'];
export type CampaignAction = Campaign['allowedActions'][number];
export type CampaignStatus = Campaign['status'];
export type CommissionRule = Schemas['CommissionRule'];
export type NewCampaignRequest = Schemas['CreateCampaign'];
export type Stats = Schemas['Stats'];
export type Commission = Schemas['Commission'];
export type Balance = Schemas['Balance']['balances'][number];
export type Payout = Schemas['Payout'];
export type PayoutRequest = Schemas['PayoutRequest'];
export type Operation = Schemas['Operation'];
export type Step = Operation['steps'][number];
export type DeadLetterTopic = Schemas['DeadLetters']['topics'][number];
export type Coupon = Schemas['CouponView'];
export type Customer = Schemas['CustomerView'];
export type CustomerSummary = Schemas['CustomerSummaryView'];
export type Webhook = Schemas['Webhook'];
export type Delivery = Schemas['WebhookDelivery'];
export type Simulation = Schemas['Simulation'];
export type SimulationColumn = Schemas['SimulationColumn'];
export type SimulationRequest = Schemas['SimulationRequest'];
type Page<T> = { items: T[]; nextCursor: string | null };

/** Reads `sub` and `roles` from a JWT's payload (the BFF verifies it; this only decides what to show). */
export function sessionOf(token: string): Session {
  const part = token.split('.')[1];
  if (!part) throw new Error('that is not a JWT (three dot-separated parts)');
  const payload = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: string; roles?: Role[] };
  if (!payload.sub || !Array.isArray(payload.roles)) throw new Error('the token has no sub or roles claim');
  return { token, sub: payload.sub, roles: payload.roles };
}

export class Api {
  private readonly client: BeaconClient;

  constructor(session: Session) {
    this.client = createBeaconClient({ baseUrl: '', token: session.token });
  }

  /** Every page of a list (the API pages oldest first), newest first, up to `max` items. */
  private async all<T>(pageOf: (cursor: string | undefined) => Promise<Page<T>>, max = 5000): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await pageOf(cursor);
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && items.length < max);
    return items.reverse();
  }

  campaigns() {
    return this.all((cursor) =>
      must(this.client.GET('/api/v1/campaigns', { params: { query: { limit: 500, cursor } } })),
    );
  }
  campaign(id: string) {
    return must(this.client.GET('/api/v1/campaigns/{id}', { params: { path: { id } } }));
  }
  stats(id: string) {
    return must(this.client.GET('/api/v1/campaigns/{id}/stats', { params: { path: { id } } }));
  }
  createCampaign(body: NewCampaignRequest) {
    return must(this.client.POST('/api/v1/campaigns', { body }));
  }
  changeStatus(id: string, action: 'pause' | 'resume' | 'complete') {
    const params = { params: { path: { id } } };
    if (action === 'pause') return must(this.client.POST('/api/v1/campaigns/{id}/pause', params));
    if (action === 'resume') return must(this.client.POST('/api/v1/campaigns/{id}/resume', params));
    return must(this.client.POST('/api/v1/campaigns/{id}/complete', params));
  }
  accept(id: string) {
    return must(
      this.client.POST('/api/v1/campaigns/{id}/accept', { params: { path: { id } }, body: { acceptedTerms: true } }),
    );
  }
  invite(id: string, influencerIds: string[]) {
    return must(
      this.client.POST('/api/v1/campaigns/{id}/invitations', { params: { path: { id } }, body: { influencerIds } }),
    );
  }
  startSimulation(id: string, body: SimulationRequest) {
    return must(this.client.POST('/api/v1/campaigns/{id}/simulations', { params: { path: { id } }, body }));
  }
  simulation(id: string, simulationId: string) {
    return must(
      this.client.GET('/api/v1/campaigns/{id}/simulations/{simulationId}', { params: { path: { id, simulationId } } }),
    );
  }
  cancelSimulation(id: string, simulationId: string) {
    return must(
      this.client.POST('/api/v1/campaigns/{id}/simulations/{simulationId}/cancel', {
        params: { path: { id, simulationId } },
      }),
    );
  }
  createLink(id: string) {
    return must(this.client.POST('/api/v1/campaigns/{id}/links', { params: { path: { id } } }));
  }
  commissions(filter: { campaignId?: string; influencerId?: string; status?: Commission['status'] }, max = 1000) {
    const query = Object.fromEntries(Object.entries(filter).filter(([, v]) => v)) as typeof filter;
    return this.all(
      (cursor) => must(this.client.GET('/api/v1/commissions', { params: { query: { ...query, limit: 500, cursor } } })),
      max,
    );
  }
  approveCommission(id: string) {
    return must(this.client.POST('/api/v1/commissions/{id}/approve', { params: { path: { id } } }));
  }
  rejectCommission(id: string, reason: string) {
    return must(this.client.POST('/api/v1/commissions/{id}/reject', { params: { path: { id } }, body: { reason } }));
  }
  webhooks() {
    return this.all((cursor) =>
      must(this.client.GET('/api/v1/webhooks', { params: { query: { limit: 100, cursor } } })),
    );
  }
  createWebhook(body: Schemas['WebhookRequest']) {
    return must(this.client.POST('/api/v1/webhooks', { body }));
  }
  deleteWebhook(id: string) {
    return must(this.client.DELETE('/api/v1/webhooks/{id}', { params: { path: { id } } }));
  }
  testWebhook(id: string) {
    return must(this.client.POST('/api/v1/webhooks/{id}/test', { params: { path: { id } } }));
  }
  deliveries(id: string) {
    return this.all(
      (cursor) =>
        must(
          this.client.GET('/api/v1/webhooks/{id}/deliveries', {
            params: { path: { id }, query: { limit: 100, cursor } },
          }),
        ),
      200,
    );
  }
  redeliver(id: string, deliveryId: string) {
    return must(
      this.client.POST('/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver', {
        params: { path: { id, deliveryId } },
      }),
    );
  }
  coupons(campaignId?: string, max = 1000) {
    return this.all(
      (cursor) => must(this.client.GET('/api/v1/coupons', { params: { query: { campaignId, limit: 500, cursor } } })),
      max,
    );
  }
  createCoupon(id: string, body: { code: string; influencerId: string }) {
    return must(this.client.POST('/api/v1/campaigns/{id}/coupons', { params: { path: { id } }, body }));
  }
  deactivateCoupon(id: string, code: string) {
    return must(
      this.client.POST('/api/v1/campaigns/{id}/coupons/{code}/deactivate', { params: { path: { id, code } } }),
    );
  }
  /** A brand's customers (CustomerView), or an influencer's per-campaign summaries (CustomerSummaryView). */
  customers(filter: { campaignId?: string; influencerId?: string }, max = 2000) {
    const query = Object.fromEntries(Object.entries(filter).filter(([, v]) => v)) as typeof filter;
    return this.all(
      (cursor) => must(this.client.GET('/api/v1/customers', { params: { query: { ...query, limit: 500, cursor } } })),
      max,
    );
  }
  balance() {
    return must(this.client.GET('/api/v1/balance'));
  }
  payouts(max = 1000) {
    return this.all(
      (cursor) => must(this.client.GET('/api/v1/payouts', { params: { query: { limit: 500, cursor } } })),
      max,
    );
  }
  requestPayout(body: PayoutRequest) {
    return must(this.client.POST('/api/v1/payouts', { body }));
  }
  operation(correlationId: string) {
    return must(this.client.GET('/api/v1/operations/{correlationId}', { params: { path: { correlationId } } }));
  }
  deadLetters() {
    return must(this.client.GET('/api/v1/admin/dead-letters'));
  }
}

/** Development only: the BFF mints a token when it runs with the development secret. */
export async function devSignIn(input: { role: Role; sub: string; brand?: string }): Promise<string | undefined> {
  const response = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  if (response.status === 404) return undefined;
  const json = (await response.json()) as { token?: string; title?: string; detail?: string };
  if (!response.ok || !json.token) throw new ApiError(response.status, json);
  return json.token;
}

export async function devSignInAvailable(): Promise<boolean> {
  const response = await fetch('/dev/token', { method: 'GET' }).catch(() => undefined);
  return response?.ok === true;
}

export const formatMoney = (m: Money | null | undefined) => (m ? `${m.amount} ${m.currency}` : '—');
