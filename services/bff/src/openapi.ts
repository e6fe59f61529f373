/** The machine-readable contract (OpenAPI 3.1) and a small self-contained docs page rendered from it. */

const money = { $ref: '#/components/schemas/Money' };
const accepted = { description: 'Accepted: the work continues asynchronously', headers: { Location: { schema: { type: 'string' } } }, content: { 'application/json': { schema: { $ref: '#/components/schemas/Accepted' } } } };
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
const errors = { '400': problem('Invalid request'), '401': problem('No or bad token'), '403': problem('Role not allowed'), '404': problem('Not found or not visible') };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
const listParams = [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } }, { name: 'cursor', in: 'query', schema: { type: 'string' } }];
const query = (...names: string[]) => names.map((name) => ({ name, in: 'query', schema: { type: 'string' } }));

function op(summary: string, roles: string, extra: Record<string, unknown> = {}, responses: Record<string, unknown> = { '202': accepted }) {
  return { summary, description: `Roles: ${roles}.`, responses: { ...responses, ...errors }, ...extra };
}

export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'Beacon BFF', version: '1.0.0', description: 'The only HTTP entry point of the Beacon fleet. Commands answer 202 with an operation to follow.' },
  servers: [{ url: '/' }],
  security: [{ bearer: [] }],
  paths: {
    '/api/v1/campaigns': {
      post: op('Create a campaign', 'brand, admin', { requestBody: json({ $ref: '#/components/schemas/CreateCampaign' }), parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } }] }),
      get: op('List campaigns the caller may see', 'brand (own), influencer (open, invited, accepted), admin (all)', { parameters: listParams }, { '200': json({ type: 'object', properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Campaign' } }, nextCursor: { type: ['string', 'null'] } } }) }),
    },
    '/api/v1/campaigns/{id}': { get: op('A campaign', 'owner brand, admin, influencers who may see it', { parameters: idParam }, { '200': json({ $ref: '#/components/schemas/Campaign' }) }) },
    '/api/v1/campaigns/{id}/pause': { post: op('Pause', 'owner brand, admin', { parameters: idParam }) },
    '/api/v1/campaigns/{id}/resume': { post: op('Resume', 'owner brand, admin', { parameters: idParam }) },
    '/api/v1/campaigns/{id}/complete': { post: op('Complete (final)', 'owner brand, admin', { parameters: idParam }) },
    '/api/v1/campaigns/{id}/invitations': { post: op('Invite influencers', 'owner brand, admin', { parameters: idParam, requestBody: json({ type: 'object', required: ['influencerIds'], properties: { influencerIds: { type: 'array', items: { type: 'string' } } } }) }) },
    '/api/v1/campaigns/{id}/accept': { post: op('Accept the campaign terms', 'influencer', { parameters: idParam, requestBody: json({ type: 'object', required: ['acceptedTerms'], properties: { acceptedTerms: { const: true } } }) }) },
    '/api/v1/campaigns/{id}/evidence': { post: op('Submit evidence of the promotion', 'accepted influencer', { parameters: idParam, requestBody: json({ type: 'object', required: ['type', 'url'], properties: { type: { enum: ['photo', 'video', 'post', 'story'] }, url: { type: 'string', format: 'uri' }, description: { type: 'string' } } }) }) },
    '/api/v1/campaigns/{id}/links': { post: op('Create a signed tracking link', 'accepted influencer', { parameters: idParam }, { '201': json({ type: 'object', properties: { token: { type: 'string' }, url: { type: 'string' } } }) }) },
    '/api/v1/campaigns/{id}/stats': { get: op('Statistics from rollups', 'owner brand, admin', { parameters: [...idParam, ...query('from', 'to')] }, { '200': json({ $ref: '#/components/schemas/Stats' }) }) },
    '/c/{token}': { get: { summary: 'Follow a tracking link: records a click, redirects with click_id', security: [], parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }], responses: { '302': { description: 'To the landing URL' }, '404': problem('Bad or tampered token') } } },
    '/api/v1/tracking/events': {
      post: op('Record a tracking event', 'ingest, brand, admin', { requestBody: json({ $ref: '#/components/schemas/TrackingEvent' }) }),
      get: op('A page of tracking events with validity', 'owner brand, admin', { parameters: [...listParams, ...query('campaignId', 'influencerId', 'visitorId', 'type', 'from', 'to')] }, { '200': json({ type: 'object' }) }),
    },
    '/api/v1/tracking/events:batch': { post: op('Record up to 1000 events', 'ingest, brand, admin', { requestBody: json({ type: 'object', properties: { events: { type: 'array', maxItems: 1000, items: { $ref: '#/components/schemas/TrackingEvent' } } } }) }, { '202': json({ type: 'object', properties: { accepted: { type: 'integer' }, rejected: { type: 'array' }, correlationId: { type: 'string' } } }) }) },
    '/api/v1/tracking/activity': { get: op('4-hour activity windows of a visitor', 'brand, admin', { parameters: query('visitorId', 'from', 'to') }, { '200': json({ type: 'object' }) }) },
    '/api/v1/commissions': { get: op('Commissions', 'influencer (own), brand (its campaigns), admin', { parameters: [...listParams, ...query('campaignId', 'influencerId', 'status')] }, { '200': json({ type: 'object' }) }) },
    '/api/v1/balance': { get: op('Balances per currency', 'influencer', {}, { '200': json({ type: 'object', properties: { balances: { type: 'array', items: { type: 'object', properties: { currency: { type: 'string' }, pending: money, available: money, paidOut: money } } } } }) }) },
    '/api/v1/payouts': {
      post: op('Request a payout', 'influencer', { requestBody: json({ type: 'object', required: ['amount', 'method', 'destination'], properties: { amount: money, method: { enum: ['paypal', 'bank_transfer'] }, destination: { type: 'string' } } }) }),
      get: op('Payouts', 'influencer (own), admin', { parameters: listParams }, { '200': json({ type: 'object' }) }),
    },
    '/api/v1/payouts/{id}': { get: op('A payout', 'influencer (own), admin', { parameters: idParam }, { '200': json({ $ref: '#/components/schemas/Payout' }) }) },
    '/api/v1/operations/{correlationId}': { get: op('The timeline of a flow', 'whoever started it, admin', { parameters: [{ name: 'correlationId', in: 'path', required: true, schema: { type: 'string' } }] }, { '200': json({ $ref: '#/components/schemas/Operation' }) }) },
    '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': { description: 'Running' } } } },
    '/readyz': { get: { summary: 'Readiness: database and Pulsar', security: [], responses: { '200': { description: 'Ready' }, '503': { description: 'Not ready' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { '200': { description: 'Text exposition format' } } } },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    schemas: {
      Money: { type: 'object', required: ['amount', 'currency'], properties: { amount: { type: 'string', pattern: '^\\d+(\\.\\d+)?$', examples: ['12.50'] }, currency: { type: 'string', examples: ['USD'] } } },
      Accepted: { type: 'object', properties: { id: { type: 'string' }, correlationId: { type: 'string' }, status: { const: 'accepted' }, operation: { type: 'string' } } },
      Problem: { type: 'object', properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, correlationId: { type: 'string' }, errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } } } },
      CommissionRule: { type: 'object', required: ['event', 'type'], properties: { event: { enum: ['conversion', 'click', 'impression'] }, type: { enum: ['percent', 'fixed', 'per_mille'] }, rate: { type: 'string' }, amount: money } },
      CreateCampaign: { type: 'object', required: ['name', 'landingUrl', 'budget', 'commissionRules'], properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string' }, landingUrl: { type: 'string', format: 'uri' }, budget: money, commissionRules: { type: 'array', items: { $ref: '#/components/schemas/CommissionRule' } }, visibility: { enum: ['open', 'invite_only'] }, attributionWindowDays: { type: 'integer', default: 30 }, holdingPeriodDays: { type: 'integer', default: 0 }, influencerIds: { type: 'array', items: { type: 'string' } } } },
      Campaign: { type: 'object', properties: { id: { type: 'string' }, brandId: { type: 'string' }, name: { type: 'string' }, landingUrl: { type: 'string' }, status: { enum: ['active', 'paused', 'completed', 'budget_exhausted'] }, budget: money, spent: money, remaining: money, commissionRules: { type: 'array', items: { $ref: '#/components/schemas/CommissionRule' } }, visibility: { type: 'string' }, attributionWindowDays: { type: 'integer' }, holdingPeriodDays: { type: 'integer' }, influencers: { type: 'array', items: { type: 'object', properties: { influencerId: { type: 'string' }, status: { enum: ['invited', 'accepted'] } } } }, createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' } } },
      TrackingEvent: { type: 'object', required: ['type', 'campaignId', 'visitorId'], properties: { eventId: { type: 'string' }, type: { enum: ['impression', 'click', 'conversion', 'refund', 'custom'] }, campaignId: { type: 'string' }, influencerId: { type: 'string' }, clickId: { type: 'string' }, visitorId: { type: 'string' }, userId: { type: 'string' }, occurredAt: { type: 'string', format: 'date-time' }, value: money, orderId: { type: 'string' }, name: { type: 'string' }, properties: { type: 'object' }, userAgent: { type: 'string' }, ip: { type: 'string' }, referrer: { type: 'string' } } },
      Stats: { type: 'object', properties: { impressions: { type: 'integer' }, clicks: { type: 'integer' }, conversions: { type: 'integer' }, invalidEvents: { type: 'integer' }, revenue: money, commissions: money, clickThroughRate: { type: 'number' }, conversionRate: { type: 'number' }, byInfluencer: { type: 'array' }, byDay: { type: 'array' } } },
      Payout: { type: 'object', properties: { id: { type: 'string' }, influencerId: { type: 'string' }, amount: money, method: { type: 'string' }, status: { enum: ['requested', 'processing', 'completed', 'failed', 'rejected'] }, reason: { type: 'string' }, createdAt: { type: 'string' }, completedAt: { type: 'string' } } },
      Operation: { type: 'object', properties: { correlationId: { type: 'string' }, status: { enum: ['pending', 'completed', 'failed'] }, reason: { type: 'string' }, steps: { type: 'array', items: { type: 'object', properties: { messageId: { type: 'string' }, causationId: { type: 'string' }, kind: { enum: ['command', 'event'] }, type: { type: 'string' }, service: { type: 'string' }, occurredAt: { type: 'string' } } } } } },
    },
  },
};

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** No CDN is reachable offline, so the docs page is plain HTML generated from the document. */
export function docsPage(): string {
  const rows = Object.entries(openApiDocument.paths).flatMap(([path, ops]) =>
    Object.entries(ops as Record<string, { summary: string; description?: string }>).map(
      ([method, o]) => `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escape(path)}</code></td><td>${escape(o.summary)}</td><td>${escape(o.description ?? 'public')}</td></tr>`,
    ),
  );
  return `<!doctype html><html><head><meta charset="utf-8"><title>Beacon BFF API</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}code{font-size:.9rem}</style>
</head><body><h1>Beacon BFF API v1</h1><p>${escape(openApiDocument.info.description)} Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).
Authenticate with <code>Authorization: Bearer &lt;JWT&gt;</code>; errors are <code>application/problem+json</code>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>What</th><th>Who</th></tr></thead><tbody>${rows.join('\n')}</tbody></table></body></html>`;
}
