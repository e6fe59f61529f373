/**
 * Guards every request passes before a route sees it: security headers, and refusal (400) of what
 * no route can store — a NUL or a lone surrogate in the path or the query, bodies nested deeper
 * than any route accepts. Bad input is a 4xx problem, never a 500 from the database.
 */
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { Problem } from './problems.js';
import { textProblem } from '@beacon/domain';

/** nosniff, frame and referrer policies everywhere; a strict CSP (the docs page has no scripts). */
export const securityHeaders: RequestHandler = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      styleSrc: ["'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
    },
  },
  // The BFF is an API and a redirector on whatever scheme its proxy terminates: HSTS is the proxy's job.
  strictTransportSecurity: false,
});

/** API answers are per caller: never cached by a browser or a shared proxy. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

function queryValues(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => queryValues(v, out));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      queryValues(v, out);
    }
  return out;
}

export const storableUrl: RequestHandler = (req, _res, next) => {
  let path: string;
  try {
    path = decodeURIComponent(req.path);
  } catch {
    return next(new Problem(400, 'Bad Request', 'the path is not valid percent-encoded UTF-8'));
  }
  const problem = textProblem(path) ?? queryValues(req.query).map(textProblem).find(Boolean);
  if (problem) return next(new Problem(400, 'Bad Request', `path and query parameters ${problem}`));
  next();
};

export const MAX_BODY_DEPTH = 64;

/** Walks the parsed body without recursion; anything deeper than any schema accepts is refused. */
export const boundedBody: RequestHandler = (req, _res, next) => {
  const stack: Array<[unknown, number]> = [[req.body, 0]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [value, depth] = item;
    if (depth > MAX_BODY_DEPTH)
      return next(new Problem(400, 'Bad Request', `the body is nested more than ${MAX_BODY_DEPTH} levels deep`));
    if (value && typeof value === 'object') for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  next();
};
