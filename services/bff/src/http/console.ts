/**
 * The web console: a single-page app (apps/console, built with Vite) served at /app, and, only while
 * the BFF runs with the development secret, a sign-in that mints development tokens for it. The
 * console talks to the BFF through the public API with a JWT, like any other client.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { z } from 'zod';
import { ROLES } from './jwt.js';
import { mintDevToken } from './dev-token.js';
import { notFound, Problem } from './problems.js';
import { parse } from './validation.js';

const BUILT_CONSOLE = join(dirname(fileURLToPath(import.meta.url)), '../../../../apps/console/dist');

/** The console's scripts and styles are its own files; charts set inline styles. Nothing else is allowed. */
const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const DevTokenRequest = z
  .object({
    role: z.enum(ROLES),
    sub: z
      .string()
      .trim()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9._:@-]+$/),
    brand: z.string().min(1).max(128).optional(),
  })
  .strict();

export function consoleRoutes(options: { development: boolean; dir?: string }): Router {
  const router = Router();
  const dir = options.dir ?? process.env.CONSOLE_DIR ?? BUILT_CONSOLE;
  const built = existsSync(join(dir, 'index.html'));

  router.use('/app', (_req, res, next) => {
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    if (!built)
      throw new Problem(
        503,
        'Service Unavailable',
        'the console is not built: run `pnpm --filter @beacon/console build`',
      );
    next();
  });
  router.use(
    '/app',
    express.static(dir, {
      index: 'index.html',
      maxAge: '1h',
      setHeaders: (res, path) => path.endsWith('index.html') && res.setHeader('Cache-Control', 'no-cache'),
    }),
  );

  if (options.development) {
    // Anyone who can reach a development BFF can mint any token: that is what the public development secret means.
    router.get('/dev/token', (_req, res) => void res.json({ development: true }));
    // Express 5 passes a rejected promise to the error handler.
    router.post('/dev/token', async (req, res) => {
      const input = parse(DevTokenRequest, req.body);
      res.setHeader('Cache-Control', 'no-store');
      res.json({ token: await mintDevToken({ sub: input.sub, roles: [input.role], brand: input.brand }) });
    });
  } else {
    router.all('/dev/token', () => {
      throw notFound('route: development sign-in is off');
    });
  }
  return router;
}
