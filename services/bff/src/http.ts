/** HTTP plumbing: problem+json errors, correlation ids, authentication, idempotency keys, pagination. */
import { createHash, randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Kysely } from 'kysely';
import { ZodError, type ZodType, type ZodTypeDef } from 'zod';
import { AuthError, type Caller, type Role } from './auth.js';
import type { Database } from './db.js';

export class Problem extends Error {
  constructor(readonly status: number, readonly title: string, readonly detail?: string, readonly errors?: Array<{ path: string; message: string }>) {
    super(detail ?? title);
  }
}

export const notFound = (what = 'resource') => new Problem(404, 'Not Found', `no such ${what}`);
export const forbidden = (detail = 'your roles do not allow this') => new Problem(403, 'Forbidden', detail);

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      correlationId: string;
      caller: Caller;
    }
  }
}

const CORRELATION = /^[A-Za-z0-9._:-]{1,128}$/;

export function correlation(req: Request, res: Response, next: NextFunction): void {
  const given = req.header('x-correlation-id');
  req.correlationId = given && CORRELATION.test(given) ? given : randomUUID();
  res.setHeader('X-Correlation-ID', req.correlationId);
  next();
}

export function authenticate(verify: (token: string) => Promise<Caller>): RequestHandler {
  return (req, _res, next) => {
    const header = req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) return next(new Problem(401, 'Unauthorized', 'a Bearer token is required'));
    verify(match[1]!).then(
      (caller) => {
        req.caller = caller;
        next();
      },
      (error: unknown) => next(new Problem(401, 'Unauthorized', error instanceof AuthError ? error.message : 'invalid token')),
    );
  };
}

export function requireRole(req: Request, ...roles: Role[]): void {
  if (!req.caller.roles.some((r) => roles.includes(r))) throw forbidden(`needs one of the roles: ${roles.join(', ')}`);
}

export const has = (req: Request, role: Role) => req.caller.roles.includes(role);

export function parse<T>(schema: ZodType<T, ZodTypeDef, unknown>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw zodProblem(result.error);
  return result.data;
}

export function zodProblem(error: ZodError): Problem {
  return new Problem(400, 'Bad Request', 'the request is not valid', error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message })));
}

/** Async route handlers with errors forwarded to the problem handler. */
export const route = (fn: (req: Request, res: Response) => Promise<unknown>): RequestHandler => (req, res, next) => {
  fn(req, res).catch(next);
};

export function problemHandler(error: unknown, req: Request, res: Response, _next: NextFunction): void {
  let problem: Problem;
  if (error instanceof Problem) problem = error;
  else if (error instanceof ZodError) problem = zodProblem(error);
  else if (typeof error === 'object' && error && 'type' in error && (error as { type: string }).type === 'entity.too.large') problem = new Problem(413, 'Payload Too Large', 'bodies are limited to 1 MiB');
  else if (typeof error === 'object' && error && 'type' in error && (error as { type: string }).type === 'entity.parse.failed') problem = new Problem(400, 'Bad Request', 'the body is not valid JSON');
  else if (typeof error === 'object' && error && 'status' in error && typeof (error as { status: unknown }).status === 'number' && (error as { status: number }).status < 500) {
    problem = new Problem((error as { status: number }).status, 'Bad Request', String((error as { message?: unknown }).message ?? 'bad request'));
  } else {
    problem = new Problem(500, 'Internal Server Error', 'something went wrong; the correlation id helps find it');
    (req as Request & { log?: { error: (o: unknown, m: string) => void } }).log?.error({ err: String(error) }, 'request failed');
    console.error(error);
  }
  if (!res.getHeader('X-Correlation-ID')) res.setHeader('X-Correlation-ID', req.correlationId ?? randomUUID());
  res.status(problem.status).type('application/problem+json').json({
    type: `https://beacon.dev/problems/${problem.status}`, title: problem.title, status: problem.status, detail: problem.detail,
    correlationId: req.correlationId, ...(problem.errors ? { errors: problem.errors } : {}),
  });
}

/**
 * Idempotency-Key on POST: the same key and body within 24 h replays the first response and
 * publishes nothing new; the same key with another body is a 409.
 */
export function idempotency(db: Kysely<Database>): RequestHandler {
  return (req, res, next) => {
    const key = req.header('idempotency-key');
    if (req.method !== 'POST' || !key || !req.caller) return next();
    const hash = createHash('sha256').update(`${req.method} ${req.originalUrl}\n${JSON.stringify(req.body ?? null)}`).digest('hex');
    db.selectFrom('idempotency_keys').selectAll().where('caller', '=', req.caller.sub).where('key', '=', key)
      .where('created_at', '>', new Date(Date.now() - 86_400_000)).executeTakeFirst()
      .then((seen) => {
        if (seen) {
          if (seen.request_hash !== hash) return next(new Problem(409, 'Conflict', 'this Idempotency-Key was used with a different request'));
          if (seen.location) res.setHeader('Location', seen.location);
          res.setHeader('Idempotent-Replayed', 'true');
          return void res.status(seen.status).json(seen.body);
        }
        const json = res.json.bind(res);
        res.json = (body: unknown) => {
          if (res.statusCode < 500) {
            const location = res.getHeader('Location');
            void db.insertInto('idempotency_keys').values({ caller: req.caller.sub, key, request_hash: hash, status: res.statusCode, body: JSON.stringify(body), location: typeof location === 'string' ? location : null })
              .onConflict((oc) => oc.columns(['caller', 'key']).doUpdateSet({ request_hash: hash, status: res.statusCode, body: JSON.stringify(body), created_at: new Date() }))
              .execute().catch(() => undefined);
          }
          return json(body);
        };
        next();
      }, next);
  };
}

export function pageParams(query: Request['query']): { limit: number; after: number } {
  const limit = query.limit === undefined ? 50 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new Problem(400, 'Bad Request', 'limit must be an integer from 1 to 500', [{ path: 'limit', message: 'out of range' }]);
  let after = 0;
  if (typeof query.cursor === 'string' && query.cursor) {
    after = Number(Buffer.from(query.cursor, 'base64url').toString());
    if (!Number.isSafeInteger(after) || after < 0) throw new Problem(400, 'Bad Request', 'cursor is not valid', [{ path: 'cursor', message: 'not a cursor from this API' }]);
  }
  return { limit, after };
}

/** Rows fetched with limit + 1 and ordered by seq: the page and the cursor of the next one. */
export function page<T extends { seq: number }, U>(rows: T[], limit: number, map: (row: T) => U): { items: U[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const more = rows.length > limit;
  return { items: items.map(map), nextCursor: more ? Buffer.from(String(items.at(-1)!.seq)).toString('base64url') : null };
}
