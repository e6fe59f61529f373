/** Errors as problem+json (RFC 9457): the Problem a route throws, and the handler that writes every error as one. */
import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { isTransientDatabaseError } from '@beacon/messaging';

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: Array<{ path: string; message: string }>,
    /** The flow it belongs to, when the request's flow took another id than the request's (claims.ts). */
    readonly correlationId?: string,
  ) {
    super(detail ?? title);
  }

  /** The same problem, reported under the flow `correlationId`. */
  inFlow(correlationId: string): Problem {
    return Object.assign(Object.create(Object.getPrototypeOf(this) as object) as Problem, this, { correlationId });
  }
}

/** A refusal the client should retry after a while: 429 (over its rate) or 503 (the BFF is full). */
export class RetryLater extends Problem {
  constructor(
    status: 429 | 503,
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super(status, status === 429 ? 'Too Many Requests' : 'Service Unavailable', detail);
  }
}

export const notFound = (what = 'resource') => new Problem(404, 'Not Found', `no such ${what}`);
export const forbidden = (detail = 'your roles do not allow this') => new Problem(403, 'Forbidden', detail);

export function zodProblem(error: ZodError): Problem {
  return new Problem(
    400,
    'Bad Request',
    'the request is not valid',
    error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message })),
  );
}

/** What express and its body parser put on the errors they raise: a `type` and an HTTP `status`. */
function httpErrorOf(error: unknown): { type?: unknown; status?: unknown; message?: unknown } {
  return typeof error === 'object' && error !== null ? error : {};
}

/** The problem an error is for the client; undefined when it is ours (a 500, logged). */
function clientProblem(error: unknown): Problem | undefined {
  if (error instanceof Problem) return error;
  if (error instanceof ZodError) return zodProblem(error);
  const { type, status, message } = httpErrorOf(error);
  if (type === 'entity.too.large') return new Problem(413, 'Payload Too Large', 'bodies are limited to 1 MiB');
  if (type === 'entity.parse.failed') return new Problem(400, 'Bad Request', 'the body is not valid JSON');
  if (typeof status === 'number' && status < 500)
    return new Problem(status, 'Bad Request', String(message ?? 'bad request'));
  return undefined;
}

/** The error handler: every error becomes problem+json; unexpected ones are logged with the request. */
export const problemHandler =
  (logger: Logger): ErrorRequestHandler =>
  (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    let problem = clientProblem(error);
    if (!problem && isTransientDatabaseError(error)) {
      // Ours, but passing: no connection or slot, a deadlock. The client retries instead of reporting a bug.
      problem = new RetryLater(
        503,
        'the database is unavailable for a moment; retry (with the same Idempotency-Key)',
        1,
      );
      logger.warn(
        { err: (error as Error).message, method: req.method, path: req.path, correlationId: req.correlationId },
        'request refused: database unavailable',
      );
    }
    if (!problem) {
      problem = new Problem(500, 'Internal Server Error', 'something went wrong; the correlation id helps find it');
      logger.error(
        { err: error, method: req.method, path: req.path, correlationId: req.correlationId, caller: req.caller?.sub },
        'request failed',
      );
    }
    const correlationId = problem.correlationId ?? req.correlationId ?? randomUUID();
    res.setHeader('X-Correlation-ID', correlationId);
    if (problem instanceof RetryLater) res.setHeader('Retry-After', String(Math.max(1, problem.retryAfterSeconds)));
    res
      .status(problem.status)
      .type('application/problem+json')
      .json({
        type: `https://beacon.dev/problems/${problem.status}`,
        title: problem.title,
        status: problem.status,
        detail: problem.detail,
        correlationId,
        ...(problem.errors ? { errors: problem.errors } : {}),
      });
  };
