/** HTTP plumbing: problem+json errors, correlation ids, authentication, roles, validation, pagination. */
import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ZodError, type ZodType, type ZodTypeDef } from 'zod';
import { AuthError, type Caller, type Role } from './auth.js';

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
      /** the client named the correlation id (it may already name someone else's operation) */
      clientCorrelationId: boolean;
      caller: Caller;
    }
  }
}

const CORRELATION = /^[A-Za-z0-9._:-]{1,128}$/;

export function correlation(req: Request, res: Response, next: NextFunction): void {
  const given = req.header('x-correlation-id');
  req.clientCorrelationId = Boolean(given && CORRELATION.test(given));
  req.correlationId = req.clientCorrelationId ? given! : randomUUID();
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

/** The error handler: every error becomes problem+json; unexpected ones are logged with the request. */
export const problemHandler = (logger: Logger): ErrorRequestHandler => (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
  let problem: Problem;
  if (error instanceof Problem) problem = error;
  else if (error instanceof ZodError) problem = zodProblem(error);
  else if (typeof error === 'object' && error && 'type' in error && (error as { type: string }).type === 'entity.too.large') problem = new Problem(413, 'Payload Too Large', 'bodies are limited to 1 MiB');
  else if (typeof error === 'object' && error && 'type' in error && (error as { type: string }).type === 'entity.parse.failed') problem = new Problem(400, 'Bad Request', 'the body is not valid JSON');
  else if (typeof error === 'object' && error && 'status' in error && typeof (error as { status: unknown }).status === 'number' && (error as { status: number }).status < 500) {
    problem = new Problem((error as { status: number }).status, 'Bad Request', String((error as { message?: unknown }).message ?? 'bad request'));
  } else {
    problem = new Problem(500, 'Internal Server Error', 'something went wrong; the correlation id helps find it');
    logger.error({ err: error, method: req.method, path: req.path, correlationId: req.correlationId, caller: req.caller?.sub }, 'request failed');
  }
  res.setHeader('X-Correlation-ID', req.correlationId ?? randomUUID());
  res.status(problem.status).type('application/problem+json').json({
    type: `https://beacon.dev/problems/${problem.status}`, title: problem.title, status: problem.status, detail: problem.detail,
    correlationId: req.correlationId, ...(problem.errors ? { errors: problem.errors } : {}),
  });
};

/** A page request (limit and cursor, as the contract's Paging parses them): the limit and the seq to start after. */
export function pageParams(query: { limit: number; cursor?: string }): { limit: number; after: bigint } {
  if (!query.cursor) return { limit: query.limit, after: 0n };
  const text = Buffer.from(query.cursor, 'base64url').toString();
  const after = /^\d{1,19}$/.test(text) ? BigInt(text) : -1n;
  if (after < 0n || after > 2n ** 63n - 1n) {
    throw new Problem(400, 'Bad Request', 'cursor is not valid', [{ path: 'cursor', message: 'not a cursor from this API' }]);
  }
  return { limit: query.limit, after };
}

/** Rows fetched with limit + 1 and ordered by seq: the page and the cursor of the next one. */
export function page<T extends { seq: bigint }, U>(rows: T[], limit: number, map: (row: T) => U): { items: U[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const more = rows.length > limit;
  return { items: items.map(map), nextCursor: more ? Buffer.from(String(items.at(-1)!.seq)).toString('base64url') : null };
}
