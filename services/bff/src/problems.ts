/** Errors as problem+json (RFC 9457): the Problem a route throws, and the handler that writes every error as one. */
import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: Array<{ path: string; message: string }>,
  ) {
    super(detail ?? title);
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

/** The error handler: every error becomes problem+json; unexpected ones are logged with the request. */
export const problemHandler =
  (logger: Logger): ErrorRequestHandler =>
  (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    let problem: Problem;
    if (error instanceof Problem) problem = error;
    else if (error instanceof ZodError) problem = zodProblem(error);
    else if (
      typeof error === 'object' &&
      error &&
      'type' in error &&
      (error as { type: string }).type === 'entity.too.large'
    )
      problem = new Problem(413, 'Payload Too Large', 'bodies are limited to 1 MiB');
    else if (
      typeof error === 'object' &&
      error &&
      'type' in error &&
      (error as { type: string }).type === 'entity.parse.failed'
    )
      problem = new Problem(400, 'Bad Request', 'the body is not valid JSON');
    else if (
      typeof error === 'object' &&
      error &&
      'status' in error &&
      typeof (error as { status: unknown }).status === 'number' &&
      (error as { status: number }).status < 500
    ) {
      problem = new Problem(
        (error as { status: number }).status,
        'Bad Request',
        String((error as { message?: unknown }).message ?? 'bad request'),
      );
    } else {
      problem = new Problem(500, 'Internal Server Error', 'something went wrong; the correlation id helps find it');
      logger.error(
        { err: error, method: req.method, path: req.path, correlationId: req.correlationId, caller: req.caller?.sub },
        'request failed',
      );
    }
    res.setHeader('X-Correlation-ID', req.correlationId ?? randomUUID());
    res
      .status(problem.status)
      .type('application/problem+json')
      .json({
        type: `https://beacon.dev/problems/${problem.status}`,
        title: problem.title,
        status: problem.status,
        detail: problem.detail,
        correlationId: req.correlationId,
        ...(problem.errors ? { errors: problem.errors } : {}),
      });
  };
