/** The Bearer token on every /api/v1 request, verified; the caller it names is `req.caller`. */
import type { RequestHandler } from 'express';
import { AuthError, type Caller } from './jwt.js';
import { Problem } from './problems.js';

export function authenticate(verify: (token: string) => Promise<Caller>): RequestHandler {
  return (req, _res, next) => {
    const header = req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) return next(new Problem(401, 'Unauthorized', 'a Bearer token is required'));
    verify(match[1] ?? '').then(
      (caller) => {
        req.caller = caller;
        next();
      },
      (error: unknown) =>
        next(new Problem(401, 'Unauthorized', error instanceof AuthError ? error.message : 'invalid token')),
    );
  };
}
