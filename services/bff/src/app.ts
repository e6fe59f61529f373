/** The BFF's express app, built from its dependencies so tests can start it on any port. */
import type { ServerResponse } from 'node:http';
import express, { Router, type RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Histogram } from 'prom-client';
import type { Caller } from './http/jwt.js';
import { campaignRoutes } from './campaigns/routes.js';
import { campaignAccess } from './campaigns/access.js';
import { funnelRoutes } from './funnel/routes.js';
import { simulationRoutes } from './simulations/routes.js';
import { webhookRoutes } from './webhooks/routes.js';
import { consoleRoutes } from './http/console.js';
import { deadLetterRoutes, type DeadLetterCount } from './dead-letters/dead-letters.js';
import type { Publisher } from './command-gateway.js';
import type { Database } from './db.js';
import { boundedBody, noStore, securityHeaders, storableUrl } from './http/request-guards.js';
import { healthEndpoints } from './http/contract.js';
import { mount } from './http/endpoint.js';
import { authenticate } from './http/authenticate.js';
import { correlation } from './http/correlation.js';
import { notFound, problemHandler } from './http/problems.js';
import { idempotency } from './http/idempotency.js';
import type { VisitorCookies } from './tracking/links.js';
import { operationRoutes } from './operations/routes.js';
import { docsPage, DOCS_CSP, openApiDocument, redocBundlePath } from './http/openapi.js';
import { paymentRoutes } from './payments/routes.js';
import { linkRoute, trackingRoutes } from './tracking/routes.js';
import type { TrackingBatcher } from './tracking/batches.js';

export interface AppDeps {
  db: Kysely<Database>;
  publisher: Publisher;
  batcher: TrackingBatcher;
  verify: (token: string) => Promise<Caller>;
  /** Per-caller rate limits (429); none in tests that build the app alone. */
  rateLimit?: RequestHandler;
  /** Whether a click from this IP on this link may be recorded (link and IP limits). */
  clickAllowed?: (ip: string, link: string) => boolean;
  onClickLimited?: () => void;
  linkSecret: string;
  visitors: VisitorCookies;
  /** Express's `trust proxy`: which proxies' X-Forwarded-For is believed (false: none). */
  trustProxy: boolean | string[];
  logger: Logger;
  readiness: () => Promise<{ ready: boolean; checks: Record<string, boolean> }>;
  /** The development secret is in use: the console may offer its development sign-in. */
  development?: boolean;
  /** The key webhook secrets are derived from (shared with the webhook service). */
  webhookKey: string;
  /** How many messages each of the fleet's dead-letter topics holds (admin route). */
  deadLetters?: () => Promise<DeadLetterCount[]>;
  httpSeconds: Histogram<'method' | 'route' | 'status'>;
}

/** One line per request: method, route, status, duration, correlation id and caller (read when the response ends). */
function requestLog(logger: Logger) {
  return pinoHttp<express.Request, ServerResponse, never>({
    logger,
    genReqId: (req) => req.correlationId,
    customLogLevel: (_req, res, error) =>
      error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    customSuccessObject: (req, res, value: Record<string, unknown>) => describe(req, res, value),
    customErrorObject: (req, res, _error, value: Record<string, unknown>) => describe(req, res, value),
    serializers: { req: () => undefined, res: () => undefined },
  });
}

function describe(req: express.Request, res: ServerResponse, value: Record<string, unknown>) {
  const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
  return {
    ...value,
    method: req.method,
    route,
    status: res.statusCode,
    correlationId: req.correlationId,
    caller: req.caller?.sub,
  };
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy);
  // Views turn amounts into decimal strings and counts into numbers; a bigint that slips through is text, never a 500.
  app.set('json replacer', (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  app.use(securityHeaders);
  app.use(correlation);
  app.use(requestLog(deps.logger));
  app.use((req, res, next) => {
    const stop = deps.httpSeconds.startTimer();
    res.on('finish', () =>
      stop({
        method: req.method,
        route: req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched',
        status: String(res.statusCode),
      }),
    );
    next();
  });
  app.use(storableUrl);
  app.use(express.json({ limit: '1mb' }));
  app.use(boundedBody);

  const ops = Router();
  mount(ops, healthEndpoints.health, async () => ({ status: 'ok' as const }), '');
  mount(
    ops,
    healthEndpoints.readiness,
    async (_input, _req, res) => {
      const result = await deps.readiness();
      res.status(result.ready ? 200 : 503);
      return result;
    },
    '',
  );
  app.use(ops);
  app.get('/openapi.json', (_req, res) => void res.json(openApiDocument()));
  app.get(
    '/docs',
    (_req, res) => void res.setHeader('Content-Security-Policy', DOCS_CSP).type('html').send(docsPage()),
  );
  app.get('/docs/redoc.standalone.js', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=86400');
    // pnpm keeps packages under node_modules/.pnpm: a dot segment that send() refuses unless told.
    res.sendFile(redocBundlePath(), { dotfiles: 'allow' });
  });
  app.use(
    linkRoute(deps.db, deps.batcher, deps.linkSecret, deps.visitors, {
      clickAllowed: deps.clickAllowed,
      onLimited: deps.onClickLimited,
    }),
  );
  app.use(consoleRoutes({ development: deps.development ?? false }));

  const api = express.Router();
  api.use(noStore);
  api.use(authenticate(deps.verify));
  if (deps.rateLimit) api.use(deps.rateLimit);
  api.use(idempotency(deps.db));
  api.use(campaignRoutes(deps.db, deps.publisher, deps.linkSecret));
  api.use(funnelRoutes(deps.db, deps.publisher, campaignAccess(deps.db)));
  api.use(simulationRoutes(deps.db, campaignAccess(deps.db)));
  api.use(trackingRoutes(deps.db, deps.batcher));
  api.use(paymentRoutes(deps.db, deps.publisher));
  api.use(webhookRoutes(deps.db, deps.publisher, { key: deps.webhookKey, development: deps.development ?? false }));
  api.use(operationRoutes(deps.db));
  if (deps.deadLetters) api.use(deadLetterRoutes(deps.deadLetters));
  app.use('/api/v1', api);
  app.use((req, _res, next) => next(notFound(`route ${req.method} ${req.path}`)));
  app.use(problemHandler(deps.logger));
  return app;
}
