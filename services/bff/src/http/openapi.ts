/**
 * The OpenAPI 3.1 document, generated from the contract (../contract.ts, the slices' entries) with zod-to-openapi, and the
 * /docs page: Redoc's standalone bundle, served from this process (no CDN is needed or reachable).
 */
import { createRequire } from 'node:module';
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { endpoints } from '../contract.js';
import { ProblemView, type Endpoint } from './contract.js';

const problem = (description: string) => ({
  description,
  headers: { 'X-Correlation-ID': { $ref: '#/components/headers/CorrelationId' } },
  content: { 'application/problem+json': { schema: ProblemView } },
});

const DATABASE_BUSY =
  'The database is unavailable for a moment (no connection, a deadlock): `Retry-After` says when to try again';

/** Which problems a route can answer, by what it is. */
function errorsOf(e: Endpoint): RouteConfig['responses'] {
  // Every route refuses a path or query the database could not store (a NUL, a lone surrogate).
  const errors: RouteConfig['responses'] = {
    '400': problem('The request is not valid: `errors` lists each problem with its path'),
  };
  if (e.roles === 'public') {
    if (e.path.startsWith('/c/')) {
      errors['404'] = problem('A bad or tampered link');
      errors['410'] = {
        description: 'The campaign is paused or completed: a small HTML page, no redirect, nothing recorded',
      };
    }
    if (e.path === '/readyz') errors['503'] = problem('Pulsar or the database is not reachable');
    else if (e.path.startsWith('/c/')) errors['503'] = problem(DATABASE_BUSY);
    return errors;
  }
  errors['401'] = problem('No token, or a token that does not verify');
  errors['403'] = problem('The token’s roles do not allow this');
  errors['404'] = problem('No such resource, or one the caller may not see');
  errors['429'] = problem('The caller is over its rate limit; `Retry-After` says when to try again');
  errors['503'] = problem(DATABASE_BUSY);
  if (e.method === 'post') {
    errors['409'] = problem('The Idempotency-Key was used with another request, or its first request is still running');
    errors['413'] = problem('The body is over 1 MiB');
    errors['503'] = problem(
      e.path.startsWith('/api/v1/tracking/')
        ? 'The broker did not take the events, the tracking queue is full, or the database is unavailable for a moment ' +
            '(`Retry-After`); retry with the same Idempotency-Key'
        : 'The broker did not take the command, or the database is unavailable for a moment; retry with the same Idempotency-Key',
    );
  }
  return errors;
}

function routeOf(operationId: string, e: Endpoint): RouteConfig {
  const headers: Record<string, unknown> = { 'X-Correlation-ID': { $ref: '#/components/headers/CorrelationId' } };
  if (e.ok.status === 202) headers.Location = { $ref: '#/components/headers/OperationLocation' };
  if (e.ok.status === 302)
    headers.Location = { description: 'The landing URL with `click_id`', schema: { type: 'string' } };
  const content = e.ok.schema
    ? { 'application/json': { schema: e.ok.schema } }
    : e.ok.contentType
      ? { [e.ok.contentType]: { schema: z.string() } }
      : undefined;
  const roles = e.roles === 'public' ? 'Public: no token.' : `Roles: ${e.roles.join(', ')}.`;
  return {
    method: e.method,
    path: e.path,
    operationId,
    summary: e.summary,
    description: [roles, e.scope ? `Scope: ${e.scope}.` : ''].filter(Boolean).join(' '),
    tags: [tagOf(e.path)],
    ...(e.roles === 'public' ? { security: [] } : {}),
    request: {
      ...(e.params ? { params: e.params } : {}),
      ...(e.query ? { query: e.query } : {}),
      ...(e.method === 'post' && e.roles !== 'public'
        ? { headers: z.object({ 'Idempotency-Key': IdempotencyKey, 'X-Correlation-ID': CorrelationIdHeader }) }
        : { headers: z.object({ 'X-Correlation-ID': CorrelationIdHeader }) }),
      ...(e.body ? { body: { required: true, content: { 'application/json': { schema: e.body } } } } : {}),
    },
    responses: {
      [String(e.ok.status)]: { description: e.ok.description, headers, ...(content ? { content } : {}) },
      ...errorsOf(e),
    },
  } as RouteConfig;
}

const IdempotencyKey = z
  .string()
  .max(255)
  .optional()
  .openapi({ description: 'The same key and body within 24 h have one effect and replay the first answer' });
const CorrelationIdHeader = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/)
  .optional()
  .openapi({ description: 'Kept unless it names another caller’s operation; the answer echoes the id in use' });

const TAGS = {
  campaigns: 'Brands run campaigns; influencers accept them, submit evidence and make tracking links.',
  tracking: 'Impressions, clicks, conversions, refunds and custom events, one at a time or in batches.',
  payments: 'Commissions, balances and payouts.',
  operations: 'Every command’s flow through the fleet, as a timeline.',
  admin: 'For operators: the dead-letter topics.',
  ops: 'Liveness, readiness and metrics, without a token.',
};

function tagOf(path: string): keyof typeof TAGS {
  if (path.startsWith('/api/v1/campaigns')) return 'campaigns';
  if (path.startsWith('/api/v1/tracking') || path.startsWith('/c/')) return 'tracking';
  if (path.startsWith('/api/v1/operations')) return 'operations';
  if (path.startsWith('/api/v1/admin')) return 'admin';
  if (path.startsWith('/api/v1/')) return 'payments';
  return 'ops';
}

export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  registry.registerComponent('headers', 'CorrelationId', {
    description: 'The flow’s correlation id: the request’s own, or a new one',
    schema: { type: 'string' },
  });
  registry.registerComponent('headers', 'OperationLocation', {
    description: 'The operation to follow: `/api/v1/operations/{correlationId}`',
    schema: { type: 'string' },
  });
  for (const [id, e] of Object.entries(endpoints)) registry.registerPath(routeOf(id, e));
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Beacon BFF',
      version: '1.0.0',
      description:
        'The only HTTP entry point of the Beacon fleet. Commands answer 202 with an operation to follow; ' +
        'errors are `application/problem+json`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
  });
}

let cached: ReturnType<typeof buildOpenApiDocument> | undefined;
export const openApiDocument = () => (cached ??= buildOpenApiDocument());

/** Redoc's standalone bundle: scripts from this origin only, styles it injects, a search worker from a blob. */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self' data:; connect-src 'self'; worker-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const redocBundlePath = () =>
  process.env.REDOC_BUNDLE ?? createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js');

export const docsPage = () => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Beacon BFF API</title></head>
<body><redoc spec-url="/openapi.json"></redoc><script src="/docs/redoc.standalone.js"></script></body></html>`;
