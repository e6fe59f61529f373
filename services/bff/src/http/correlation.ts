/** Correlation ids: a request's own X-Correlation-ID when it is well formed, a fresh one otherwise. */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Caller } from './jwt.js';

// What the correlation and authentication middleware add to every express request.
declare module 'express-serve-static-core' {
  interface Request {
    correlationId: string;
    caller: Caller;
  }
}

const CORRELATION = /^[A-Za-z0-9._:-]{1,128}$/;

export function correlation(req: Request, res: Response, next: NextFunction): void {
  const given = req.header('x-correlation-id');
  const own = given !== undefined && CORRELATION.test(given) ? given : undefined;
  req.correlationId = own ?? randomUUID();
  res.setHeader('X-Correlation-ID', req.correlationId);
  next();
}
