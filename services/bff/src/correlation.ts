/** Correlation ids: a request's own X-Correlation-ID when it is well formed, a fresh one otherwise. */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Caller } from './auth.js';

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
